"""The postmortem draft of a hand-played session: evidence found, questions, harm, gaps, items, dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from simulator.reports.facts import investigation, questions
from simulator.reports.postmortem import postmortem_for_journal
from simulator.session.journal import Journal
from simulator.session.journal_session import replay_journal
from simulator.session.runner import session_header
from simulator.session.simulation import Simulation

SCENARIO = "cert-expiry"


def act(sim: Simulation, at: float, **body) -> None:
    sim.run_until(at)
    sim.apply(ACTION_ADAPTER.validate_python(body))


def play(tmp_path: Path, started_wall: str | None = "2026-03-02T10:15:00+00:00") -> tuple[Path, Simulation]:
    """A clumsy attempt: looks at some evidence, takes the trap, answers nobody, never posts an update."""
    scenario, path = load_by_ref(SCENARIO)
    header = session_header(scenario, 1, path)
    if started_wall:
        header["started_wall"] = started_wall
    journal_path = tmp_path / "attempt.jsonl"
    journal = Journal(journal_path, header)
    sim = Simulation(scenario, 1, journal)
    act(sim, 240, action="ack")
    sim.run_until(300)
    sim.look("panel", name="changes")
    sim.run_until(330)
    sim.look("metric", service="api-edge", metric="rate", split=None, window="1h")
    sim.look("log_query", service="api-edge", level="ERROR", text="", trace_id="")
    trap = scenario.traps[0].match
    act(sim, 400, **trap)
    act(sim, 500, action="note", text="action item: page on external probe failures")
    act(sim, 3300, action="set_severity", severity="SEV3")
    sim.run_until(3400)
    sim.end("gave_up")
    journal.close()
    return journal_path, sim


def test_a_clumsy_attempt_is_reviewed_from_its_journal(tmp_path):
    journal_path, _ = play(tmp_path)
    text = postmortem_for_journal(journal_path)
    assert "| Date | 2026-03-02 |" in text
    assert "declared SEV3, expected SEV1" in text
    # the trap, with the scenario's reason
    assert "Harmful action at T+00:06:40: `rollback_deploy`: the deploy 40 minutes earlier is not the cause" in text
    # nobody was answered and no update was posted in the 55 minutes after the page
    assert '@vp-product asked at T+00:19:00 "Is the API down?' in text
    assert "No status update was posted" in text
    assert "| T+00:19:00 | @vp-product (chat) |" in text and "**not answered**" in text
    # action items: the trainee's note, with a deadline from the drill date by priority (P2: 30 days)
    assert "| page on external probe failures | @trainee | P2 | 2026-04-01 | open | note at T+00:08:20 |" in text
    # the investigation path beside the evidence: the rate metric and the change log were found
    assert "| T+00:05:30 | metric: metric=rate service=api-edge window=1h | E1 |" in text
    assert "| T+00:05:00 | opened the changes panel | E4 |" in text
    assert "| E2 | metric | External synthetic probes fail from every location. (api-edge) | **no** |" in text
    assert "Found 2 of 5 pieces of evidence" in text
    assert "Never looked at the metric evidence: External synthetic probes" in text
    assert "session ended: the trainee ended the session early" in text
    assert postmortem_for_journal(journal_path) == text


def test_undated_journal_and_relative_deadlines(tmp_path):
    journal_path, _ = play(tmp_path, started_wall=None)
    text = postmortem_for_journal(journal_path)
    assert "| Date | undated |" in text
    assert "| P2 | 30 days after the review | open |" in text


def test_answered_question_and_evidence_facts(tmp_path):
    scenario, _ = load_by_ref(SCENARIO)
    sim = Simulation(scenario, 1)
    sim.run_until(19 * 60)
    act(sim, 19 * 60 + 30, action="status_update", text="The API is down for apps; hold the campaign.")
    answers = questions(sim)
    assert [(q.sender, q.answered_at) for q in answers] == [("@vp-product", 1170.0)]
    assert answers[0].answer == "status_update: The API is down for apps; hold the campaign."
    sim.look("metric", service="api-edge", metric="probe_success", split=None, window="15m")
    steps, findings = investigation(sim, sim.looks)
    assert steps[0].evidence == (1,)
    assert [f.found_at is not None for f in findings] == [False, True, False, False, False]


def test_a_question_not_yet_asked_is_not_listed(tmp_path):
    scenario, _ = load_by_ref(SCENARIO)
    sim = Simulation(scenario, 1)
    sim.run_until(10 * 60)
    assert questions(sim) == []


def test_mitigation_took_effect_when_its_operation_finished(tmp_path):
    journal_path, _ = play(tmp_path)
    sim, _ = replay_journal(journal_path)
    op = next(o for o in sim.operation_list() if o.kind == "rollback")
    text = postmortem_for_journal(journal_path)
    from simulator.reports.review import at

    assert f"| {at(op.finished_at)} | system | `rollback_deploy` from T+00:06:40 took effect:" in text


@pytest.mark.parametrize("reason", ["resolved"])
def test_reference_solution_reads_well(tmp_path, reason):
    from simulator.session.runner import run_session

    scenario, path = load_by_ref("checkout-oom-leak")
    run_session(scenario, 1, scenario.solution, journal_path=tmp_path / "j.jsonl", scenario_path=path)
    text = postmortem_for_journal(tmp_path / "j.jsonl")
    assert "session ended: the incident was declared resolved" in text
    assert "Declared the right severity (SEV2)." in text
    assert "Acknowledged the page in 4m45s, slower than par (3m, 1.6x)." in text


def test_a_question_its_condition_kept_away_is_not_listed():
    # @sam asks only while the page is unacknowledged (when: {acknowledged: false}).
    scenario, _ = load_by_ref("backbone-withdrawn-dns-unreachable")
    quiet = Simulation(scenario, 1)
    quiet.run_until(7 * 60)
    act(quiet, 7 * 60, action="ack")
    quiet.run_until(9 * 60)
    assert [q.sender for q in questions(quiet)] == []
    ignored = Simulation(scenario, 1)
    ignored.run_until(9 * 60)
    assert [q.sender for q in questions(ignored)] == ["@sam (secondary)"]


def test_a_severity_never_declared_reads_so(tmp_path):
    """Not "declared never": the row says the severity was never declared, beside the expected one."""
    scenario, path = load_by_ref(SCENARIO)
    journal_path = tmp_path / "silent.jsonl"
    journal = Journal(journal_path, session_header(scenario, 1, path))
    sim = Simulation(scenario, 1, journal)
    act(sim, 240, action="ack")
    sim.run_until(600)
    sim.end("gave_up")
    journal.close()
    text = postmortem_for_journal(journal_path)
    assert "| Severity | never declared, expected SEV1" in text
    assert "declared never" not in text and "None" not in text
