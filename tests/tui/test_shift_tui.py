"""The shift in the TUI: board -> ack -> incident console (through the shift) -> board -> handoff -> report."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, TextArea

from scenarios.durations import format_clock
from scenarios.language.actions import ACTION_ADAPTER
from simulator.shift import runner
from simulator.shift.policy import DEFAULT_POLICY
from simulator.shift.runner import SHIFT_ROTA
from tests.tui.helpers import until
from tui.screens.console import ConsoleScreen
from tui.screens.handoff import HandoffForm
from tui.screens.shift import ShiftBoard, ShiftReportScreen
from tui.shift_app import ShiftApp
from tui.shift_session import ShiftDriver, ShiftIncidentSession

BENCH_LIBRARY = SHIFT_ROTA
"""The library the bench's seed-2 shift was drawn from (as tests/shift/shiftkit.py pins it): scenarios
added later must not reshuffle the shift these tests walk through."""


@pytest.fixture(autouse=True)
def _bench_library(monkeypatch):
    pinned = {k: v for k, v in runner.shipped_library().items() if k in BENCH_LIBRARY}
    monkeypatch.setattr(runner, "shipped_library", lambda: pinned)


def driver_for(tmp_path) -> ShiftDriver:
    return ShiftDriver.start(2, 12.0, 2, DEFAULT_POLICY, 60.0, journal=tmp_path / "shift.jsonl")


async def test_a_shift_is_playable_end_to_end(tmp_path):
    driver = driver_for(tmp_path)
    app = ShiftApp(driver, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        board = app.screen
        assert isinstance(board, ShiftBoard)
        # Quiet time passes until the first incident has paged.
        while not any(p.incident == 1 for p in driver.shift.pages):
            await pilot.press("n")
        table = board.query_one(DataTable)
        page = next(p for p in driver.shift.pages if p.incident == 1)
        table.move_cursor(row=table.get_row_index(f"page:{page.number}"))
        await pilot.press("a")
        assert page.acked_at is not None
        await pilot.press("enter")
        # Each screen change is awaited, not given one pause: a loaded machine takes a few more cycles.
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), "the incident's console")
        console = app.screen
        assert isinstance(console.session, ShiftIncidentSession) and console.session.run.number == 1
        # An action in the console goes through the shift, aimed at incident 1.
        result = console.session.apply(
            ACTION_ADAPTER.validate_python({"action": "rollback_deploy", "service": "checkout"})
        )
        assert result.accepted
        assert driver.shift.steps[-1][0].incident == 1
        app.advance_clock(10.0)  # the one clock moves the whole shift while the console is up
        await pilot.press("ctrl+t")
        await until(pilot, lambda: app.screen is board, "the board again")
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HandoffForm), "the handoff form")
        form = app.screen
        form.query_one("#handoff-active_incidents", TextArea).text = "#1 checkout rolled back, watching memory"
        form.query_one("#handoff-upcoming", TextArea).text = "sale at 09:00"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: driver.shift.handoff is not None, "the handoff to be saved")
        assert driver.shift.handoff.upcoming == ["sale at 09:00"]
        await pilot.press("e")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ShiftReportScreen), "the shift report")
        text = str(app.screen.query_one("#report-text").render())
        assert "postmortems due" in text
    records = [json.loads(line) for line in (tmp_path / "shift.jsonl").read_text().splitlines()]
    assert records[-1]["type"] == "end"
    assert any(r["type"] == "step" and r["step"].get("action") == "handoff_note" for r in records)


async def test_the_next_shift_shows_the_handoff_first(tmp_path):
    previous = {
        "note": {
            "active_incidents": ["#2 cert-expiry still open"],
            "investigations": [],
            "mitigations": [],
            "recent_changes": [],
            "workarounds": [],
            "upcoming": ["sale \x1b[31mat 09:00"],
        }
    }
    app = ShiftApp(driver_for(tmp_path), previous=previous, clock=False)
    async with app.run_test(size=(120, 36)):
        notes = str(app.screen.query_one("#notes-text").render())
        assert "Handoff from the previous shift" in notes
        assert "#2 cert-expiry still open" in notes
        assert "\x1b" not in notes


async def test_going_back_to_the_board_keeps_the_incident_console(tmp_path):
    driver = driver_for(tmp_path)
    app = ShiftApp(driver, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        driver.shift.run_until(driver.shift.plan.incidents[0].at + 60.0)
        app.open_incident(1)
        await pilot.pause()
        console = app.screen
        await pilot.press("ctrl+t")  # at once, while the console is still building its panels
        await pilot.pause()
        assert isinstance(app.screen, ShiftBoard)
        app.open_incident(1)
        await pilot.pause()
        assert app.screen is console


async def test_a_shift_left_mid_way_resumes_paused_where_it_stopped(tmp_path):
    driver = driver_for(tmp_path)
    app = ShiftApp(driver, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        while not driver.shift.pages:
            await pilot.press("n")
        await pilot.press("a")
        await pilot.press("n")  # the clock moves on past the last step before the trainee leaves
        stopped_at = driver.shift.now
        assert stopped_at > driver.shift.steps[-1][1].t
        await pilot.press("ctrl+q")
    assert app.resume_hint == f"misfortune shift --resume {tmp_path / 'shift.jsonl'}"
    resumed = ShiftDriver.resume(tmp_path / "shift.jsonl", 60.0)
    assert resumed.paused
    assert resumed.shift.now == stopped_at
    assert resumed.shift.pages[0].acked_at is not None


async def test_an_incident_shows_on_the_board_from_its_first_alert_not_from_the_plan(tmp_path):
    """The board once listed an incident the second its scenario began, under the scenario's title and the
    severity it deserves: the on-call learned what was wrong, and how bad, before any alert. It shows from the
    first alert, named by that alert, with the severity the responders declared; the handoff is judged only
    on incidents the on-call could know of."""
    from simulator.shift.handoff import score_handoff

    driver = driver_for(tmp_path)
    shift = driver.shift
    shift.run_until(shift.plan.incidents[0].at + 1.0)
    (run,) = shift.runs
    assert not run.detected and not run.sim.incidents()
    app = ShiftApp(driver, clock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        board = app.screen
        assert isinstance(board, ShiftBoard)
        board.refresh_board()
        table = board.query_one(DataTable)
        keys = {row.value for row in table.rows}
        assert "incident:1" not in keys
        assert "open incidents 0" in str(board.query_one("#shift-status").render())
        tickets = sum(1 for t in shift.tickets if t.closed_at is None)
        unmentioned = "no handoff note: {} open item(s) went unmentioned"
        assert score_handoff(None, shift)["missing"] == [unmentioned.format(tickets)], "not one nothing showed"
        while not run.detected:
            shift.run_until(shift.now + 30.0)
        board.refresh_board()
        await pilot.pause()
        first = run.sim.incidents()[0]
        cells = [str(c) for c in table.get_row("incident:1")]
        assert cells[0] == format_clock(run.shift_time(first.opened_at))
        assert cells[3] == "-" and cells[4].startswith(first.alerts[0]), cells
        while not any(r.pages for r in run.sim.incidents()):
            shift.run_until(shift.now + 30.0)
        board.refresh_board()
        first_page = min(p.number for r in run.sim.incidents() for p in run.sim.pages() if p.number in r.pages)
        paged = next(p.alert for p in run.sim.pages() if p.number == first_page)
        assert str(table.get_row("incident:1")[4]).startswith(paged), "named by what paged"
        assert run.scenario.title not in " ".join(cells)
        assert "open incidents 1" in str(board.query_one("#shift-status").render())
        tickets = sum(1 for t in shift.tickets if t.closed_at is None)
        assert score_handoff(None, shift)["missing"] == [unmentioned.format(tickets + 1)], "a known one counts"


def test_an_incident_is_named_by_the_alert_that_paged_even_when_a_ticket_fired_first():
    from types import SimpleNamespace

    from tui.screens.shift import incident_name

    grouped = SimpleNamespace(
        alerts=("CertificateExpiresSoon catalog", "TargetsUnhealthy storefront", "SLOBurnRateFast storefront"),
        pages=(1,),
    )
    page = SimpleNamespace(number=1, alert="SLOBurnRateFast storefront")
    assert incident_name([grouped], [page]) == "SLOBurnRateFast storefront (+2 more alerts)"
    ticket = SimpleNamespace(alerts=("CertificateExpiresSoon catalog",), pages=())
    assert incident_name([ticket, grouped], [page]) == "SLOBurnRateFast storefront (+3 more alerts)"
    assert incident_name([ticket], []) == "CertificateExpiresSoon catalog"
    assert incident_name([SimpleNamespace(alerts=("A x", "B y"), pages=())], []) == "A x (+1 more alert)"
