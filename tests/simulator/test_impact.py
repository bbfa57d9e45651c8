"""Judging on impact: the same seed with nobody acting, the impact spared, data lost, and the grade."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from simkit import load_oom

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from simulator.incident.scoring import IMPACT_CREDIT_PCT, grade_for, impact_avoided_pct, impact_avoided_text
from simulator.session.runner import run_session
from simulator.session.simulation import Simulation


def actions(*bodies):
    return [ACTION_ADAPTER.validate_python(b) for b in bodies]


def test_doing_nothing_avoids_nothing_and_is_its_own_baseline():
    _, report = run_session(load_oom(), 1, [])
    assert report.failed_requests > 0
    assert report.failed_requests_if_nothing == report.failed_requests
    assert report.impact_avoided_pct == 0.0


def test_the_reference_spares_most_of_what_doing_nothing_fails_through_the_scenarios_end():
    oom = load_oom()
    _, reference = run_session(oom, 1, oom.solution)
    _, nothing = run_session(oom, 1, [])
    assert reference.outcome == "resolved" and reference.ended_at_s < nothing.ended_at_s
    assert reference.failed_requests_if_nothing == nothing.failed_requests  # to the scenario's end
    expected = round(100 * (nothing.failed_requests - reference.failed_requests) / nothing.failed_requests, 1)
    assert reference.impact_avoided_pct == expected > 80


def test_an_unresolved_session_is_compared_at_the_same_moment():
    oom = load_oom()
    _, stopped = run_session(oom, 1, [], until=1800.0)
    assert stopped.failed_requests_if_nothing == stopped.failed_requests  # not the whole two hours


SHED = (
    {"at": "9m", "action": "ack"},
    {"at": "12m", "action": "shed_load", "service": "gateway", "percent": 80},
    {"at": "13m", "action": "status_update", "text": "throttling while the database recovers"},
    {"at": "24m", "action": "shed_load", "service": "gateway", "percent": 50},
    {"at": "30m", "action": "shed_load", "service": "gateway", "percent": 20},
)


def test_shedding_through_a_slow_recovery_earns_a_letter_without_a_resolve():
    scenario, _ = load_by_ref("cache-stampede-db-overload")
    _, report = run_session(scenario, 1, actions(*SHED))
    assert report.outcome == "unresolved"
    assert report.impact_avoided_pct >= IMPACT_CREDIT_PCT
    assert report.penalties == []
    assert report.grade == "D"  # F for an unresolved attempt, one letter back for the users spared


def test_the_credit_is_for_slow_recoveries_only():
    assert grade_for("resolved", 100.0, 100.0, 0, 99.0) == "A"
    assert grade_for("resolved", 140.0, 100.0, 0, 99.0) == "B"  # already fast: nothing to earn back
    assert grade_for("resolved", 190.0, 100.0, 0, 99.0) == "B"  # C by time, spared users
    assert grade_for("resolved", 190.0, 100.0, 0, IMPACT_CREDIT_PCT - 0.1) == "C"
    assert grade_for("unresolved", None, 100.0, 0, None) == "F"
    assert grade_for("mitigated", None, 100.0, 0, 70.0) == "C"


def test_avoided_is_negative_when_the_attempt_made_it_worse_and_null_when_nothing_fails():
    assert impact_avoided_pct(150.0, 100.0) == -50.0
    assert impact_avoided_pct(0.0, 0.0) is None
    assert impact_avoided_pct(0.0, None) is None
    assert impact_avoided_pct(0.0, 100.0) == 100.0


def test_the_impact_avoided_sentence_claims_nothing_past_the_sessions_end():
    """A session cut short (at T+0, say) compares against doing nothing to the same moment: that nobody is hurt
    by then says nothing of the scenario's later failures, so the sentence is bounded by the session's end."""

    def text(nothing, avoided):
        return impact_avoided_text(SimpleNamespace(failed_requests_if_nothing=nothing, impact_avoided_pct=avoided))

    assert text(0, None) == "none to avoid: with nobody acting, no request fails by the session's end either"
    assert text(1000, 25.0) == "25 % of 1,000 failures if nobody acted"
    assert text(1000, -50.0) == "none: 50 % more failures than if nobody acted (1,000)"
    assert text(None, None) == "not measured"


def test_data_lost_is_reported_and_costs_a_letter():
    oom = load_oom()
    sim = Simulation(oom, 1)
    for action in oom.solution:
        sim.run_until(action.at)
        sim.apply(action)
        if action.action == "rollback_deploy":
            sim.world.data_lost_records += 1234.4  # what a destructive command would add (simulator/world)
    report = sim.score()
    assert report.data_lost == 1234
    assert "data lost: 1,234 writes no surviving copy holds" in report.penalties
    _, clean = run_session(oom, 1, oom.solution)
    assert clean.data_lost == 0
    assert "ABCDF".index(report.grade) == "ABCDF".index(clean.grade) + 1


def test_a_live_score_advances_the_baseline_and_agrees_with_a_fresh_one():
    oom = load_oom()
    sim = Simulation(oom, 1)
    sim.run_until(1200)
    early = sim.score()
    sim.run_until(2400)
    later = sim.score()
    fresh = Simulation(oom, 1)
    fresh.run_until(2400)
    assert early.failed_requests_if_nothing <= later.failed_requests_if_nothing
    assert later.failed_requests_if_nothing == fresh.score().failed_requests_if_nothing


def test_the_json_report_has_the_impact_fields(capsys):
    from tui.cli import main

    assert main(["run", "checkout-oom-leak", "--solution", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["data_lost"] == 0 and report["impact_avoided_pct"] > 80
    for key in ("scenario", "seed", "outcome", "impact_start_s", "ttd_s", "tta_s", "ttm_s", "ttr_s"):
        assert key in report
    for key in ("error_budget_burned_pct", "failed_requests", "harmful_actions", "grade"):
        assert key in report


def test_shared_baselines_replay_each_scenario_seed_and_time_once_with_the_same_answers(monkeypatch):
    """Inside shared_baselines (the golden tests, the journal fuzzer) sessions of the same scenario
    content and seed share one replay per time; a seed, a time or a scenario of its own gets its own
    replay, and every answer is the one a fresh replay gives."""
    from simulator.session import impact

    replays: list[tuple[str, float]] = []
    real = impact.NobodyActing._replayed

    def counted(self, until):
        replays.append((self._key()[0][:40], until))
        return real(self, until)

    monkeypatch.setattr(impact.NobodyActing, "_replayed", counted)
    oom, cert = load_oom(), load_by_ref("cert-expiry")[0]
    plays = [(oom, 1, 900.0), (oom, 1, 900.0), (oom, 2, 900.0), (oom, 1, 600.0), (cert, 1, 900.0), (oom, 1, 900.0)]

    # Somebody acts (a status update: it changes nothing simulated), so each session needs its baseline.
    said = actions({"at": "1m", "action": "status_update", "text": "looking into it"})

    def baselines() -> list[int | None]:
        return [run_session(sc, seed, said, until=until)[1].failed_requests_if_nothing for sc, seed, until in plays]

    fresh = baselines()
    assert len(replays) == len(plays)
    assert len(set(fresh)) == 4, fresh  # the seeds, times and scenarios give different answers
    replays.clear()
    with impact.shared_baselines() as answers:
        assert baselines() == fresh
    assert [until for _, until in replays] == [900.0, 900.0, 600.0, 900.0], "a repeat was replayed again"
    assert len(answers) == 4
    replays.clear()
    assert baselines() == fresh and len(replays) == len(plays), "outside the block nothing is shared"


def counted_replays(monkeypatch) -> list[float]:
    """The horizons of the replays with nobody acting that scoring plays from now on (appended as they run)."""
    from simulator.session import impact

    replays: list[float] = []
    real = impact.NobodyActing._replayed

    def counted(self, until):
        replays.append(until)
        return real(self, until)

    monkeypatch.setattr(impact.NobodyActing, "_replayed", counted)
    return replays


def test_doing_nothing_scored_inside_shared_baselines_is_the_baseline_of_its_seed(monkeypatch):
    """Inside shared_baselines a session nobody acted in, scored where it stands, gives its own count to
    later sessions of the same scenario and seed at that time (the golden tests play doing nothing first):
    the reference is then spared against it without a replay, with the answer a replay gives."""
    from simulator.session import impact

    oom = load_oom()
    _, alone = run_session(oom, 1, oom.solution)
    replays = counted_replays(monkeypatch)
    with impact.shared_baselines() as answers:
        _, nothing = run_session(oom, 1, ())
        assert replays == [] and list(answers.values()) == [pytest.approx(nothing.failed_requests, abs=0.5)]
        _, reference = run_session(oom, 1, oom.solution)
        assert replays == [], "the reference replayed what doing nothing had just played"
        run_session(oom, 2, oom.solution)
        assert replays == [oom.duration], "another seed is replayed"
    assert reference == alone
    assert reference.failed_requests_if_nothing == nothing.failed_requests
    run_session(oom, 1, ())  # outside a block: nothing is kept
    assert len(answers) == 2 and replays == [oom.duration]


def test_a_session_nobody_acted_in_is_its_own_baseline_without_a_replay(monkeypatch):
    """Nobody acted and the session stands at its horizon: its own count is the replay's answer (three
    scenarios read along at three times, against a forced replay); a session that ended and played on,
    or one where somebody acted, is replayed."""
    from simulator.session import impact, simulation

    replays = counted_replays(monkeypatch)
    compared: list[float | None] = []  # what each score compared with, unrounded

    made = simulation.ImpactFacts

    def facts(nothing, lost):
        compared.append(nothing)
        return made(nothing, lost)

    monkeypatch.setattr(simulation, "ImpactFacts", facts)
    refs = ("checkout-oom-leak", "cert-expiry", "retry-storm")
    for ref in refs:
        scenario = load_by_ref(ref)[0]
        sim, forced = Simulation(scenario, 3), impact.NobodyActing(lambda sc=scenario: Simulation(sc, 3))
        for t in (900.0, 1500.0, 2400.0):
            sim.run_until(t)
            sim.logs()  # read along, as a console does: reading changes nothing simulated
            sim.score()
            assert compared[-1] == forced.failed_requests(t), (ref, t)
    assert len(replays) == 3 * len(refs), "the sessions' own scores replayed"
    oom = load_oom()
    ended = Simulation(oom, 1)
    ended.run_until(1200.0)
    ended.end("time_up")
    ended.run_until(2400.0)  # played on past its end: the report is at 1200 s, this run is not
    fresh = Simulation(oom, 1)
    fresh.run_until(1200.0)
    ended.score()
    assert compared[-1] == fresh.failed_user_requests != ended.failed_user_requests
    assert len(replays) == 3 * len(refs) + 1
