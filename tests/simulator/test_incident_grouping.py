"""One incident over its alerts (issue 14, deliverable 4): its alerts, status from the pages, severity, roles."""

from __future__ import annotations

from scenarios.language.actions import ACTION_ADAPTER
from simulator.incident.grouping import incident_summary
from simulator.session.simulation import Simulation


def summary(sim: Simulation):
    return incident_summary(sim.incident_view(), sim.alert_list(include_resolved=True), sim.pages())


def act(sim: Simulation, **fields) -> None:
    assert sim.apply(ACTION_ADAPTER.validate_python(fields)).accepted


def test_the_incident_groups_fired_alerts_and_follows_its_pages(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    assert summary(sim).status == "no page yet" and summary(sim).alerts == ()
    while not sim.pages():
        sim.run_until(sim.env.now + 15)
    first = summary(sim)
    assert first.status == "paged"
    assert first.alerts[0] == sim.pages()[0].alert, "named as the page names it, the service once"
    act(sim, action="ack")
    assert summary(sim).status == "acknowledged", "acknowledging the page acknowledges the incident"
    act(sim, action="set_severity", severity="SEV2")
    act(sim, action="assign_role", role="imoc", person="@sam")
    s = summary(sim)
    assert s.severity == "SEV2" and ("imoc", "@sam") in s.roles


def test_an_unacknowledged_page_escalates_the_incident(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    while not sim.pages() or sim.pages()[0].escalated_at is None:
        sim.run_until(sim.env.now + 30)
    assert summary(sim).status == "escalated"
    act(sim, action="ack")
    assert summary(sim).status == "acknowledged"
