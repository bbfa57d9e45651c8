"""Keyboard and focus in the console (issue 14, deliverable 2): keys type in text fields, global keys work
from lists and dropdowns, forms start on the service in focus, one set of clock keys.

Key presses here are the point of each test (each costs ~40 ms), so each test presses only what it checks.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, OptionList, Select

from tests.tui.console_host import ConsoleHost as Host
from tests.tui.helpers import until
from tui.session import LocalSession

SIZE = (120, 40)


@pytest.fixture
def session() -> LocalSession:
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.sim.run_until(600)
    s.set_speed(5.0)
    return s


async def test_keys_type_while_a_text_field_has_focus(session):
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("hypotheses")
        box = screen.query_one("#hypothesis-text", Input)
        box.focus()
        await pilot.pause()
        await pilot.press("l", "d", "space", "1", "a", "plus", "c")
        assert box.value == "ld 1a+c"
        assert screen.active_panel == "hypotheses"
        assert session.speed == 5.0, "no clock key fired"
        assert any(p.acked_at is None for p in session.pages()), "a did not acknowledge"


async def test_space_and_panel_keys_work_from_a_dropdown_and_a_list(session):
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("logs")
        screen.query_one("#log-service", Select).focus()
        await pilot.pause()
        await pilot.press("space")
        assert session.speed == 0.0, "space paused from a closed dropdown"
        assert not screen.query_one("#log-service", Select).expanded
        await pilot.press("space")
        assert session.speed == 5.0
        await screen.action_show_panel("actions")
        await pilot.pause()
        assert isinstance(app.focused, OptionList)
        await pilot.press("space", "d")
        assert session.speed == 0.0, "space paused from the action list"
        assert screen.active_panel == "dashboards"


async def test_plus_and_minus_step_the_console_clock(session):
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("plus")
        assert session.speed == 10.0
        await pilot.press("minus", "minus")
        assert session.speed == 2.0
        await pilot.press("space", "plus")
        assert session.speed == 5.0, "from a pause, + runs one step above the paused speed"


async def test_the_action_form_starts_on_the_service_in_focus(session):
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        services = [sv.name for sv in session.services()]
        await screen.action_show_panel("dashboards")
        await pilot.pause()
        red = screen.query_one("#red", DataTable)
        target = services[-1]
        red.move_cursor(row=services.index(target))
        # The cursor's move reaches the console a message later: awaited (one pause was too few under load).
        await until(pilot, lambda: screen.service_in_focus == target, "the service in focus to follow the cursor")
        await screen.action_show_panel("actions")
        panel = screen.panel("actions")
        panel.select_action("rollback_deploy")
        await panel._building  # each form is built by a task: awaited, not given one pause
        await pilot.pause()
        assert panel.form_payload()["service"] == target
        panel.select_action("restart")
        await panel._building
        await pilot.pause()
        assert panel.form_payload()["service"] == target
        panel.select_action("drain_zone")
        await panel._building
        await pilot.pause()
        assert "service" not in panel.form_payload(), "an optional service stays blank: it narrows the action"
        assert "zone" not in panel.form_payload(), "no zone is pre-picked: the first one is some seeds' sick zone"
        panel.action_submit()
        result = str(panel.query_one("#action-result").render())
        assert "Not sent" in result and "zone" in result


async def test_the_briefing_takes_the_same_clock_keys_and_names_them_alike():
    from visible_text import screen_text

    from tui.app import MisfortuneApp
    from tui.registry import CLOCK_KEYS_TEXT
    from tui.screens.briefing import BriefingScreen

    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    app = MisfortuneApp(session, "briefing", clock=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("4")
        assert app.screen.speed == 10.0
        await pilot.press("minus")
        assert app.screen.speed == 5.0
        assert CLOCK_KEYS_TEXT in " ".join(screen_text(app).split())


async def test_the_console_key_list_is_the_products_grouped_by_purpose(session):
    from tui.app import MisfortuneApp
    from tui.screens.help import HelpScreen

    app = MisfortuneApp(session, "console", clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_help()
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        groups = [row.group for row in help_screen.rows]
        assert groups.index("Panels") < groups.index("Clock") < groups.index("Leaving")
        assert groups == sorted(groups, key=groups.index), "each group in one run"
        described = {row.description for row in help_screen.rows}
        assert {"Logs", "Pause/resume", "Faster clock", "Speed 60x", "Acknowledge pages"} <= described
        assert not described & {"Focus Next", "Focus Previous", "Copy selected text", "Quit the app"}


async def test_one_short_toast_at_a_time_and_the_rest_on_the_rail():
    from visible_text import screen_text

    from tui.screens.console import TOAST_SECONDS
    from tui.widgets.message_rail import MessageRail

    storm = LocalSession.start("retry-storm", seed=1, journal=False)  # timed messages at 9 and 19 min
    storm.set_speed(0.0)
    app = Host(storm)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        storm.sim.run_until(25 * 60)
        screen.refresh_panels()
        screen.request_action({"action": "note", "text": "looking at the retry rate"})
        # The toast is raised a message or two later; wait for it (a loaded machine takes longer) rather
        # than for one pause, but not past its own short life.
        await until(pilot, lambda: any(t.title == "note" for t in app._notifications), "the note's toast")
        arrived = storm.messages()
        assert len(arrived) >= 2
        toasts = list(app._notifications)
        assert len(toasts) == 1 and toasts[0].timeout <= TOAST_SECONDS
        assert toasts[0].title == "note", "the latest announcement is the toast"
        rail = screen.query_one("#rail", MessageRail)
        announced = len(arrived) + len(storm.incident_view().hints) + 1
        assert len(rail.announcements) == announced
        assert "looking at the retry rate" in screen_text(app).splitlines()[-2]
        assert f"({announced - 1} earlier" in screen_text(app).splitlines()[-2]


async def test_at_80x24_a_numbered_switcher_replaces_the_tabs(session):
    from textual.widgets._tabbed_content import ContentTabs

    from tui.widgets.panel_switcher import PanelSwitcher

    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        switcher = screen.query_one(PanelSwitcher)
        assert switcher.display and not screen.query_one(ContentTabs).display
        assert "1/11 Pager" in str(switcher.visual)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert screen.active_panel == "profiles" and "11/11 Profiles" in str(switcher.visual)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert screen.active_panel == "dashboards"
        await screen.action_show_panel("hypotheses")
        screen.query_one("#hypothesis-text", Input).focus()
        await pilot.press("escape")
        assert app.focused is switcher, "Esc leaves the field for the switcher, so panel keys work"
    wide = Host(session)
    async with wide.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert not wide.screen.query_one(PanelSwitcher).display and wide.screen.query_one(ContentTabs).display


async def test_a_new_page_rings_the_bell_and_flashes_the_status_bar(monkeypatch):
    from tui.screens.console import FLASH_SECONDS, page_alert_setting

    assert page_alert_setting("off") == frozenset() and page_alert_setting("bell") == {"bell"}
    assert page_alert_setting(" bell + flash ") == {"bell", "flash"}
    monkeypatch.delenv("MISFORTUNE_PAGE_ALERT", raising=False)
    quiet = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    quiet.set_speed(0.0)
    app = Host(quiet)
    rings = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.bell = lambda: rings.append(quiet.now)
        await pilot.pause()
        screen = app.screen
        screen.refresh_panels()
        assert not quiet.pages() and not rings
        quiet.sim.run_until(600)  # the crash loop pages a few minutes in
        screen.refresh_panels()
        # Both happen in the refresh itself: looked at before any pause, which a loaded machine can
        # stretch past the flash.
        assert len(rings) == 1 and screen.query_one("#status-bar").has_class("-flash")
        await pilot.pause()
        screen.refresh_panels()
        assert len(rings) == 1, "one ring per page, not per refresh"
        assert FLASH_SECONDS <= 2.0, "the flash is brief"
        await until(pilot, lambda: not screen.query_one("#status-bar").has_class("-flash"), "the flash to end")


async def test_the_page_alert_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("MISFORTUNE_PAGE_ALERT", "off")
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.set_speed(0.0)
    app = Host(s)
    rings = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.bell = lambda: rings.append(s.now)
        await pilot.pause()
        s.sim.run_until(600)
        app.screen.refresh_panels()
        await pilot.pause()
        assert s.pages() and not rings and not app.screen.query_one("#status-bar").has_class("-flash")


async def test_the_profiles_picker_starts_on_the_service_in_focus(session):
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.look_at_service("payments")
        await screen.action_show_panel("profiles")
        await pilot.pause()
        chosen = screen.panel("profiles").instance
        assert chosen in {i.id for i in session.instances("payments")}


async def test_a_panel_key_moves_the_tab_underline_before_the_first_frame(session):
    """The underline moves with the rest of the switch (Tabs itself moves it a frame later)."""
    from textual.widgets._tabs import Underline

    app = Host(session)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = app.screen
        underline = screen.query_one(Underline)
        tab = screen.query_one("#panels").get_tab("logs")
        where = tab.virtual_region.shrink(tab.styles.gutter).column_span
        await screen.action_show_panel("logs")
        assert (underline.highlight_start, underline.highlight_end) == where, "in the switch's own frame"
        await pilot.pause()
        assert (underline.highlight_start, underline.highlight_end) == where, "where Tabs puts it too"


async def test_moving_focus_repaints_only_the_widgets_concerned(session, monkeypatch):
    """Screen.focused repainted the whole console on each focus move (a second frame per panel switch)."""
    from tui.screens.console import ConsoleScreen

    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        repaints: list = []
        refresh = ConsoleScreen.refresh
        monkeypatch.setattr(
            ConsoleScreen, "refresh", lambda self, *a, **k: repaints.append(k) or refresh(self, *a, **k)
        )
        before = screen.focused
        await screen.action_show_panel("dashboards")
        await pilot.pause()
        assert screen.focused is not before and screen.focused.id == "red"
        assert not [k for k in repaints if k.get("repaint", True) and not k.get("layout")], "no whole-screen repaint"


def strip_styles(strip) -> dict:
    """Every node of the tab strip: its CSS rules, and the underline bar's component rules."""
    nodes = [strip, *strip.query("*")]
    styles = {node: dict(node._css_styles.get_rules()) for node in nodes}
    for node in nodes:
        if "underline--bar" in getattr(node, "COMPONENT_CLASSES", ()):
            styles[(node, "bar")] = dict(node.get_component_styles("underline--bar").get_rules())
    return styles


