"""Scoring definitions (DOMAIN.md) on a hand-computable scenario.

One service, one replica with ample capacity, flat noiseless traffic of 300 rps, start-up 0 s and an SLI
measured over 1 s, so every tick's figures follow from the rules:
- t=60: the bad deploy v2 (error_rate 1.0) surges one instance: ready at once, the rollout polls every 2 s;
- tick 61: old + new in rotation: error ratio 0.5 -> impact start 61;
- t=62: the old instance is terminated: error ratio 1.0;
- t=75: the rule evaluation (every 15 s, for: 0s) sees the 60 s mean above 5 % -> page at 75: TTD 14;
- t=100: ack -> TTA 25;
- t=120: rollback: tick 121 is 0.5 again, t=122 the bad instance is gone: healthy from tick 122;
- healthy_for 120 s -> TTM = 122 - 61 = 61; resolve at 250 -> TTR = 250 - 61 = 189;
- failed requests: 150 (tick 61) + 59 x 300 (62..120) + 150 (tick 121) = 18,000;
- budget: 1 % x 300 rps x 30 days = 7,776,000 requests -> 0.231 %.
"""

from __future__ import annotations

import pytest
from simkit import sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER
from simulator.incident.scoring import grade_for, outcome_of, role_parts


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def hand_spec() -> dict:
    spec = tiny(
        slo={"service": "web", "availability": 99.0, "sli_window": "1s"},
        faults=[{"type": "bad_deploy", "at": "60s", "service": "web", "version": "v2", "error_rate": 1.0}],
        alerting={
            "slo_burn_alerts": False,
            "rules": [
                {
                    "name": "Errors",
                    "service": "web",
                    "metric": "error_ratio",
                    "threshold": 0.05,
                    "window": "1m",
                    "for": "0s",
                }
            ],
        },
        par={"tta": "1m", "ttm": "2m", "ttr": "4m"},
    )
    spec["topology"]["services"][0].update(replicas=1, startup="0s", capacity_rps=1000)
    return spec


@pytest.fixture(scope="module")
def played():
    sim = sim_of(hand_spec())
    sim.run_until(100)
    assert sim.apply(act(action="ack")).accepted
    sim.run_until(120)
    assert sim.apply(act(action="rollback_deploy", service="web")).accepted
    sim.run_until(250)
    assert sim.apply(act(action="resolve")).accepted
    return sim


def test_the_error_ratio_follows_the_hand_computation(played):
    err = played.metric("web", "error_ratio", start=58, end=125)
    by_t = dict(zip(err.times, err.values, strict=True))
    assert [by_t[t] for t in (59.0, 60.0, 61.0, 62.0, 120.0, 121.0, 122.0, 125.0)] == [0, 0, 0.5, 1, 1, 0.5, 0, 0]


def test_impact_ttd_tta_ttm_ttr_match_the_definitions(played):
    report = played.score()
    assert report.impact_start_s == 61.0
    assert played.pages()[0].t == 75.0
    assert report.ttd_s == 14.0
    assert report.tta_s == 25.0
    assert report.ttm_s == 61.0
    assert report.ttr_s == 189.0
    assert report.outcome == "resolved"
    assert report.failed_requests == 18000
    assert report.error_budget_burned_pct == pytest.approx(18000 / 7_776_000 * 100, abs=1e-3)
    assert report.grade == "A"  # TTR 189 s within par 240 s, no penalties
    d = report.as_dict()
    for key in ("scenario", "seed", "outcome", "impact_start_s", "ttd_s", "tta_s", "ttm_s", "ttr_s"):
        assert key in d
    for key in ("error_budget_burned_pct", "failed_requests", "harmful_actions", "grade"):
        assert key in d


def test_no_fault_no_impact_and_nothing_to_score():
    sim = sim_of(tiny())
    sim.run_until(600)
    report = sim.score()
    assert report.impact_start_s is None and report.ttd_s is None and report.ttm_s is None
    assert report.failed_requests == 0 and report.pages == 0 and report.outcome == "unresolved"


def test_doing_nothing_is_unresolved_and_no_page_no_tta(played):
    sim = sim_of(hand_spec())
    sim.run_until(900)
    report = sim.score()
    assert report.outcome == "unresolved" and report.ttm_s is None and report.tta_s is None
    assert report.impact_start_s == 61.0 and report.ttd_s == 14.0
    assert report.grade == "F"


