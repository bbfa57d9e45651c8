"""A panel switch lands in one frame (issue 14's switch figure): the screen paints once the key's messages
reached it (tui.screens.paint), and the widgets a shown panel brings back do not ask for a second frame
(tui.widgets.option_list, tui.widgets.scrolling, the log view's scroll).

Frames are counted as the bench counts them (bench/tui_console.py): every update the app writes to the
terminal after the key, until none came for a while and the process idles.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.scrollbar import ScrollBar
from textual.widgets import DataTable, Input, OptionList, Static

from tests.tui.console_host import ConsoleHost
from tui.registry import PANELS
from tui.screens.paint import SettledPaint
from tui.session import LocalSession
from tui.widgets.log_view import LogView
from tui.widgets.option_list import SteadyOptionList

QUIET_S = 0.2
"""A press has settled once no frame came for this long while the process idled."""


class FrameCounter:
    """Counts the updates an app writes to its terminal."""

    def __init__(self, app: App) -> None:
        self.count = 0
        self.last = 0.0
        display = app._display

        def counted(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None:
                self.count += 1
                self.last = time.perf_counter()

        app._display = counted  # type: ignore[method-assign]

    async def settled(self, limit: float = 10.0) -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            cpu = time.process_time()
            await asyncio.sleep(0.02)
            idle = time.process_time() - cpu < 0.002
            if self.count and idle and time.perf_counter() - max(self.last, start) >= QUIET_S:
                return


async def until_prewarmed(console, limit: float = 60.0) -> None:
    """Wait until the console has built every panel and staged it off screen: its staging steps lay hidden
    widgets out and render them, work that would land inside the frames a test counts."""
    start = time.perf_counter()
    while not (console.prewarmed and not console.restaging) and time.perf_counter() - start < limit:
        await asyncio.sleep(0.05)
    assert console.prewarmed and not console.restaging


def console_at_ten_minutes() -> tuple[ConsoleHost, dict[str, str]]:
    """A console over checkout-oom-leak at 10 minutes (its pages out), and each panel's key."""
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(600)
    return ConsoleHost(session), {pid: key for pid, key, _title in PANELS}


