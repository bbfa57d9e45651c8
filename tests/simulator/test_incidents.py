"""The session's incidents (issue 14, deliverable 4): alerts grouped by service and time, each incident
with its own pages, acknowledgement, severity, roles and a status judged from the simulated system."""

from __future__ import annotations

import pytest

from scenarios.language.actions import ACTION_ADAPTER
from simulator.incident import GROUP_WINDOW_SECONDS, group_incidents
from simulator.incident.process import DEGRADED, DOWN, HEALTHY
from simulator.session.simulation import Simulation
from simulator.views import AlertView, IncidentView, PageView


def open_incident(state: str = "open", severity: str | None = None, roles=None, **extra) -> IncidentView:
    return IncidentView(state, severity, roles or {}, (), (), (), None, (), (), **extra)


def alert(name: str, service: str, fired: float | None, state: str = "firing") -> AlertView:
    return AlertView(name, service, "page", state, "", fired or 0.0, fired, None, 0.0)


def page(number: int, name: str, t: float, acked: float | None = None, escalated: float | None = None) -> PageView:
    return PageView(number, name, "page", t, acked, escalated, "you")


def act(sim: Simulation, **fields) -> str:
    result = sim.apply(ACTION_ADAPTER.validate_python(fields))
    assert result.accepted, result.message
    return result.message


def test_one_cause_one_incident():
    alerts = [alert("CheckoutErrors", "checkout", 60.0), alert("FrontendErrors", "frontend", 120.0)]
    (only,) = group_incidents(open_incident(), alerts, [page(1, "CheckoutErrors", 60.0, acked=90.0)])
    assert only.number == 1 and only.opened_at == 60.0 and only.firing == 2
    assert only.alerts == ("CheckoutErrors checkout", "FrontendErrors frontend") and only.pages == (1,)
    assert only.status == "acknowledged" and only.acknowledgement == "in time"


def test_a_later_alert_on_another_service_opens_a_second_incident_with_its_own_ack():
    late = 60.0 + GROUP_WINDOW_SECONDS + 1
    alerts = [
        alert("OrdersErrorRateHigh", "orders", 60.0),
        alert("CertExpiring", "payments", late),
        alert("OrdersLatency", "orders", late + 5),  # same service as incident 1: joins it, however late
        alert("NotYet", "inventory", None),  # pending alerts belong to no incident
    ]
    pages = [
        page(1, "OrdersErrorRateHigh", 60.0, acked=120.0),
        page(2, "CertExpiring", late, acked=late + 400.0, escalated=late + 300.0),
    ]
    first, second = group_incidents(open_incident(), alerts, pages)
    assert first.alerts == ("OrdersErrorRateHigh orders", "OrdersLatency orders") and first.pages == (1,)
    assert second.alerts == ("CertExpiring payments",) and second.pages == (2,)
    assert (first.acknowledgement, second.acknowledgement) == ("in time", "after escalation")
    assert second.opened_at == late


def test_status_follows_each_incidents_pages_alerts_and_the_sli():
    alerts = [alert("A", "svc-a", 10.0), alert("B", "svc-b", 10.0 + GROUP_WINDOW_SECONDS - 1)]
    assert len(group_incidents(open_incident(), alerts, [])) == 1
    alerts = [alert("A", "svc-a", 10.0), alert("B", "svc-b", 10.0 + GROUP_WINDOW_SECONDS)]
    a, b = group_incidents(open_incident(), alerts, [page(1, "A", 10.0, escalated=310.0)])
    assert (a.status, a.escalated) == ("triggered", True) and (b.status, b.escalated) == ("triggered", False)
    cleared = [alert("A", "svc-a", 10.0, state="resolved")]
    acked = [page(1, "A", 10.0, acked=20.0)]
    (only,) = group_incidents(open_incident(), cleared, acked, sli_settled=False)
    assert only.status == "acknowledged", "alerts quiet but the SLI has not held yet: not mitigated"
    (only,) = group_incidents(open_incident(), cleared, acked, sli_settled=True)
    assert only.status == "mitigated"
    (only,) = group_incidents(open_incident(), alerts[:1], acked, sli_settled=True)
    assert only.status == "acknowledged", "a firing alert: not mitigated, whatever the SLI"
    (only,) = group_incidents(open_incident("resolved"), cleared, acked, sli_settled=True)
    assert only.status == "resolved"