@pytest.mark.parametrize(
    ("outcome", "ttr", "penalties", "grade"),
    [
        ("resolved", 100, 0, "A"),
        ("resolved", 150, 0, "B"),
        ("resolved", 200, 0, "C"),
        ("resolved", 201, 0, "D"),
        ("resolved", 100, 2, "C"),
        ("mitigated", None, 0, "D"),
        ("unresolved", None, 0, "F"),
        ("resolved", 100, 9, "F"),
    ],
)
def test_grades_against_par(outcome, ttr, penalties, grade):
    assert grade_for(outcome, ttr, 100.0, penalties) == grade


def test_outcome_of():
    assert outcome_of(True, False, True) == "resolved"
    assert outcome_of(False, True, True) == "mitigated"
    assert outcome_of(False, True, False) == "unresolved"


@pytest.mark.parametrize(
    ("ttr", "par", "grade"),
    [(100, 100.0, "A"), (101, 100.0, "B"), (150, 100.0, "B"), (151, 100.0, "C"), (200, 100.0, "C"), (201, 100.0, "D")],
)
def test_grade_boundaries_sit_at_exactly_one_one_and_a_half_and_two_times_par(ttr, par, grade):
    assert grade_for("resolved", ttr, par, 0) == grade


def test_grades_without_a_par_or_a_ttr_and_penalties_below_f():
    assert grade_for("resolved", 500, 0.0, 0) == "A", "no par: any resolution is on par"
    assert grade_for("resolved", None, 100.0, 0) == "A"
    assert grade_for("mitigated", None, 100.0, 1) == "F"
    assert grade_for("unresolved", None, 100.0, 3) == "F"


def test_no_status_update_costs_a_letter_after_thirty_minutes_of_impact():
    sim = sim_of(hand_spec())
    penalty = "no status update in an incident longer than 30 minutes"
    sim.run_until(61 + 1795)  # impact started at 61 (see the module docstring)
    assert sim.score().impact_start_s == 61.0
    assert penalty not in sim.score().penalties
    sim.run_until(61 + 1805)
    assert penalty in sim.score().penalties


def test_role_parts_count_each_seats_actions():
    from simulator.views import TimelineEvent

    events = [
        TimelineEvent(100.0, "imoc:ana", "status_update", "update 1"),
        TimelineEvent(120.0, "imoc:ana", "escalate", "to db team"),
        TimelineEvent(130.0, "imoc:ana", "set_severity", "SEV2"),
        TimelineEvent(140.0, "imoc:ana", "assign_role", "bo is TLOC"),
        TimelineEvent(150.0, "imoc:ana", "note", "n"),
        TimelineEvent(200.0, "tloc:bo", "hypothesis", "h"),
        TimelineEvent(300.0, "tloc:bo", "rollback_deploy", "rolling back"),
        TimelineEvent(310.0, "tloc:bo", "note", "n"),
        TimelineEvent(400.0, "imoc:ana", "status_update", "update 2"),
        TimelineEvent(450.0, "imoc:ana", "restart", "hands on"),
        TimelineEvent(500.0, "observer:cy", "note", "watching"),
        TimelineEvent(600.0, "imoc:ana", "resolve", "done"),
        TimelineEvent(610.0, "system", "alert", "not a seat"),
        TimelineEvent(620.0, "trainee", "note", "not a role"),
    ]
    parts = role_parts(events, 61.0, 1000.0, frozenset({"rollback_deploy", "restart"}))
    assert parts == {
        "imoc": {
            "seats": ["imoc:ana"],
            "status_updates": 2,
            "longest_silence_s": 600.0,  # from the last update at 400 to the end at 1000
            "escalations": 1,
            "severity_set": True,
            "roles_assigned": 1,
            "notes": 1,
            "resolved": True,
            "hands_on": ["450s restart"],
        },
        "tloc": {
            "seats": ["tloc:bo"],
            "hypotheses": 1,
            "mitigations": ["300s rollback_deploy"],
            "first_mitigation_after_impact_s": 239.0,
            "notes": 1,
        },
        "observer": {"seats": ["observer:cy"]},
    }
    assert role_parts(events, None, 1000.0, frozenset())["imoc"]["longest_silence_s"] is None
