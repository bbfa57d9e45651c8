"""The first half of the scenario library: each scenario loads, varies by seed, and its telemetry
carries the lesson it is built around (checked on the simulated system, not on the YAML)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from scenarios.loader import load_scenario_text
from simulator.session.simulation import Simulation

PART1 = ["retry-storm", "db-pool-exhaustion", "cert-expiry", "disk-full-debug-logging", "self-dos-client-release"]
README = Path(__file__).resolve().parents[2] / "scenarios" / "README.md"


@cache
def _loaded(scenario_id: str):
    scenario, _ = load_by_ref(scenario_id)
    return scenario


def _scenario(scenario_id: str, seed: int = 1):
    return _loaded(scenario_id).for_seed(seed)


def _onset(sim: Simulation) -> float:
    """The seeded onset of the scenario's first fault (hidden truth)."""
    return sim.hidden_truth()["faults"][0]["onset_s"]


def _act(sim: Simulation, at: float, **action) -> None:
    sim.run_until(at)
    result = sim.apply(ACTION_ADAPTER.validate_python(action))
    assert result.accepted, result.message


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


@pytest.mark.parametrize("scenario_id", PART1)
def test_scenario_loads_with_the_material_a_trainee_needs(scenario_id):
    sc = _scenario(scenario_id)
    assert sc.id == scenario_id and sc.inspired_by
    assert sc.root_cause.red_herrings and len(sc.root_cause.five_whys) >= 4
    assert sc.hints and sc.postmortem.action_items and sc.postmortem.lessons
    assert sc.runbooks and sc.evidence and sc.traps
    kinds = {m.kind for m in sc.messages}
    assert {"clue", "noise", "question"} <= kinds
    assert all(m.expects for m in sc.messages if m.kind == "question")
    assert sc.noise, "every scenario has red herrings in the noise"
    # The briefing never names the fault's service-level cause outright.
    assert sc.root_cause.category.replace("_", " ") not in sc.briefing.lower()


@pytest.mark.parametrize("scenario_id", PART1)
def test_seeds_vary_what_could_be_memorised(scenario_id):
    sc = _scenario(scenario_id)
    assert sc.variables
    variants = {tuple(sorted(sc.for_seed(seed).chosen.items())) for seed in range(1, 9)}
    assert len(variants) > 1
    assert sc.faults[0].at_jitter > 0
    onsets = {round(_onset(Simulation(sc.for_seed(seed), seed))) for seed in range(1, 5)}
    assert len(onsets) > 1, "the onset moves with the seed"


def test_a_stale_runbook_is_shipped_and_the_postmortem_asks_to_update_it():
    stale = [(sid, rb) for sid in PART1 for rb in _scenario(sid).runbooks if rb.stale]
    assert stale
    for sid, rb in stale:
        items = " ".join(i.action.lower() for i in _scenario(sid).postmortem.action_items)
        assert "runbook" in items and rb.service in items


def test_readme_example_is_a_valid_winnable_scenario():
    text = re.search(r"```yaml\n(.*?)```", README.read_text(), re.S).group(1)
    sc = load_scenario_text(text, "README.md")
    assert sc.id == "tiny-bad-deploy" and sc.variables
    from simulator.session.runner import run_session

    _, report = run_session(sc, 1, sc.solution)
    assert report.outcome == "resolved"


