"""How the page was acknowledged (issue 14, deliverable 4): in time, after escalation or never; the
postmortem's sentence follows what happened."""

from __future__ import annotations

from scenarios.language.actions import ACTION_ADAPTER
from simulator.incident.acknowledgement import acknowledgement
from simulator.reports.postmortem import _summary
from simulator.session.simulation import Simulation
from simulator.views import PageView


def page(acked: float | None, escalated: float | None) -> PageView:
    return PageView(1, "KubePodCrashLooping", "page", 100.0, acked, escalated, "you")


def test_outcomes_from_pages():
    assert acknowledgement([]) == "no page"
    assert acknowledgement([page(150.0, None)]) == "in time"
    assert acknowledgement([page(500.0, 400.0)]) == "after escalation"
    assert acknowledgement([page(150.0, None), page(None, 400.0)]) == "never"
    assert acknowledgement([page(150.0, None), page(500.0, 400.0)]) == "after escalation"


def _ack_at(oom_scenario, t: float) -> Simulation:
    sim = Simulation(oom_scenario, seed=7)
    sim.run_until(t)
    sim.apply(ACTION_ADAPTER.validate_python({"action": "ack"}))
    sim.run_until(t + 60)
    return sim


def test_a_late_ack_is_after_escalation_and_the_postmortem_says_so(oom_scenario):
    early = _ack_at(oom_scenario, oom_scenario_first_page(oom_scenario) + 30)
    assert acknowledgement(early.pages()) == "in time"
    late = _ack_at(oom_scenario, oom_scenario_first_page(oom_scenario) + 20 * 60)
    first = late.pages()[0]
    assert first.escalated_at is not None and first.acked_at > first.escalated_at
    assert acknowledgement(late.pages()) == "after escalation"
    assert "only after it escalated" in _summary(late, late.score())
    assert "only after it escalated" not in _summary(early, early.score())


def oom_scenario_first_page(oom_scenario) -> float:
    sim = Simulation(oom_scenario, seed=7)
    while not sim.pages():
        sim.run_until(sim.env.now + 30)
    return sim.pages()[0].t


def test_the_clause_says_page_by_page_what_happened_when_pages_went_different_ways():
    from simulator.incident.acknowledgement import acknowledgement_clause

    first = PageView(1, "SLOBurnRateFast", "page", 450.0, 480.0, None, "you")
    second = PageView(2, "LatencySLO", "page", 825.0, None, 1125.0, "you")
    late = PageView(3, "Errors", "page", 900.0, 1300.0, 1200.0, "you")
    assert acknowledgement_clause([]) == "no page was sent"
    assert acknowledgement_clause([first]) == "the page was acknowledged in time"
    assert acknowledgement_clause([first, second]) == (
        "page #1 was acknowledged in time; page #2 was never acknowledged"
    )
    assert acknowledgement_clause([late]) == "the page was acknowledged only after it escalated to the secondary"
    assert acknowledgement_clause([second, second]) == "the pages were never acknowledged"