def send_key(app: App, key: str) -> None:
    """The key as a terminal delivers it: one Key event into the app's queue (Pilot.press paints on its own)."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def frames_per_switch(size: tuple[int, int], pids: tuple[str, ...], monkeypatch) -> dict[str, int]:
    """Frames written by each panel key pressed from the tab strip (as the bench does), the clock having moved
    a quarter second before each: every panel is shown once first (its first visit is not checked)."""
    monkeypatch.setattr(Input, "cursor_blink", False)  # a blinking cursor paints twice a second
    app, keys = console_at_ten_minutes()
    counts: dict[str, int] = {}
    async with app.run_test(size=size) as pilot:
        console = app.screen
        for pid, _key, _title in PANELS:
            await console.ensure_panel(pid)
        await until_prewarmed(console)
        await pilot.pause()
        console._timer.pause()  # the console's own refresh: its frames are not the key's
        for pid in pids:  # first visits: each panel's first layout
            await console.action_show_panel(pid)
            await pilot.pause()
        frames = FrameCounter(app)
        for pid in pids:
            app.session.pump(0.25)
            await pilot.press("escape")
            await pilot.pause()
            await frames.settled(limit=0.5)
            frames.count = 0
            send_key(app, keys[pid])
            await frames.settled()
            assert console.active_panel == pid
            counts[pid] = frames.count
    return counts


@pytest.mark.parametrize(
    ("size", "pids"),
    [
        ((160, 48), ("pager", "dashboards", "logs", "runbooks", "actions", "comms")),
        ((80, 24), ("dashboards", "logs", "traces", "runbooks", "actions")),
    ],
)
async def test_a_panel_switch_from_the_tab_strip_paints_once(size, pids, monkeypatch):
    """Tab strip blur, focus restyles, scroll bars, a list shown again, the log tail: all in the first frame."""
    counts = await frames_per_switch(size, pids, monkeypatch)
    assert counts == dict.fromkeys(pids, 1), f"frames per switch at {size[0]}x{size[1]}"


FIRST_VISITS = ("dashboards", "logs", "traces", "runbooks", "actions")
"""The panels whose first visit painted two or three frames before they were staged off screen."""


async def first_visits(
    size: tuple[int, int], monkeypatch, resized_from: tuple[int, int] | None = None
) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Per panel in FIRST_VISITS, shown for the first time from the tab strip once the console is pre-warmed
    (clock paused): the frames written and the table cells rendered afresh (DataTable's own renderer runs
    only for a cell ContentTable has not rendered before). Also the hidden panels found on screen after
    the pre-warm (a hidden widget must keep no region: the runbooks panel journals a read by its region).
    ``resized_from``: the console starts at that size and is pre-warmed there, then the terminal takes
    ``size``."""
    monkeypatch.setattr(Input, "cursor_blink", False)
    cold: dict[str, int] = {}
    rendering = {"pid": ""}
    render_cell = DataTable._render_cell

    def counted(self, *args, **kwargs):
        if rendering["pid"]:
            cold[rendering["pid"]] = cold.get(rendering["pid"], 0) + 1
        return render_cell(self, *args, **kwargs)

    monkeypatch.setattr(DataTable, "_render_cell", counted)
    app, keys = console_at_ten_minutes()
    counts: dict[str, int] = {}
    async with app.run_test(size=resized_from or size) as pilot:
        console = app.screen
        await until_prewarmed(console)
        if resized_from:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await until_prewarmed(console)  # staged again at the new size
        console._timer.pause()
        on_screen = [pid for pid, _k, _t in PANELS if pid != console.active_panel and console.panel(pid).region]
        frames = FrameCounter(app)
        for pid in FIRST_VISITS:
            await pilot.press("escape")
            await pilot.pause()
            await frames.settled(limit=0.5)
            frames.count = 0
            rendering["pid"] = pid
            send_key(app, keys[pid])
            await frames.settled()
            rendering["pid"] = ""
            assert console.active_panel == pid
            counts[pid] = frames.count
    return counts, {pid: cold.get(pid, 0) for pid in FIRST_VISITS}, on_screen


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_a_first_visit_of_a_prewarmed_panel_paints_once_from_cached_lines(size, monkeypatch):
    """The pre-warm laid out and rendered each hidden panel off screen, its tables' focused look included:
    its first visit paints one frame and renders no table cell afresh (before: two or three frames, ~60 %
    of the dashboards' 80-120 ms spent rendering cold cells)."""
    counts, cold, on_screen = await first_visits(size, monkeypatch)
    assert counts == dict.fromkeys(FIRST_VISITS, 1), f"frames per first visit at {size[0]}x{size[1]}"
    assert cold == dict.fromkeys(FIRST_VISITS, 0), f"cells rendered afresh at {size[0]}x{size[1]}"
    assert on_screen == [], "a hidden panel has a region on screen"


async def test_after_a_resize_the_hidden_panels_are_staged_again_and_first_visits_paint_once(monkeypatch):
    """Staged at 160x48, the panels would lay out and render cold at 80x24 after the terminal shrank (two or
    three frames a first visit): the console stages them again at the new size."""
    counts, cold, on_screen = await first_visits((80, 24), monkeypatch, resized_from=(160, 48))
    assert counts == dict.fromkeys(FIRST_VISITS, 1), "frames per first visit after a resize to 80x24"
    assert cold == dict.fromkeys(FIRST_VISITS, 0), "cells rendered afresh after a resize to 80x24"
    assert on_screen == []


HOPS = 5
"""Widgets a key's message passes through before the last one changes what it shows."""


