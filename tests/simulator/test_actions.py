"""Actions: validation, delayed effects, harm, resolve judged on the world, alerts and pages."""

from __future__ import annotations

import pytest
from simkit import sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.simulation import Simulation


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def web(spec: dict) -> dict:
    return spec["topology"]["services"][0]


def two_service_spec() -> dict:
    spec = tiny(faults=[{"type": "bad_deploy", "at": "30s", "service": "web", "version": "v2", "error_rate": 0.3}])
    spec["topology"]["flags"] = [{"name": "new-checkout", "enabled": False}]
    web(spec).update(replicas=6, capacity_rps=1000)
    return spec


def snapshot(sim: Simulation) -> tuple:
    """Everything an action could change, as immutable views."""
    return (
        tuple(sim.services()),
        tuple(sim.instances()),
        tuple(sim.change_log()),
        tuple(sim.operation_list()),
        tuple(sim.timeline()),
        tuple(sorted(sim.flags().items())),
        tuple(tuple(sim.drained_zones(n)) for n in sim.service_names()),
        sim.incident_view(),
        sim.score(),
    )


REJECTED = [
    ({"action": "rollback_deploy", "service": "nope"}, "unknown service 'nope'"),
    ({"action": "restart", "service": "ghost"}, "unknown service 'ghost'"),
    ({"action": "restart", "service": "web", "instance": "web-xyz"}, "no instance 'web-xyz'"),
    ({"action": "scale", "service": "ghost", "replicas": 4}, "unknown service"),
    ({"action": "drain_zone", "zone": "zone-z"}, "unknown zone 'zone-z'"),
    ({"action": "undrain_zone", "zone": "zone-a"}, "not drained"),
    ({"action": "feature_flag", "flag": "no-such-flag", "enabled": True}, "unknown flag 'no-such-flag'"),
    ({"action": "feature_flag", "flag": "new-checkout", "enabled": False}, "already off"),
    ({"action": "rollback_deploy", "service": "web", "to": "v9"}, "never ran 'v9'"),
    ({"action": "rollback_config", "service": "web"}, "no earlier config"),
    ({"action": "set_memory_limit", "service": "web", "limit_mb": 100}, "below"),
    ({"action": "fallback", "service": "web", "dependency": "web"}, "does not call"),
    ({"action": "ack", "page": 42}, "no open page #42"),
    ({"action": "hypothesis", "op": "confirm", "id": 7}, "no hypothesis #7"),
]


@pytest.mark.parametrize(
    ("fields", "reason"), REJECTED, ids=[f["action"] + str(i) for i, (f, _) in enumerate(REJECTED)]
)
def test_invalid_actions_are_rejected_with_a_reason_and_change_nothing(fields, reason):
    sim = sim_of(two_service_spec())
    twin = sim_of(two_service_spec())
    sim.run_until(120)
    twin.run_until(120)
    before = snapshot(sim)
    result = sim.apply(act(**fields))
    assert not result.accepted
    assert reason in result.message
    assert snapshot(sim) == before
    # ... and nothing changes later either: the run matches a twin that never saw the action.
    sim.run_until(300)
    twin.run_until(300)
    assert snapshot(sim) == snapshot(twin)


def test_scaling_takes_startup_time():
    sim = sim_of(two_service_spec())
    sim.run_until(200)
    assert sim.apply(act(action="scale", service="web", replicas=9)).accepted
    sim.advance(1)
    view = sim.services()[0]
    assert sum(view.versions.values()) == 9 and view.ready == 6
    sim.advance(15)
    assert sim.services()[0].ready == 9


@pytest.mark.parametrize(
    ("fields", "delay"),
    [
        ({"action": "rate_limit", "service": "web", "rps": 200}, 5),
        ({"action": "shed_load", "service": "web", "percent": 10}, 5),
    ],
)
def test_edge_changes_propagate_after_a_delay(fields, delay):
    sim = sim_of(tiny())
    sim.run_until(60)
    assert sim.apply(act(**fields)).accepted
    sim.advance(delay - 1)
    assert sim.services()[0].error_ratio == 0.0
    sim.advance(3)
    assert sim.services()[0].error_ratio == pytest.approx(1 / 3 if "rps" in fields else 0.1)