def test_severity_and_roles_per_incident_fall_back_to_the_sessions_then_the_default_holder():
    alerts = [alert("A", "svc-a", 10.0), alert("B", "svc-b", 10.0 + GROUP_WINDOW_SECONDS)]
    view = open_incident(
        severity="SEV1",
        roles={"comms": "@kim"},
        severity_for_all="SEV3",
        incident_severity={2: "SEV1"},
        incident_roles={2: {"imoc": "@ana"}},
    )
    first, second = group_incidents(view, alerts, [], holders={"imoc": "you", "comms": "you", "tloc": "you"})
    assert (first.severity, second.severity) == ("SEV3", "SEV1")
    assert first.roles == (("imoc", "you"), ("comms", "@kim"), ("tloc", "you"))
    assert second.roles == (("imoc", "@ana"), ("comms", "@kim"), ("tloc", "you"))
    (bare,) = group_incidents(open_incident(), alerts[:1], [])
    assert bare.roles == (("imoc", ""), ("comms", ""), ("tloc", "")), "no default holder given: nobody named"


def _first_page(sim: Simulation) -> None:
    while not sim.pages():
        sim.run_until(sim.env.now + 15)


def _statuses(sim: Simulation) -> list[str]:
    return [i.status for i in sim.incidents()]


def test_status_is_driven_by_the_simulated_system_not_by_the_trainees_claim(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    assert sim.incidents() == ()
    _first_page(sim)
    assert _statuses(sim)[0] == "triggered"
    act(sim, action="ack")
    assert _statuses(sim)[0] == "acknowledged", "acknowledging the page acknowledges the incident"
    claim = sim.apply(ACTION_ADAPTER.validate_python({"action": "resolve", "summary": "it is fine"}))
    assert "reopened" in claim.message
    assert _statuses(sim)[0] == "acknowledged", "a premature resolve changes nothing"
    act(sim, action="rollback_deploy", service="checkout")
    while _statuses(sim)[0] != "mitigated":
        assert sim.env.now < 3600, "the rollback never mitigated the incident"
        sim.run_until(sim.env.now + 15)
    assert sim.sli.healthy_streak(sim.env.now) >= oom_scenario.resolution.healthy_for
    assert all(a.state == "resolved" for a in sim.alert_list(True) if a.service == "checkout")
    act(sim, action="resolve")
    assert _statuses(sim)[0] == "resolved"
    entry = sim.score().incidents[0]
    assert entry["status"] == "resolved" and entry["acknowledgement"] == "in time"


def test_a_resolve_while_alerts_still_fire_is_not_resolved(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    _first_page(sim)
    act(sim, action="ack")
    sim.run_until(sim.env.now + 1200)
    sim.apply(ACTION_ADAPTER.validate_python({"action": "resolve"}))
    assert sim.incident.state == "open" and _statuses(sim)[0] == "acknowledged"
    assert "resolved" not in _statuses(sim), "the noise ticket's incident is not resolved by a claim either"


@pytest.mark.parametrize(
    ("ack_after", "wording"),
    [(30.0, "in time"), (1200.0, "after escalation"), (None, "never")],
)
def test_each_incidents_acknowledgement_is_reported_as_it_happened(oom_scenario, ack_after, wording):
    sim = Simulation(oom_scenario, seed=7)
    _first_page(sim)
    if ack_after is not None:
        sim.run_until(sim.pages()[0].t + ack_after)
        act(sim, action="ack")
    sim.run_until(sim.env.now + 120)
    (first, *_rest) = sim.score().incidents
    assert first["acknowledgement"] == wording and first["pages"] == [1]


def test_severity_and_roles_can_be_set_for_one_incident(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    refused = sim.apply(
        ACTION_ADAPTER.validate_python({"action": "set_severity", "severity": "SEV1", "incident_number": 1})
    )
    assert not refused.accepted and "no incident #1" in refused.message and "no alert has fired" in refused.message
    _first_page(sim)
    assert act(sim, action="set_severity", severity="SEV2", incident_number=1) == "incident #1 severity unset -> SEV2"
    assert act(sim, action="assign_role", role="comms", person="@kim", incident_number=1).endswith("of incident #1")
    act(sim, action="assign_role", role="imoc", person="@sam")
    (first, *_rest) = sim.incidents({"imoc": "you", "comms": "you", "tloc": "you"})
    assert first.severity == "SEV2" and dict(first.roles) == {"imoc": "@sam", "comms": "@kim", "tloc": "you"}
    sim.run_until(1800.0)  # the disk ticket opens incident #2: it has no severity of its own
    first, second = sim.incidents()
    assert (first.severity, second.severity) == ("SEV2", None), "#1's severity is not every incident's"
    act(sim, action="set_severity", severity="SEV3")
    first, second = sim.incidents()
    assert (first.severity, second.severity) == ("SEV2", "SEV3"), "declared for all: those without their own"
    report = sim.score()
    assert report.severity_declared == "SEV3", "the session's declared severity is the latest declared"
    assert report.incidents[0]["roles"] == {"imoc": "@sam", "comms": "@kim", "tloc": None}
    assert report.incidents[0]["severity_declared"] == "SEV2"
    with pytest.raises(ValueError):
        ACTION_ADAPTER.validate_python({"action": "set_severity", "severity": "SEV2", "incident_number": 0})


def test_the_sims_severity_assessment_reads_the_worst_sli_band_while_the_incident_was_open(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    sim.sli.bands = [(0.0, HEALTHY), (100.0, DEGRADED), (200.0, DOWN), (260.0, HEALTHY)]
    assert sim.sli.worst_band(0.0, 99.0) == HEALTHY
    assert sim.sli.worst_band(150.0, 190.0) == DEGRADED
    assert sim.sli.worst_band(150.0, 210.0) == DOWN
    assert sim.sli.worst_band(300.0, 900.0) == HEALTHY


def test_the_report_gains_per_incident_entries_and_keeps_its_fields(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    sim.run_until(1800.0)
    report = sim.score(impact=False).as_dict()
    for name in ("scenario", "seed", "outcome", "impact_start_s", "ttd_s", "tta_s", "ttm_s", "ttr_s"):
        assert name in report
    first = report["incidents"][0]
    assert set(first) == {
        "number",
        "opened_at_s",
        "alerts",
        "pages",
        "status",
        "acknowledgement",
        "acknowledgement_said",
        "severity_declared",
        "severity_assessed",
        "roles",
    }
    assert first["alerts"] == ["KubePodCrashLooping checkout"] and first["status"] == "triggered"
    # Checkout fails in bursts while the rest of the shop works: degraded, as the scenario's author says.
    assert first["severity_assessed"] == oom_scenario.postmortem.expected_severity == "SEV2"
    assert sim.sli.bands[0] == (0.0, HEALTHY) and max(b for _, b in sim.sli.bands) == DEGRADED


def test_a_real_session_reports_its_noise_ticket_as_a_second_incident():
    from tui.session import LocalSession

    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(1800.0)
    session.end_now()
    incidents = session.debrief().truth["incidents"]
    assert [i["alerts"] for i in incidents] == [["KubePodCrashLooping checkout"], ["DiskSpaceLow catalog-db"]]
    assert incidents[0]["acknowledgement"] == "never" and incidents[1]["acknowledgement"] == "no page"
    assert incidents[0]["roles"] == {"imoc": "you", "comms": "you", "tloc": "you"}, "solo: the trainee holds them"


def test_a_shift_step_keeps_its_incident_apart_from_the_actions_incident_number():
    """A shift's ``incident: N`` picks the shift's incident; the action's ``incident_number`` picks one of the
    incidents inside it: a journal round trip keeps both."""
    from simulator.shift.steps import step_from_data

    step = step_from_data({"incident": 2, "action": "set_severity", "severity": "SEV1", "incident_number": 1}, 60.0)
    assert step.incident == 2 and step.action.incident_number == 1
    assert step_from_data(step.as_data(), 60.0) == step
