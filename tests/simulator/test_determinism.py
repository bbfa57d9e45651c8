"""Same seed + actions -> identical journal, report, logs and traces; property tests over random play."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simkit import chain_spec, sim_of

from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.journal import END_UNTIL, Journal, read_journal
from simulator.session.journal_session import replay_journal
from simulator.session.simulation import Simulation


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def play(scenario, seed: int, journal_path=None, until: float = 1500.0) -> Simulation:
    """Run the scenario's reference solution (truncated at ``until``)."""
    journal = Journal(journal_path, {"scenario": scenario.id, "seed": seed}) if journal_path else None
    sim = Simulation(scenario, seed=seed, journal=journal)
    for step in scenario.solution:
        if step.at > until:
            break
        sim.run_until(step.at)
        sim.apply(step)
    sim.run_until(until)
    sim.end(END_UNTIL)
    if journal:
        journal.close()
    return sim


def telemetry(sim: Simulation) -> tuple:
    return (
        sim.score(),
        tuple(sim.log_store.query()),
        tuple(sim.traces(limit=10_000)),
        tuple(sim.timeline()),
        tuple(sim.change_log()),
        sim.metric("frontend", "rate").values,
        sim.metric("checkout", "error_ratio").values,
    )


def test_same_seed_and_actions_give_identical_journal_report_logs_and_traces(oom_scenario, tmp_path):
    a = play(oom_scenario, 11, tmp_path / "a.jsonl")
    b = play(oom_scenario, 11, tmp_path / "b.jsonl")
    text_a = (tmp_path / "a.jsonl").read_text()
    assert text_a == (tmp_path / "b.jsonl").read_text()
    assert telemetry(a) == telemetry(b)
    data = read_journal(tmp_path / "a.jsonl")
    assert data.header["seed"] == 11 and data.end["reason"] in (END_UNTIL, "resolved")
    assert [a.action.action for a in data.actions] == [s.action for s in oom_scenario.solution if s.at <= 1500]
    assert [a.t for a in data.actions] == sorted(a.t for a in data.actions)


def test_replaying_the_journal_reproduces_the_report(oom_scenario, tmp_path):
    original = play(oom_scenario, 5, tmp_path / "j.jsonl")
    replay, report = replay_journal(tmp_path / "j.jsonl")  # the code path of `misfortune replay`
    assert report == original.score()
    assert telemetry(replay) == telemetry(original)


def test_a_different_seed_gives_different_noise(oom_scenario):
    a = Simulation(oom_scenario, seed=1)
    b = Simulation(oom_scenario, seed=2)
    for sim in (a, b):
        sim.run_until(300)
    assert a.metric("frontend", "rate").values != b.metric("frontend", "rate").values
    assert {t.trace_id for t in a.traces()} != {t.trace_id for t in b.traces()}
    assert [i.id for i in a.instances()] != [i.id for i in b.instances()]


# --- properties --------------------------------------------------------------------------------------

ZONES = ["zone-a", "zone-b", "zone-c"]
SERVICES = ["web", "api", "db"]

action_strategy = st.one_of(
    st.builds(lambda s: act(action="restart", service=s), st.sampled_from(SERVICES)),
    st.builds(lambda s: act(action="restart", service=s, mode="all"), st.sampled_from(SERVICES)),
    st.builds(lambda s: act(action="rollback_deploy", service=s), st.sampled_from(SERVICES)),
    st.builds(lambda s, n: act(action="scale", service=s, replicas=n), st.sampled_from(SERVICES), st.integers(0, 6)),
    st.builds(lambda z: act(action="drain_zone", zone=z), st.sampled_from(ZONES)),
    st.builds(lambda z: act(action="undrain_zone", zone=z), st.sampled_from(ZONES)),
    st.builds(lambda r: act(action="rate_limit", service="web", rps=r), st.floats(10, 1000)),
    st.builds(lambda p: act(action="shed_load", service="web", percent=p), st.floats(0, 100)),
    st.builds(lambda m: act(action="set_memory_limit", service="api", limit_mb=m), st.floats(300, 4000)),
    st.builds(lambda s: act(action="fallback", service=s, dependency="db"), st.just("api")),
    st.just(act(action="ack")),
    st.just(act(action="resolve")),
    st.just(act(action="note", text="looking")),
)
timed_actions = st.lists(st.tuples(st.floats(0, 900, allow_nan=False), action_strategy), max_size=8)


def property_spec() -> dict:
    spec = chain_spec(capacity_rps=150)
    spec["duration"] = "15m"
    spec["faults"] = [
        {"type": "bad_deploy", "at": "2m", "service": "api", "version": "a2", "error_rate": 0.4, "latency_factor": 3},
        {"type": "zone_outage", "at": "5m", "zone": "zone-c", "eject_after": "30s", "lasts": "4m"},
    ]
    spec["alerting"] = {"slo_burn_alerts": True, "rules": []}
    return spec


def run_random(seed: int, actions) -> tuple[Simulation, list]:
    sim = sim_of(property_spec(), seed=seed)
    samples = []
    for t, action in sorted(actions, key=lambda p: p[0]):
        before = sim.now
        sim.run_until(t)
        assert sim.now >= before
        sim.apply(action)
        samples.append(sim.now)
    sim.run_until(900)
    return sim, samples


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), actions=timed_actions)
def test_random_valid_actions_never_crash_and_keep_invariants(seed, actions):
    sim, samples = run_random(seed, actions)
    assert samples == sorted(samples), "time never goes backwards"
    for name in SERVICES:
        series = {
            m: sim.metric(name, m).values for m in ("rate", "errors", "error_ratio", "p50_ms", "p95_ms", "p99_ms")
        }
        times = sim.metric(name, "rate").times
        assert list(times) == sorted(times)
        for k in range(len(times)):
            rate, errors, ratio = series["rate"][k], series["errors"][k], series["error_ratio"][k]
            p50, p95, p99 = series["p50_ms"][k], series["p95_ms"][k], series["p99_ms"][k]
            assert not any(math.isnan(v) for v in (rate, errors, ratio, p50, p95, p99))
            assert rate >= 0 and errors >= 0
            assert 0.0 <= ratio <= 1.0 + 1e-9
            assert errors <= rate + 1e-6
            assert p50 <= p95 + 1e-9 <= p99 + 2e-9, (name, times[k], p50, p95, p99)
        totals = sim.metric(name, "req_total").values
        assert all(b >= a for a, b in zip(totals, totals[1:], strict=False))
    for inst in sim.instances():
        assert inst.memory_mb >= 0 and inst.rate >= 0 and 0 <= inst.error_ratio <= 1 + 1e-9
    for op in sim.operation_list():
        assert 0 <= op.done <= op.total


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), actions=timed_actions)
def test_random_valid_actions_keep_the_report_deterministic(seed, actions):
    a, _ = run_random(seed, actions)
    b, _ = run_random(seed, actions)
    assert a.score() == b.score()
    assert a.log_store.query() == b.log_store.query()
    assert a.timeline() == b.timeline()