def test_feature_flag_flips_after_propagation():
    sim = sim_of(two_service_spec())
    sim.run_until(60)
    assert sim.apply(act(action="feature_flag", flag="new-checkout", enabled=True)).accepted
    assert sim.flags()["new-checkout"] is False
    sim.advance(11)
    assert sim.flags()["new-checkout"] is True
    assert sim.change_log()[-1].kind == "flag"


def test_restart_all_at_once_is_harmful_and_drops_capacity():
    sim = sim_of(tiny())
    sim.run_until(60)
    result = sim.apply(act(action="restart", service="web", mode="all"))
    assert result.accepted and result.harmful
    assert sim.services()[0].ready == 0
    sim.advance(3)
    assert sim.services()[0].error_ratio == 1.0
    assert sim.log_store.query(text="no healthy upstream")
    sim.advance(20)
    assert sim.services()[0].ready == 3 and sim.services()[0].error_ratio == 0.0
    report = sim.score()
    assert report.harmful_actions == 1 and report.harmful[0]["action"] == "restart"


def test_rolling_restart_keeps_capacity_and_is_not_harmful():
    sim = sim_of(tiny())
    sim.run_until(60)
    result = sim.apply(act(action="restart", service="web"))
    assert result.accepted and result.harmful is None
    for _ in range(60):
        sim.advance(1)
        assert sim.services()[0].ready >= 3
        assert sim.services()[0].error_ratio == 0.0


def test_scenario_trap_counts_as_harmful(oom_scenario):
    sim = Simulation(oom_scenario, seed=3)
    sim.run_until(120)
    result = sim.apply(act(action="restart", service="checkout", mode="all"))
    assert result.accepted
    assert "restarting every pod at once" in result.harmful


def test_premature_resolve_reopens_and_counts():
    sim = sim_of(two_service_spec())
    sim.run_until(200)
    result = sim.apply(act(action="resolve"))
    assert "reopened" in result.message
    assert sim.incident_view().state == "open" and not sim.finished
    assert any(e.kind == "reopened" for e in sim.timeline())
    report = sim.score()
    assert report.premature_resolves == 1 and report.outcome == "unresolved" and report.ttr_s is None


def test_resolve_after_the_fix_and_healthy_for_is_resolved():
    sim = sim_of(two_service_spec())
    sim.run_until(200)
    assert sim.apply(act(action="rollback_deploy", service="web")).accepted
    sim.run_until(320)
    early = sim.apply(act(action="resolve"))
    assert "reopened" in early.message, "the fix is in but the SLI has not been healthy for 2m yet"
    sim.run_until(450)
    result = sim.apply(act(action="resolve", summary="rolled back v2"))
    assert result.accepted and "resolved" in result.message and "reopened" not in result.message
    assert sim.finished and sim.incident_view().state == "resolved"
    report = sim.score()
    assert report.outcome == "resolved" and report.premature_resolves == 1
    assert report.ttr_s == pytest.approx(450 - report.impact_start_s)
    after = sim.apply(act(action="note", text="late"))
    assert not after.accepted
    now = sim.now
    sim.advance(100)
    assert sim.now == now, "a resolved session does not advance"


# --- alerts and pages --------------------------------------------------------------------------------


def alert_spec(for_: str = "60s", ack_timeout: str = "5m") -> dict:
    spec = two_service_spec()
    spec["alerting"] = {
        "slo_burn_alerts": False,
        "ack_timeout": ack_timeout,
        "rules": [
            {
                "name": "WebErrors",
                "service": "web",
                "metric": "error_ratio",
                "threshold": 0.05,
                "window": "30s",
                "for": for_,
            }
        ],
    }
    return spec


def rule_state(sim: Simulation) -> str:
    live = [a for a in sim.alert_list(include_resolved=False) if a.name == "WebErrors"]
    if live:
        return live[0].state
    done = [a for a in sim.alert_list() if a.name == "WebErrors"]
    return done[0].state if done else "inactive"


