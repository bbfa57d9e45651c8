"""The debrief: the investigation path and questions, the `p` key's postmortem, and the history record."""

from __future__ import annotations

from pathlib import Path

from simulator.reports.history import open_history
from tests.tui.helpers import SCENARIO, play_reference_solution
from tui.postmortem_draft import postmortem_path
from tui.screens.debrief import DebriefScreen, investigation_markup, questions_markup
from tui.session import LocalSession


async def test_finished_session_is_recorded_and_p_writes_the_postmortem(make_app):
    session = LocalSession.start(SCENARIO, 1)
    session.look("panel", name="changes")
    play_reference_solution(session)
    app = make_app(session, "console")
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_debrief()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        with open_history() as h:
            attempts = h.attempts()
        assert [(a.scenario, a.outcome, a.end_reason, a.fault_class) for a in attempts] == [
            (SCENARIO, "resolved", "resolved", "memory")
        ]
        assert attempts[0].journal_path == str(Path(session.journal_path).resolve())
        await pilot.press("p")
        await pilot.pause()
        target = postmortem_path(session.journal_path)
        assert target.is_file() and target.parent == Path(session.journal_path).parent
        text = target.read_text()
        assert text.startswith("# Postmortem (training drill): Checkout pods keep dying")
        assert "| Date | 20" in text  # the TUI journal's wall-clock start gives the date
        assert "opened the changes panel" in text
        assert str(target) in str(app.screen.query_one("#postmortem-path").render())


async def test_leaving_mid_incident_records_nothing(make_app):
    session = LocalSession.start(SCENARIO, 1)
    app = make_app(session, "console")
    async with app.run_test(size=(120, 40)) as pilot:
        app.leave_incident()
        await pilot.pause()
    with open_history() as h:
        assert h.attempts() == []


async def test_giving_up_is_recorded(make_app):
    session = LocalSession.start(SCENARIO, 1)
    session.sim.run_until(600)
    app = make_app(session, "console")
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_debrief()
        await pilot.pause()
    with open_history() as h:
        assert [(a.end_reason, a.outcome) for a in h.attempts()] == [("gave_up", "unresolved")]


def test_debrief_shows_path_beside_evidence_and_questions():
    session = LocalSession.start("cert-expiry", 1, journal=False)
    session.sim.run_until(330)
    session.look("metric", service="api-edge", metric="rate", split=None, window="1h")
    session.sim.run_until(19 * 60 + 10)
    session.end_now()
    d = session.debrief()
    path = investigation_markup(d).plain
    assert "00:05:30" in path and "E1" in path and "✓ 00:05:30" in path and "✗ not found" in path
    asked = questions_markup(d).plain
    assert "@vp-product" in asked and "never answered" in asked


def test_the_severity_verdict_says_why_it_is_right_only_when_there_is_something_to_add():
    """`(right)` alone when the declaration is what the scenario expects and the measurement agrees; a right
    declaration that matches only one of them, or where they differ, names both."""
    import dataclasses

    from scenarios.catalog import load_by_ref
    from simulator.session.runner import run_session
    from tui.screens.debrief import impact_markup

    scenario, _ = load_by_ref(SCENARIO)
    base = run_session(scenario, 1, scenario.solution)[1]

    def severity_row(declared: str, expected: str, measured: str) -> str:
        r = dataclasses.replace(
            base,
            severity_declared=declared,
            severity_expected=expected,
            incidents=[{"number": 1, "severity_assessed": measured}],
        )
        return next(line for line in impact_markup(r).plain.splitlines() if line.startswith("Severity"))

    assert severity_row("SEV2", "SEV2", "SEV2").endswith("SEV2 (right)")
    assert severity_row("SEV1", "SEV2", "SEV1").endswith("SEV1 (right: expected SEV2, measured SEV1)")
    assert severity_row("SEV2", "SEV2", "SEV1").endswith("SEV2 (right: expected SEV2, measured SEV1)")
    assert severity_row("SEV3", "SEV2", "SEV2").endswith("SEV3 (expected SEV2)")