def test_retry_storm_outlives_the_rollback_of_its_trigger_until_retries_stop():
    sc = _scenario("retry-storm", 1)
    sim = Simulation(sc, 1)
    sim.run_until(12 * 60)
    users = _mean(sim.metric("gateway", "rate").values[-60:])
    middle = _mean(sim.metric("merchant-api", "rate").values[-60:])
    dependency = _mean(sim.metric("multipass", "rate").values[-60:])
    assert 700 < users < 1300, "user traffic is flat"
    # Every call fails, so each layer makes 1 + retries attempts per call: the gateway 1 + 2 = 3 per user
    # request, merchant-api up to 1 + 3 = 4 per call (less what its full queues shed). Multipass gets
    # between 10 and 12 times the user traffic; one retry fewer or more per layer would give 6x or 20x.
    assert middle == pytest.approx(3.0 * users, rel=0.01)
    assert 10 * users < dependency < 12 * users, "multipass receives about ten times the user traffic"
    _act(sim, 12 * 60, action="rollback_deploy", service="multipass")
    sim.run_until(20 * 60)
    assert all(v != sc.faults[0].version for v in sim.services()[2].versions)
    still = _mean(sim.metric("multipass", "rate").values[-60:])
    assert still > 10 * users, "the storm survives the rollback"
    assert _mean(sim.metric("gateway", "error_ratio").values[-60:]) > 0.9
    _act(sim, 20 * 60, action="feature_flag", flag="mesh-retries", enabled=False)
    sim.run_until(24 * 60)
    assert _mean(sim.metric("multipass", "rate").values[-60:]) < 1.3 * users
    assert _mean(sim.metric("gateway", "error_ratio").values[-60:]) < 0.01


def test_pool_exhaustion_flat_p99_at_the_timeout_while_the_database_idles():
    sc = _scenario("db-pool-exhaustion", 1)
    sim = Simulation(sc, 1)
    sim.run_until(15 * 60)
    orders = sc.service("orders")
    assert min(sim.metric("orders", "pool_ratio").values[-60:]) > 1.0
    p99 = sim.metric("orders", "p99_ms").values[-60:]
    assert all(abs(v - orders.timeout * 1000) < 0.05 * orders.timeout * 1000 for v in p99)
    assert _mean(sim.metric("orders-db", "cpu").values[-60:]) < 0.4
    assert sim.logs(service="orders", text="Connection is not available", limit=1)


def test_cert_expiry_traffic_vanishes_probes_fail_edge_errors_stay_clean():
    sc = _scenario("cert-expiry", 1)
    sim = Simulation(sc, 1)
    expiry = _onset(sim)
    sim.run_until(expiry + 5 * 60)
    rate = sim.metric("api-edge", "rate").values
    before, after = _mean(rate[:300]), _mean(rate[-60:])
    assert after < 0.05 * before, "requests never arrive"
    assert _mean(sim.metric("api-edge", "error_ratio").values[-60:]) < 0.01
    assert sim.sli_status()["breaching"]
    assert sim.metric("api-edge", "probe_success").values[-1] == 0.0
    near = [c for c in sim.change_log() if c.service == "api-edge" and expiry - 600 <= c.t <= expiry + 60]
    assert not near, "nothing changed on api-edge at the cliff"


def test_disk_fills_linearly_then_writes_fail():
    sc = _scenario("disk-full-debug-logging", 1)
    sim = Simulation(sc, 1)
    sim.run_until(35 * 60)
    disk = sim.metric("payments-api", "disk_ratio")
    points = list(zip(disk.times, disk.values, strict=True))
    climb = [(t, v) for t, v in points if 0.70 <= v <= 0.95]
    assert len(climb) > 10
    (t0, v0), (tm, vm), (t1, v1) = climb[0], climb[len(climb) // 2], climb[-1]
    slope_a, slope_b = (vm - v0) / (tm - t0), (v1 - vm) / (t1 - tm)
    assert slope_a > 0 and abs(slope_a - slope_b) < 0.2 * slope_a, "a straight line"
    assert max(disk.values) >= 1.0
    assert sim.logs(service="payments-api", text="no space left on device", limit=1)


def test_self_dos_one_client_sends_most_of_the_traffic_and_a_client_limit_contains_it():
    sc = _scenario("self-dos-client-release", 1)
    client = sc.faults[0].client
    sim = Simulation(sc, 1)
    sim.run_until(16 * 60)
    edge = _mean(sim.metric("api-gw", "rate").values[-60:])
    share = sim.world.surges.get(client, 0.0) / edge
    assert share > 0.6, f"{client} sends most of the edge's traffic ({share:.0%})"
    assert _mean(sim.metric("sync-service", "error_ratio").values[-60:]) > 0.2
    _act(sim, 16 * 60, action="rate_limit", service="api-gw", client=client, rps=150)
    sim.run_until(20 * 60)
    assert not sim.sli_status()["breaching"], "the other clients are served again"