def test_alert_goes_pending_then_firing_then_resolved():
    sim = sim_of(alert_spec())
    states: list[tuple[float, str]] = []
    for t in range(5, 600, 5):
        sim.run_until(t)
        if t == 200:
            sim.apply(act(action="rollback_deploy", service="web"))
        if not states or states[-1][1] != rule_state(sim):
            states.append((t, rule_state(sim)))
    assert [s for _, s in states] == ["inactive", "pending", "firing", "resolved"]
    pending_at, firing_at = states[1][0], states[2][0]
    assert firing_at - pending_at >= 60
    fired = [a for a in sim.alert_list() if a.state == "resolved"][0]
    assert fired.fired_at is not None and fired.resolved_at > fired.fired_at
    assert [p.alert for p in sim.pages()] == ["WebErrors"]


def test_a_pending_alert_resets_when_its_condition_clears_before_its_for_window():
    # Shedding half of web's requests fails them (error ratio 0.5 > 0.05) for 45 s at a time; the
    # rule needs 120 s. The first episode goes pending and back to inactive without firing; the
    # second starts its own window (a pending state that outlived its condition would fire at once).
    spec = tiny()
    spec["alerting"] = {
        "slo_burn_alerts": False,
        "rules": [{"name": "WebErrors", "service": "web", "metric": "error_ratio", "threshold": 0.05, "window": "30s"}],
    }
    spec["alerting"]["rules"][0]["for"] = "2m"
    sim = sim_of(spec)
    states: list[tuple[float, str, float | None]] = []
    for t in range(5, 900, 5):
        sim.run_until(t)
        if t in (100, 300):
            sim.apply(act(action="shed_load", service="web", percent=50))
        if t in (150, 700):
            sim.apply(act(action="shed_load", service="web", percent=0))
        live = [a for a in sim.alert_list(include_resolved=False) if a.name == "WebErrors"]
        state = live[0].state if live else "inactive"
        if not states or states[-1][1] != state:
            states.append((t, state, live[0].since if live else None))
    assert [s for _, s, _ in states] == ["inactive", "pending", "inactive", "pending", "firing", "inactive"]
    (_, _, first), (cleared, _, _), (_, _, second), (fired, _, _) = states[1:5]
    assert cleared - first < 120, "the first episode cleared inside its for: window"
    assert second > cleared and fired - second >= 120, "the second episode waited a whole window of its own"
    assert [p.alert for p in sim.pages()] == ["WebErrors"] and sim.pages()[0].t >= second + 120


def test_unacknowledged_page_escalates_after_ack_timeout():
    sim = sim_of(alert_spec(for_="0s", ack_timeout="3m"))
    sim.run_until(1000)
    page = sim.pages()[0]
    assert page.acked_at is None
    assert page.escalated_at == pytest.approx(page.t + 180)
    assert any(e.kind == "page" and "escalated" in e.text for e in sim.timeline())
    assert "page not acknowledged within the acknowledgement SLA" in sim.score().penalties


def test_ack_stops_escalation():
    sim = sim_of(alert_spec(for_="0s", ack_timeout="3m"))
    sim.run_until(120)
    page = sim.pages()[0]
    result = sim.apply(act(action="ack"))
    assert result.accepted and f"page #{page.number}" in result.message
    sim.run_until(1000)
    page = sim.pages()[0]
    assert page.acked_at == 120 and page.escalated_at is None
    assert not any("escalated" in e.text for e in sim.timeline())
    assert sim.score().tta_s == pytest.approx(120 - page.t)


def test_the_change_log_names_the_seat_that_acted():
    """ "you" for the trainee playing alone; in a game day the seat, so no seat reads "you" for another's change."""
    sim = sim_of(two_service_spec())
    sim.run_until(60)
    assert sim.apply(act(action="scale", service="web", replicas=8)).accepted
    assert sim.apply(act(action="feature_flag", flag="new-checkout", enabled=True), "tloc:alice").accepted
    assert sim.apply(act(action="rollback_deploy", service="web"), "ops:bo").accepted
    mine = [(c.kind, c.by) for c in sim.change_log() if c.t >= 60]
    assert mine == [("scale", "you"), ("flag", "tloc:alice"), ("rollback", "ops:bo")]
