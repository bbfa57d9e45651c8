"""Everything can be read whole (issue 14, deliverable 1): `v` on any row opens it in a detail view with
its fields and wrapped text; a log line links to its trace, a row naming a service to its dashboards."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Select
from visible_text import screen_text

from tests.tui.console_host import ConsoleHost as Host
from tui.screens.row_detail import RowDetailScreen
from tui.session import LocalSession
from tui.widgets.log_buffer import LogQuery
from tui.widgets.log_view import LogView
from tui.widgets.traces import Waterfall


@pytest.fixture
def session() -> LocalSession:
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.set_speed(0.0)
    s.sim.run_until(600)
    return s


async def test_a_log_line_opens_whole_at_80x24_and_links_to_its_trace(session):
    kept = {t.trace_id for t in session.traces()}  # only sampled traces are retained
    record = next(r for r in reversed(session.logs()) if r.trace_id in kept and len(r.message) > 40)
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("logs")
        screen.panel("logs").run_query(LogQuery(trace_id=record.trace_id))
        await screen.workers.wait_for_complete()
        view = screen.query_one(LogView)
        view.cursor = next(
            i for i in range(view.visible_count) if record.message in view.buffer.line(view._absolute(i))
        )
        view.focus()
        await pilot.pause()
        assert record.message not in screen_text(app), "the line is cut at 80 columns"
        await pilot.press("v")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, RowDetailScreen)
        assert detail.detail.text == record.message
        fields = dict(detail.detail.fields)
        assert fields["service"] == record.service and fields["instance"] == record.instance
        assert fields["trace"] == record.trace_id
        shown = screen_text(app)
        assert all(word in shown for word in record.message.split()), "wrapped in full"
        await pilot.press("t")
        await pilot.pause()
        assert screen.active_panel == "traces"
        assert screen.query_one(Waterfall).trace.trace_id == record.trace_id


async def test_an_alert_row_opens_with_its_summary_and_charts_its_service(session):
    alert = session.alert_list(include_resolved=True)[0]
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#alerts", DataTable)
        table.focus()
        await pilot.pause()
        screen.action_view_row()
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, RowDetailScreen)
        assert dict(detail.detail.fields)["summary"] == alert.summary
        assert detail.detail.service == alert.service
        await pilot.press("d")
        await pilot.pause()
        assert screen.active_panel == "dashboards"
        assert screen.query_one("#detail-service", Select).value == alert.service


async def test_nothing_selected_says_so(session):
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.action_leave_field()
        await pilot.pause()
        assert screen.row_detail() is None
        screen.action_view_row()
        await pilot.pause()
        assert not isinstance(app.screen, RowDetailScreen)
        assert "Select a row first" in screen.query_one("#rail").announcements[-1].text