class Relay(Static):
    """Passes a message on to the next relay; the last one changes what it shows."""

    class Hop(Message):
        pass

    def __init__(self, following: Relay | None, *, id: str) -> None:
        super().__init__("before", id=id)
        self.following = following

    def on_relay_hop(self, event: Relay.Hop) -> None:
        event.stop()
        if self.following is not None:
            self.following.post_message(Relay.Hop())
        else:
            self.update("after", layout=False)


def relay_app(screen_class: type[Screen]) -> App:
    class Relays(screen_class):  # type: ignore[valid-type, misc]
        BINDINGS = [("k", "press", "press")]

        def compose(self) -> ComposeResult:
            relays = [Relay(None, id="last")]
            for n in range(HOPS - 1):
                relays.append(Relay(relays[-1], id="first" if n == HOPS - 2 else f"hop{n}"))
            yield Static("key: -", id="echo")
            yield from reversed(relays)

        def action_press(self) -> None:
            self.query_one("#echo", Static).update("key: k", layout=False)
            self.query_one("#first", Relay).post_message(Relay.Hop())

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(Relays())

    return Host()


async def frames_after_a_relayed_key(screen: type[Screen]) -> tuple[str, int]:
    """The relay's last text and the frames written between the key and quiet, on a relay screen of
    ``screen``'s kind."""
    app = relay_app(screen)
    async with app.run_test(size=(40, HOPS + 2)) as pilot:
        await pilot.pause()
        frames = FrameCounter(app)
        await asyncio.sleep(0.1)  # the screen's timer last ticked long ago: its next tick paints at once
        send_key(app, "k")
        await frames.settled()
        return str(app.screen.query_one("#last", Relay).render()), frames.count


async def test_a_change_five_messages_after_the_key_lands_in_the_keys_frame():
    """The screen paints once the messages the key set off (five hops through other widgets) are handled."""
    last, frames = await frames_after_a_relayed_key(SettledPaint)
    assert last == "after"
    assert frames == 1


async def test_plain_textual_paints_that_change_a_frame_later():
    """What SettledPaint is for: Textual's own screen paints the key's echo first, the relayed change after."""
    last, frames = await frames_after_a_relayed_key(Screen)
    assert last == "after"
    assert frames == 2


LONG = "a fairly long option that wraps when the list is narrow"


class Lists(App):
    CSS = "OptionList { width: 30; height: 6; }"

    def compose(self) -> ComposeResult:
        yield SteadyOptionList(*(f"{n}: {LONG}" for n in range(8)), id="steady")
        yield OptionList(*(f"{n}: {LONG}" for n in range(8)), id="plain")


def shown(widget: OptionList) -> list[str]:
    return [strip.text for strip in (widget.render_line(y) for y in range(widget.size.height))]


async def test_a_list_shown_again_at_its_width_keeps_its_lines(monkeypatch):
    """A Resize at the same width (its panel coming back on screen) neither drops the lines nor repaints."""
    app = Lists()
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        steady = app.query_one("#steady", SteadyOptionList)
        lines = steady._line_cache.lines
        repaints: list = []
        refresh = SteadyOptionList.refresh
        monkeypatch.setattr(
            SteadyOptionList, "refresh", lambda self, *a, **k: repaints.append(1) or refresh(self, *a, **k)
        )
        # As the screen's layout sends it: the size of the widget's region (its border included).
        steady.post_message(events.Resize(steady.outer_size, steady.virtual_size, steady.container_size))
        await pilot.pause()
        assert not repaints and steady._line_cache.lines is lines


async def test_a_list_made_narrower_wraps_its_lines_again():
    app = Lists()
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        for widget in app.query(OptionList):
            widget.styles.width = 22
        await pilot.pause()
        steady, plain = app.query_one("#steady", OptionList), app.query_one("#plain", OptionList)
        assert shown(steady) == shown(plain)
        assert steady.virtual_size.height > 8, "each option now wraps"


