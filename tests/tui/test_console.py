"""Pilot tests of the incident console's main flows, driven through a tiny host app.

The simulated clock is advanced by the test (``sim.run_until``) and the console is told to re-read the
session (``refresh_panels``), so nothing sleeps. Key presses are used where the key path itself is
what is tested; the rest goes through the widgets' API (each press costs ~40 ms).
"""

from __future__ import annotations

import asyncio
import gc

import pytest
from textual.app import App
from textual.widgets import DataTable, Input, Static

from simulator.views import LogRecord
from tui.screens.console import ConsoleScreen
from tui.session import LocalSession
from tui.widgets.actions import ORDER, ActionsPanel, ConfirmAction
from tui.widgets.hypotheses import HypothesesPanel
from tui.widgets.log_buffer import LogBuffer, LogQuery
from tui.widgets.log_view import LogView
from tui.widgets.logs import LogsPanel
from tui.widgets.traces import Waterfall

SIZE = (120, 40)


class ConsoleHost(App):
    """Pushes the console; records show_debrief calls instead of showing a debrief."""

    def __init__(self, session: LocalSession) -> None:
        super().__init__()
        self.session = session
        self.debriefs = 0

    def on_mount(self) -> None:
        self.push_screen(ConsoleScreen(self.session))

    def show_debrief(self) -> None:
        self.debriefs += 1