async def test_the_tab_strip_restyled_on_a_focus_change_looks_as_a_full_restyle_makes_it(monkeypatch):
    """The console restyles only the strip, its active tab and underline when the strip gains or loses the
    focus (tui.screens.console.restyle_on_focus_what_focus_styles), not its 16 nodes: each node ends as
    Textual's full restyle of the strip would leave it, focused and not."""
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(600)
    app = Host(session)
    async with app.run_test(size=(160, 48)) as pilot:
        console = app.screen
        strip = console.query_one("ContentTabs")
        await console.action_show_panel("dashboards")
        restyled: list[int] = []
        update_nodes = type(app.stylesheet).update_nodes

        def counted(self, nodes, animate=False):
            nodes = list(nodes)
            if nodes and nodes[0] is strip:
                restyled.append(len(nodes))
            return update_nodes(self, nodes, animate)

        monkeypatch.setattr(type(app.stylesheet), "update_nodes", counted)
        for focused in (True, False, True):
            restyled.clear()
            if focused:
                console.action_leave_field()
            else:
                console.action_focus_panel()
            await until(pilot, lambda focused=focused: strip.has_focus == focused, "the focus to move")
            await pilot.pause()
            assert restyled == [3], "the strip, its active tab and its underline"
            narrowed = strip_styles(strip)
            app.update_styles(strip)
            assert strip_styles(strip) == narrowed, f"focused={focused}"