class Logs(App):
    CSS = "LogView { height: 8; }"

    def compose(self) -> ComposeResult:
        yield LogView(id="view")


def records(start: int, count: int) -> list:
    from simulator.views import LogRecord

    return [
        LogRecord(float(n), "INFO", "api", "v1", "zone-a", "api-1", f"line {n}") for n in range(start, start + count)
    ]


async def test_the_log_tail_and_its_scroll_bar_follow_new_lines_before_the_frame():
    """Lines appended to a laid-out view are scrolled to and counted by its scroll bar at once, so they are
    painted in the frame that shows them (Textual scrolls after the next frame by default)."""
    app = Logs()
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(LogView)
        view.append(records(0, 40))
        await pilot.pause()
        view.append(records(40, 25))
        assert view.scroll_y == view.max_scroll_y == 65 - 8
        assert view.vertical_scrollbar.window_virtual_size == 65


async def test_scroll_bars_repaint_only_when_what_they_show_changed(monkeypatch):
    """A layout that changes nothing leaves the scroll bars alone; more lines repaint them."""
    app = Logs()
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(LogView)
        view.append(records(0, 40))
        await pilot.pause()
        repaints: list = []
        refresh = ScrollBar.refresh
        monkeypatch.setattr(ScrollBar, "refresh", lambda self, *a, **k: repaints.append(self) or refresh(self, *a, **k))
        view.refresh(layout=True)
        await pilot.pause()
        assert view.vertical_scrollbar not in repaints, "laid out again, nothing changed: no repaint"
        view.append(records(40, 5))
        assert view.vertical_scrollbar in repaints, "more lines: the bar is repainted"


class Shown(App):
    def compose(self) -> ComposeResult:
        yield Static("", id="line")


async def test_show_updates_a_static_only_when_its_text_or_styles_changed(monkeypatch):
    """Static.update lays the screen out again even for the same text (each second on the visible panel)."""
    from textual.content import Content

    from tui.widgets.common import show

    app = Shown()
    async with app.run_test(size=(40, 3)) as pilot:
        line = app.query_one("#line", Static)
        updates: list = []
        update = Static.update
        monkeypatch.setattr(Static, "update", lambda self, *a, **k: updates.append(a) or update(self, *a, **k))
        assert show(line, Content.styled("3 firing", "$text-error"))
        assert not show(line, Content.styled("3 firing", "$text-error")), "same text and style: no update"
        assert show(line, Content.styled("3 firing", "$text-warning")), "a style alone changing is shown"
        assert show(line, "3 firing") and not show(line, "3 firing")
        await pilot.pause()
        assert len(updates) == 3
        assert str(line.render()) == "3 firing"


def callers() -> list[str]:
    """Names of the functions calling the caller's caller, innermost first."""
    frame, names = sys._getframe(2), []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


async def test_a_panel_switch_arranges_the_screen_once(monkeypatch):
    """The reflow arranges every widget; painting after it does not arrange them all again (the full map
    the reflow built is kept)."""
    from textual._compositor import Compositor

    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(600)
    app = ConsoleHost(session)
    async with app.run_test(size=(160, 48)) as pilot:
        console = app.screen
        for pid, _key, _title in PANELS:  # nothing else being mounted or staged meanwhile
            await console.ensure_panel(pid)
        await until_prewarmed(console)
        for pid in ("dashboards", "pager"):  # a first visit lays its panel out for the first time
            await console.action_show_panel(pid)
            await pilot.pause()
        await asyncio.sleep(0.3)
        await pilot.pause()
        console._timer.pause()
        arranged: list = []
        arrange = Compositor._arrange_root
        monkeypatch.setattr(
            Compositor,
            "_arrange_root",
            lambda self, *a, **k: arranged.append(callers()) or arrange(self, *a, **k),
        )
        await console.action_show_panel("dashboards")
        await pilot.pause()
        assert console.query_one("#red").region, "the dashboards are on screen"
        in_paint = [names for names in arranged if "_refresh_layout" in names]
        assert in_paint, "the switch was laid out"
        assert all(names[0] == "reflow" for names in in_paint), f"arranged again while painting: {in_paint}"