async def settled(pilot, condition, limit: float = 20.0) -> bool:
    """Let the app run until ``condition()`` holds (True) or ``limit`` wall seconds pass (False).

    For state the app fills on its own schedule (workers, idle pre-warming): the test waits on the
    condition itself, so a loaded machine makes it slower, never red.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            return False
        await pilot.pause(0.01)
    return True


def filtered(view: LogView, query: LogQuery) -> bool:
    """The view shows ``query``'s complete result (the worker's last slice is in)."""
    return view.query_state == query and view._pending_from is None and view._matches is not None


@pytest.fixture
def session() -> LocalSession:
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.set_speed(0.0)
    s.sim.run_until(600)
    return s


async def test_acknowledge_page_with_a_key(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any(p.acked_at is None for p in session.pages())
        await pilot.press("a")
        await pilot.pause()
        assert session.pages() and all(p.acked_at is not None for p in session.pages())
        table = app.screen.query_one("#pages", DataTable)
        assert "acked" in str(table.get_row_at(0)[5])


async def test_clock_keys_change_speed(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("3")
        assert session.speed == 5.0
        await pilot.press("space")
        assert session.speed == 0.0
        await pilot.press("space")
        assert session.speed == 5.0
        await pilot.press("5")
        assert session.speed == 60.0
        await pilot.press("1")
        assert session.speed == 1.0


async def test_panel_keys_switch_and_journal(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert screen.active_panel == "changes"
        rows = screen.query_one("#change-log", DataTable)
        times = [str(rows.get_row_at(i)[0]) for i in range(rows.row_count)]
        assert any(t.startswith("-") for t in times), "history before t=0 is listed"
        await pilot.press("m")
        await pilot.pause()
        assert screen.active_panel == "map"
        assert screen.query_one("#map-grid", DataTable).row_count == len(session.services())


async def test_log_query_by_text_and_trace_id(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("logs")
        panel = screen.query_one(LogsPanel)
        view = panel.view
        # The buffer is filled by the panel's ingest on its own schedule (pre-warm, tab activation):
        # wait for the lines to be there, however slow the machine.
        total = session.log_tail(0)[1]
        assert await settled(pilot, lambda: len(view.buffer) == total), f"{len(view.buffer)} of {total} lines"
        expected = [r for r in session.logs() if "context canceled" in r.message.lower()]
        query = LogQuery(text="context canceled")
        panel.run_query(query)
        assert await settled(pilot, lambda: filtered(view, query)), "the filter never finished"
        assert expected and view.visible_count == len(expected)
        trace_id = next(r.trace_id for r in session.logs() if r.trace_id)
        query = LogQuery(trace_id=trace_id)
        panel.run_query(query)
        assert await settled(pilot, lambda: filtered(view, query)), "the filter never finished"
        assert view.visible_count == len(session.logs(trace_id=trace_id))
        assert all(trace_id in view.buffer.line(view._absolute(i)) for i in range(view.visible_count))


async def test_typing_a_log_query(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("l")
        app.screen.query_one("#log-text", Input).focus()
        await pilot.press(*"oom", "enter")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        view = app.screen.query_one(LogView)
        assert view.query_state.text == "oom"
        assert view.visible_count == len([r for r in session.logs() if "oom" in r.message.lower()])


async def test_selecting_a_log_line_opens_its_trace(session):
    trace = session.traces(errors_only=True)[0]
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("logs")
        screen.query_one(LogsPanel).run_query(LogQuery(trace_id=trace.trace_id))
        await screen.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.active_panel == "traces"
        waterfall = screen.query_one(Waterfall)
        assert waterfall.trace is not None and waterfall.trace.trace_id == trace.trace_id


async def test_trace_waterfall_highlights_the_culprit(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("traces")
        await pilot.pause()
        screen.query_one("#trace-errors").value = True
        await pilot.pause()
        table = screen.query_one("#trace-list", DataTable)
        assert table.row_count > 0
        assert all("ERROR" in str(table.get_row_at(i)[3]) for i in range(table.row_count))
        await pilot.press("enter")
        await pilot.pause()
        waterfall = screen.query_one(Waterfall)
        assert waterfall.trace is not None and waterfall.trace.error
        text = str(waterfall.visual)
        assert "culprit" in text and "█" in text


async def test_hypothesis_with_evidence_then_confirmed(session):
    trace = session.traces(errors_only=True)[0]
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        (await screen.ensure_panel("traces")).open_trace(trace.trace_id)
        await pilot.pause()
        await pilot.press("ctrl+e")
        await screen.action_show_panel("hypotheses")
        panel = screen.query_one(HypothesesPanel)
        assert panel.evidence == [f"trace:{trace.trace_id}"]
        field = screen.query_one("#hypothesis-text", Input)
        field.value = "checkout v2.5.0 leaks memory"
        await field.action_submit()
        await pilot.pause()
        hyp = session.incident_view().hypotheses
        assert len(hyp) == 1 and hyp[0].evidence == (f"trace:{trace.trace_id}",)
        screen.query_one("#hypothesis-list", DataTable).focus()
        await pilot.press("c")
        await pilot.pause()
        assert session.incident_view().hypotheses[0].status == "confirmed"


async def test_rollback_through_the_form_then_resolve_reaches_debrief(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("actions")
        actions = screen.query_one(ActionsPanel)
        actions.select_action("rollback_deploy")
        await pilot.pause()
        actions.set_field("service", "checkout")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Accepted" in str(screen.query_one("#action-result", Static).visual)
        assert any(op.kind for op in session.operation_list() if op.service == "checkout")
        session.sim.run_until(session.now + 900)
        actions.select_action("resolve")
        await pilot.pause()
        actions.action_submit()
        await pilot.pause()
        assert session.finished
        assert app.debriefs == 1


async def test_action_form_by_keyboard_alone(session):
    """Enter on an action fills its form and focuses its first field; Enter opens a choice, typing jumps."""
    app = ConsoleHost(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel("actions")
        actions = app.screen.query_one(ActionsPanel)
        assert "Enter fill its form" in str(actions.query_one("#action-keys", Static).visual)
        actions.query_one("#action-list").highlighted = actions.offered.index("rollback_deploy")
        await pilot.press("enter")
        await pilot.pause()
        assert actions.selected == "rollback_deploy"
        assert app.focused is actions.query_one("#field-service")
        await pilot.press("enter", *"check", "enter", "ctrl+s")
        await pilot.pause()
        assert actions.form_payload() == {"action": "rollback_deploy", "service": "checkout"}
        assert any(op.service == "checkout" for op in session.operation_list())


async def test_field_help_reads_as_one_paragraph(session):
    """A field's help comes from its docstring: the source's line breaks must not cut a sentence mid-panel
    (the failover host's help read "(default: the" / "least lagging one)" on two lines)."""
    from textual.widgets import Label

    app = ConsoleHost(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel("actions")
        actions = app.screen.query_one(ActionsPanel)
        seen = 0
        for name in actions.offered:
            actions.select_action(name)
            await pilot.pause()
            for label in actions.query(".field-help").results(Label):
                text = str(label.visual)
                assert "\n" not in text and "  " not in text, (name, text)
                seen += "least lagging one" in text
        assert seen == 1, "the failover form's host help was not shown"


DATA_ACTIONS = ("restore_backup", "resync_replica")


async def test_the_action_list_offers_data_actions_only_where_the_scenario_keeps_data(session):
    # checkout-oom-leak has no database with data, no traffic classes and no manual procedures.
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel("actions")
        actions = app.screen.query_one(ActionsPanel)
        listed = [o.id for o in actions.query_one("#action-list").options]
        assert "rollback_deploy" in listed and "failover" in listed
        for name in (*DATA_ACTIONS, "shed_class", "run_procedure"):
            assert name not in listed and name in ORDER
    data = LocalSession.start("db-failover-lost-writes", seed=1, journal=False)
    data.set_speed(0.0)
    app = ConsoleHost(data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel("actions")
        listed = [o.id for o in app.screen.query_one(ActionsPanel).query_one("#action-list").options]
        assert all(name in listed for name in (*DATA_ACTIONS, "shed_class"))
        assert "run_procedure" not in listed


async def test_destructive_action_asks_first(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("actions")
        actions = screen.query_one(ActionsPanel)
        actions.select_action("restart")
        await pilot.pause()
        actions.set_field("service", "checkout")
        actions.set_field("mode", "all")
        actions.action_submit()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen
        assert not [e for e in session.timeline() if e.source != "system" and "restart" in e.text]
        actions.action_submit()
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen
        assert "Accepted" in str(screen.query_one("#action-result", Static).visual)
        assert [e for e in session.timeline() if e.source != "system" and "restart" in e.text]


async def test_rejection_reason_for_a_bad_target(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("actions")
        actions = screen.query_one(ActionsPanel)
        actions.select_action("rollback_deploy")
        await pilot.pause()
        actions.set_field("service", "payments")
        actions.action_submit()
        await pilot.pause()
        result = str(screen.query_one("#action-result", Static).visual)
        assert "Rejected" in result and "no earlier version" in result


async def test_form_validation_message_before_sending(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        actions = await screen.ensure_panel("actions")
        actions.select_action("scale")
        await pilot.pause()
        actions.set_field("replicas", "")
        actions.action_submit()
        await pilot.pause()
        assert "replicas" in str(screen.query_one("#action-result", Static).visual)


def test_every_action_has_a_form():
    from scenarios.language.actions import ACTION_NAMES
    from tui.widgets.actions import MODELS, ORDER

    # The form offers every trainee action; facilitator-only actions (inject) have a model but no entry.
    assert set(ACTION_NAMES) <= set(MODELS)
    assert ORDER == ACTION_NAMES


async def test_comms_status_update_and_note(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("comms")
        status = screen.query_one("#status-text", Input)
        status.value = "Investigating checkout errors"
        await status.action_submit()
        note = screen.query_one("#note-text", Input)
        note.value = "rolling back checkout"
        await note.action_submit()
        await pilot.pause()
        view = session.incident_view()
        assert view.status_updates[-1][1] == "Investigating checkout errors"
        assert view.notes[-1][2] == "rolling back checkout"
        assert "Last status update" in str(screen.query_one("#comms-due", Static).visual)


async def test_every_panel_renders_at_80x24_and_160x48(session):
    for size in ((80, 24), (160, 48)):
        app = ConsoleHost(session)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for pid in ("pager", "dashboards", "logs", "traces", "changes", "map", "hypotheses", "actions", "comms"):
                await app.screen.action_show_panel(pid)
                await pilot.pause()
            assert app.screen.has_class("-wide") == (size[0] >= 140)


def _record(i: int) -> LogRecord:
    level = ("INFO", "WARN", "ERROR")[i % 3]
    service = ("frontend", "checkout", "payments", "catalog")[i % 4]
    trace = f"{i % 5000:032x}" if i % 7 == 0 else ""
    message = "OOMKilled container checkout" if i % 1000 == 0 else f"GET /api/products/{i} 200 12.5ms"
    return LogRecord(float(i) / 100, level, service, "v1", "eu-west-1a", f"{service}-abc-{i % 6}", message, trace)


@pytest.fixture(scope="module")
def million() -> tuple[LogRecord, ...]:
    """``_record(0)`` to ``_record(999_999)``, made once for the two million-line tests (records are frozen).

    Made with the collector paused: a million new objects that all survive set off its full collections
    again and again (~1.5 CPU-s a million in a test process), and none of them is garbage.
    """
    gc.disable()
    try:
        return tuple(_record(i) for i in range(1_000_000))
    finally:
        gc.enable()


def test_log_buffer_holds_a_million_lines_and_filters_them_right(million):
    buffer = LogBuffer()
    buffer.extend(million)
    assert len(buffer) == 1_000_000
    assert len(buffer.filter(LogQuery(text="oomkilled"))) == 1000
    assert len(buffer.filter(LogQuery(service="checkout", level="ERROR"))) == len(
        [i for i in range(1_000_000) if i % 4 == 1 and i % 3 == 2]
    )
    tid = f"{7 * 3:032x}"
    hits = buffer.filter(LogQuery(trace_id=tid))
    assert hits == [i for i in range(1_000_000) if i % 7 == 0 and i % 5000 == 21]
    both = buffer.filter(LogQuery(text="oomkilled", service="frontend"))
    assert both == [i for i in range(0, 1_000_000, 1000) if i % 4 == 0]
    buffer.extend(_record(i) for i in range(1_000_000, 1_004_000))
    assert len(buffer) == 1_000_000 and buffer.base == 4000
    assert len(buffer.filter(LogQuery(text="oomkilled"))) == 1000


def test_each_buffered_line_shows_its_own_records_clock():
    """Lines arrive many to a second: each row's clock is its record's, across seconds, before t=0 and after."""
    import dataclasses

    from scenarios.durations import format_clock

    times = [-61.5, -0.5, 0.0, 0.2, 0.99, 1.0, 59.9, 60.0, 3599.7, 3600.0, 3600.4, 7322.0]
    records = [dataclasses.replace(_record(i), t=t) for i, t in enumerate(times)]
    buffer = LogBuffer()
    buffer.extend(records)
    assert [line.split(" ")[0] for line in buffer.lines] == [format_clock(t) for t in times]
    assert [line.split(" ")[0] for line in buffer.lines][:3] == ["-00:01:01", "-00:00:00", "00:00:00"]


async def test_log_view_keeps_a_million_lines(session, million):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.screen.ensure_panel("logs")  # built lazily: on a busy machine the pre-warm may not be there yet
        view = app.screen.query_one(LogView)
        view.append(list(million))
        view.set_query(LogQuery(text="oomkilled"))
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert len(view.buffer) >= 1_000_000
        expected = sum(1 for line in view.buffer.lines if "oomkilled" in line.lower())
        assert expected >= 1000 and view.visible_count == expected


@pytest.fixture
def storm() -> LocalSession:
    """retry-storm ships runbooks and timed messages (a clue at 9m, a VP's question at 19m)."""
    s = LocalSession.start("retry-storm", seed=1, journal=False)
    s.set_speed(0.0)
    return s


async def test_runbooks_panel_shows_markdown_and_journals_reads(storm):
    from textual.widgets import Markdown, OptionList

    books = storm.runbooks()
    assert len(books) >= 2
    app = ConsoleHost(storm)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert screen.active_panel == "runbooks"
        listing = screen.query_one("#runbook-list", OptionList)
        assert app.focused is listing
        assert books[0].title in screen.query_one("#runbook-body", Markdown).source
        await pilot.press("down")
        await pilot.pause()
        assert books[1].title in screen.query_one("#runbook-body", Markdown).source
        reads = [look["service"] for look in storm.sim.looks if look["what"] == "runbook"]
        assert reads == [books[0].service, books[1].service]


async def test_messages_arrive_with_a_notification_an_unread_count_and_a_reply(storm):
    app = ConsoleHost(storm)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        storm.sim.run_until(20 * 60)
        screen.refresh_panels()
        await pilot.pause()
        arrived = storm.messages()
        assert len(arrived) >= 2
        assert screen.unread == len(arrived)
        assert f"msgs {len(arrived)}" in str(screen.query_one("#status-bar", Static).visual)
        # One toast at a time (issue 14): every message is announced on the rail, the newest line toasts.
        assert len(app._notifications) == 1
        rail = [a.title for a in screen.query_one("#rail").announcements]
        assert all(any(t.startswith(m.sender) for t in rail) for m in arrived)
        await screen.action_show_panel("comms")
        await pilot.pause()
        assert screen.unread == 0
        table = screen.query_one("#messages", DataTable)
        assert str(table.get_row_at(0)[1]) == arrived[-1].sender  # newest first
        assert app.focused is table
        await pilot.press("enter")
        box = screen.query_one("#note-text", Input)
        assert app.focused is box and box.value == arrived[-1].sender.split()[0] + " "
        box.value += "ETA 15 min, rolling back now"
        await pilot.press("enter")
        await pilot.pause()
        notes = storm.incident_view().notes
        assert notes and notes[-1][2].endswith("ETA 15 min, rolling back now")


async def test_a_refresh_while_the_console_is_taken_down_reads_nothing(session):
    """Textual prunes a screen's children before the screen: a tick of the refresh timer that fires
    meanwhile found the pager's banner gone (NoMatches ended a shift in CI). It now does nothing."""
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        reads: list[str] = []
        screen._check_messages = lambda: reads.append("messages")  # the refresh's first read
        screen.refresh_panels()
        assert reads == ["messages"]
        app._prune(screen)  # what a switch to the next screen starts with
        screen.refresh_panels()
        assert reads == ["messages"], "a console being taken down read the session"
        # The pre-warm's next step (a timer too) reads and stages nothing either: it found the
        # hypotheses' table gone in CI.
        staged: list[str] = []
        screen._stage_next = lambda: staged.append("stage") or False

        async def mount(pid: str) -> None:
            staged.append(pid)

        screen._mount_panel = mount
        screen._built.clear()  # as if nothing were built: the pre-warm's first step would mount
        await screen._prewarm()
        assert staged == [], "a console being taken down went on pre-warming"