class Covered(App):
    """A container its children fill (never seen), one they fill only half (its lower half shows)."""

    CSS = """
    #full { height: 4; background: red; }
    #full Static { height: 2; background: blue; }
    #half { height: 4; background: green; }
    #half Static { height: 2; background: blue; }
    """

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="full"):
            yield Static("one")
            yield Static("two")
        with Vertical(id="half"):
            yield Static("three")

    def get_default_screen(self) -> Screen:
        return SettledPaint()


def cells(strips) -> list[list[tuple[str, object]]]:
    """Each line as (character, style) per cell: the same picture whatever the segments it is cut into."""
    return [[(char, seg.style) for seg in strip for char in seg.text] for strip in strips]


async def test_a_widget_its_children_cover_is_not_rendered_and_the_picture_is_textuals(monkeypatch):
    """ReflowedCompositor skips rendering what is hidden behind widgets in front of it; what it paints is
    exactly what Textual's own Compositor paints."""
    from textual._compositor import Compositor
    from textual.containers import Vertical

    app = Covered()
    async with app.run_test(size=(20, 8)) as pilot:
        await pilot.pause()
        screen = app.screen
        rendered: list[str] = []
        render_lines = Vertical.render_lines
        monkeypatch.setattr(
            Vertical, "render_lines", lambda self, crop: rendered.append(self.id) or render_lines(self, crop)
        )
        ours = screen._compositor.render_strips()
        assert rendered == ["half"], "the covered container rendered, or the half-covered one did not"
        textuals = Compositor()
        textuals.reflow(screen, screen.size)
        assert cells(ours) == cells(textuals.render_strips())
        assert "three" in ours[4].text and ours[7].text.strip() == ""


class RepaintsWhenLaidOut(Static):
    """Once armed, repaints itself when the next layout reaches it, as a scroll view repaints its scroll bars
    when a layout gives its content a new size."""

    armed = False

    def _size_updated(self, size, virtual_size, container_size, layout: bool = True) -> bool:
        if self.armed:
            self.armed = False
            self.update("repainted", layout=False)
        return super()._size_updated(size, virtual_size, container_size, layout)


def laid_out_app(screen_class: type[Screen]) -> App:
    class LaidOut(screen_class):  # type: ignore[valid-type, misc]
        BINDINGS = [("k", "press", "press")]

        def compose(self) -> ComposeResult:
            yield Static("key: -", id="echo")
            yield RepaintsWhenLaidOut("waiting", id="watch")

        def action_press(self) -> None:
            self.query_one("#echo", Static).update("key: k", layout=False)
            watch = self.query_one("#watch", RepaintsWhenLaidOut)
            watch.armed = True
            watch.refresh(layout=True)  # nothing moves: the layout only calls every widget back

    class Host(App):
        def get_default_screen(self) -> Screen:
            return LaidOut()

    return Host()


@pytest.mark.parametrize(("screen_class", "frames"), [(SettledPaint, 1), (Screen, 2)])
async def test_a_repaint_asked_for_while_laying_out_lands_in_that_frame(screen_class, frames):
    """A widget that repaints as the layout reaches it (a table's scroll bar when it gains a row) is painted
    in the layout's frame; Textual's own screen paints it a frame later."""
    app = laid_out_app(screen_class)
    async with app.run_test(size=(20, 4)) as pilot:
        await pilot.pause()
        counter = FrameCounter(app)
        await asyncio.sleep(0.1)
        send_key(app, "k")
        await counter.settled()
        watch = app.screen.query_one("#watch", Static)
        assert str(watch.render()) == "repainted"
        assert not watch._repaint_regions, "its repaint never reached a frame (the terminal shows it stale)"
        assert counter.count == frames
