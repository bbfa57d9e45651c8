"""Faults behave as DOMAIN.md describes, asserted on state and telemetry."""

from __future__ import annotations

import re

import pytest
from simkit import NO_FAULT, chain_spec, sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def web(spec: dict) -> dict:
    return spec["topology"]["services"][0]


def leak_spec(replicas: int = 1, base: float = 300, limit: float = 448, mb_per_min: float = 60) -> dict:
    spec = tiny(
        faults=[{"type": "memory_leak", "at": "0s", "service": "web", "version": "v1", "mb_per_min": mb_per_min}]
    )
    web(spec).update(replicas=replicas, capacity_rps=1000, memory={"base": base, "limit": limit})
    return spec


# --- memory leak -> OOM kills ----------------------------------------------------------------------


def test_leak_kills_with_oomkilled_and_exit_137_and_restarts_rise(oom_hour):
    lines = oom_hour.log_store.query(service="checkout", text="OOMKilled")
    assert lines, "no OOMKilled line in an hour of a 9 MB/min leak"
    assert all("exit code 137" in line.message for line in lines)
    kernel = oom_hour.log_store.query(service="checkout", text="Memory cgroup out of memory: Killed process")
    assert len(kernel) == len(lines)
    restarts = oom_hour.metric("checkout", "restarts").values
    assert all(b >= a for a, b in zip(restarts, restarts[1:], strict=False))
    assert restarts[-1] > restarts[0]
    views = oom_hour.instances("checkout")
    assert all(v.last_exit == "OOMKilled (exit code 137)" for v in views)
    assert sum(v.restarts for v in views) >= len(lines)
    # Services without a leak never get killed.
    assert not oom_hour.log_store.query(service="catalog", text="OOMKilled")


def test_leak_memory_per_instance_is_a_sawtooth(oom_hour):
    limit = 448.0
    inst = oom_hour.instances("checkout")[0]
    series = oom_hour.metric("checkout", "memory_mb", instance=inst.id)
    points = [(t, v) for t, v in zip(series.times, series.values, strict=True) if v == v]
    assert len(points) > 100
    drops = [i for i in range(1, len(points)) if points[i - 1][1] > 0.85 * limit and points[i][1] < 0.75 * limit]
    assert len(drops) >= 2, "expected at least two resets (OOM kills) in an hour"
    assert all(v <= limit + 1e-6 for _, v in points)
    # Between resets the working set climbs steadily at 9 MB/min +-25 %.
    start, end = drops[0] + 1, drops[1] - 1
    rising = [(t, v) for t, v in points[start:end] if v > 0]
    (t0, v0), (t1, v1) = rising[1], rising[-1]
    slope = (v1 - v0) / ((t1 - t0) / 60.0)
    assert 9 * 0.75 - 0.5 <= slope <= 9 * 1.25 + 0.5
    assert all(b[1] >= a[1] for a, b in zip(rising[1:], rising[2:], strict=False))


def test_each_oom_kill_gives_a_burst_of_errors_and_p99_rises_before_it():
    sim = sim_of(leak_spec(mb_per_min=60))
    sim.run_until(400)
    kills = [line.t for line in sim.log_store.query(text="OOMKilled")]
    assert kills, "a 60 MB/min leak with 148 MB headroom must be killed within 400 s"
    first = kills[0]
    err = sim.metric("web", "error_ratio", start=first - 30, end=first + 10)
    before = [v for t, v in zip(err.times, err.values, strict=True) if t < first]
    after = [v for t, v in zip(err.times, err.values, strict=True) if t >= first]
    assert max(before) == 0.0
    assert max(after) > 0.5
    p99 = sim.metric("web", "p99_ms", start=0, end=first - 1).values
    early = p99[5]
    assert 2.0 <= max(p99) / early <= 4.0, "DOMAIN.md: p99 rises 2-4x before a kill"


def test_restart_backoff_starts_at_10s_and_doubles_to_5_min():
    # 20 MB/s with 20 MB headroom: every start is killed within seconds: a crash loop.
    sim = sim_of(leak_spec(base=300, limit=320, mb_per_min=1200))
    sim.run_until(1800)
    backoffs = [
        int(re.search(r"back-off (\d+)s", line.message).group(1))
        for line in sim.log_store.query(text="Back-off restarting failed container")
    ]
    # The first crash restarts after 10 s silently (kubelet logs back-off from the second one on).
    assert backoffs[:6] == [20, 40, 80, 160, 300, 300]
    kills = [line.t for line in sim.log_store.query(text="terminated: OOMKilled")]
    gaps = [b - a for a, b in zip(kills, kills[1:], strict=False)]
    for gap, delay in zip(gaps, [10, 20, 40, 80, 160, 300], strict=False):
        # back-off + start-up (10 s +-10 %) + a second or two to leak past the limit
        assert delay + 9 <= gap <= delay + 14, (gaps, delay)


# --- bad deploy ----------------------------------------------------------------------------------


def bad_deploy_spec() -> dict:
    spec = tiny(faults=[{"type": "bad_deploy", "at": "30s", "service": "web", "version": "v2", "error_rate": 0.3}])
    web(spec).update(replicas=6, capacity_rps=1000)
    return spec


def versions(sim) -> dict[str, int]:
    return sim.services()[0].versions


def test_bad_deploy_errors_are_bound_to_its_version_and_rollback_moves_instance_by_instance():
    sim = sim_of(bad_deploy_spec())
    counts = []
    for t in range(30, 200, 2):
        sim.run_until(t)
        counts.append(versions(sim).get("v2", 0))
    assert counts[-1] == 6
    steps = [b - a for a, b in zip(counts, counts[1:], strict=False)]
    assert all(0 <= d <= 1 for d in steps), "a rollout replaces one instance at a time"
    assert sorted(set(counts)) == list(range(7))

    v2 = sim.metric("web", "error_ratio", version="v2", start=60, end=200).values
    v1 = [v for v in sim.metric("web", "error_ratio", version="v1", start=60, end=200).values if v == v]
    assert all(abs(v - 0.3) < 1e-9 for v in v2 if v == v)
    assert v1 and max(v1) == 0.0
    assert abs(sim.services()[0].error_ratio - 0.3) < 1e-9

    result = sim.apply(act(action="rollback_deploy", service="web"))
    assert result.accepted, result.message
    op = sim.operation_list()[-1]
    assert (op.kind, op.done, op.total, op.finished_at) == ("rollback", 0, 6, None)
    progress, counts = [], []
    for t in range(202, 400, 2):
        sim.run_until(t)
        progress.append(sim.operation_list()[-1].done)
        counts.append(versions(sim).get("v2", 0))
    assert progress[-1] == 6 and sim.operation_list()[-1].finished_at is not None
    assert all(0 <= b - a <= 1 for a, b in zip(progress, progress[1:], strict=False))
    assert all(0 <= a - b <= 1 for a, b in zip(counts, counts[1:], strict=False))
    assert len(set(counts)) == 7, "the rollback went through every intermediate count"
    assert versions(sim) == {"v1": 6}
    assert sim.services()[0].error_ratio == 0.0
    assert sim.metric("web", "rate", version="v2").values[-1] == 0.0


# --- bad config -----------------------------------------------------------------------------------


def bad_config_spec() -> dict:
    spec = tiny(
        faults=[
            {
                "type": "bad_config",
                "at": "60s",
                "service": "web",
                "revision": "rev-2",
                "error_rate": 0.5,
                "propagation": "60s",
            }
        ]
    )
    web(spec).update(replicas=6, capacity_rps=1000)
    return spec


def test_bad_config_errors_only_on_instances_that_got_the_revision():
    sim = sim_of(bad_config_spec())
    sim.run_until(60)
    assert all(i.error_ratio == 0.0 for i in sim.instances("web"))
    mixed_seen = False
    for t in range(62, 130, 2):
        sim.run_until(t)
        insts = sim.instances("web")
        for i in insts:
            # Figures are from the last tick, so an instance reloaded since then may not fail yet.
            assert i.error_ratio == 0.0 or i.config == "rev-2", (t, i)
        n_bad = sum(i.error_ratio > 0 for i in insts)
        mixed_seen |= 0 < n_bad < 6
        assert abs(sim.services()[0].error_ratio - 0.5 * n_bad / 6) < 1e-9
    assert mixed_seen, "a 60 s propagation should show a partial state"
    assert {i.config for i in sim.instances("web")} == {"rev-2"}
    assert all(i.error_ratio == pytest.approx(0.5) for i in sim.instances("web"))
    assert [c.kind for c in sim.change_log()].count("config") == 1
    assert not any(c.kind == "deploy" and c.t > 0 for c in sim.change_log()), "config is not in the deploy log"


def test_rolling_restart_reloads_the_bad_config_and_rollback_config_clears_it():
    sim = sim_of(bad_config_spec())
    sim.run_until(150)
    ids_before = {i.id for i in sim.instances("web")}
    assert sim.apply(act(action="restart", service="web")).accepted
    sim.run_until(400)
    assert not ids_before & {i.id for i in sim.instances("web")}, "every instance was replaced"
    assert abs(sim.services()[0].error_ratio - 0.5) < 1e-9
    assert sim.apply(act(action="rollback_config", service="web")).accepted
    sim.run_until(402)
    assert sim.services()[0].error_ratio > 0, "a config revert takes time to propagate"
    sim.run_until(430)
    assert {i.config for i in sim.instances("web")} == {"rev-1"}
    assert sim.services()[0].error_ratio == 0.0


# --- zone outage ----------------------------------------------------------------------------------


def zone_spec(eject_after: str = "60s") -> dict:
    spec = tiny(faults=[{"type": "zone_outage", "at": "60s", "zone": "zone-b", "eject_after": eject_after}])
    web(spec).update(replicas=6, capacity_rps=200)
    return spec


def test_zone_outage_fails_a_third_until_ejection_then_survivors_carry_50_percent_more():
    sim = sim_of(zone_spec())
    sim.run_until(59)
    before = {i.id: i.rate for i in sim.instances("web")}
    assert all(abs(r - 50.0) < 1e-9 for r in before.values())
    sim.run_until(90)
    sv = sim.services()[0]
    assert abs(sv.error_ratio - 1 / 3) < 0.02
    assert sv.p99_ms >= 1000, "requests to dead targets hang (timeouts add 1-5 s)"
    assert sim.metric("web", "error_ratio", zone="zone-b").values[-1] == 1.0
    assert sim.metric("web", "error_ratio", zone="zone-a").values[-1] == 0.0
    err = sim.metric("web", "error_ratio", start=61, end=200)
    sim.run_until(200)
    err = sim.metric("web", "error_ratio", start=61, end=200)
    high = [t for t, v in zip(err.times, err.values, strict=True) if v > 0.3]
    assert min(high) <= 62 and 115 <= max(high) <= 125, "errors near 1/3 until ejected after eject_after"
    assert sim.services()[0].error_ratio == 0.0
    for i in sim.instances("web"):
        if i.zone == "zone-b":
            assert i.rate == 0.0 and not i.in_rotation
        else:
            assert abs(i.rate - 75.0) < 1e-9, "survivors carry +50 % load"


def test_drain_zone_removes_the_zones_traffic_after_connection_draining():
    sim = sim_of(zone_spec(eject_after="10m"))
    sim.run_until(70)
    assert sim.metric("web", "rate", zone="zone-b").values[-1] > 0
    result = sim.apply(act(action="drain_zone", zone="zone-b"))
    assert result.accepted, result.message
    sim.run_until(75)
    assert sim.metric("web", "rate", zone="zone-b").values[-1] > 0, "draining takes time"
    sim.run_until(100)
    assert sim.drained_zones("web") == ["zone-b"]
    assert sim.metric("web", "rate", zone="zone-b").values[-1] == 0.0
    assert sim.services()[0].error_ratio == 0.0
    assert abs(sim.services()[0].rate - 300.0) < 1e-9


# --- overload and dependencies ----------------------------------------------------------------------


def test_overload_sheds_load_with_errors_and_higher_p99():
    healthy = sim_of(tiny())
    spec = tiny()
    web(spec)["capacity_rps"] = 80  # 240 rps of capacity for 300 rps
    overloaded = sim_of(spec)
    for sim in (healthy, overloaded):
        sim.run_until(60)
    sv = overloaded.services()[0]
    assert abs(sv.error_ratio - (1 - 240 / 300)) < 1e-6
    assert sv.p99_ms > 3 * healthy.services()[0].p99_ms
    assert healthy.services()[0].error_ratio == 0.0
    lines = overloaded.log_store.query(level="ERROR")
    assert lines and all(line.attributes.get("error.type") == "overload" for line in lines)
    assert all(line.attributes["http.response.status_code"] == 503 for line in lines)


def chain_with(fault: dict | None) -> dict:
    spec = chain_spec(capacity_rps=1000)
    spec["faults"] = [fault or NO_FAULT]
    return spec


def test_dependency_errors_propagate_up_the_call_graph():
    sim = sim_of(chain_with({"type": "bad_deploy", "at": "30s", "service": "db", "version": "15.5", "error_rate": 0.5}))
    sim.run_until(200)
    ratios = {v.name: v.error_ratio for v in sim.services()}
    assert ratios["db"] == pytest.approx(0.5, abs=1e-6)
    assert ratios["api"] == pytest.approx(0.5, abs=1e-3)
    assert ratios["web"] == pytest.approx(0.5, abs=1e-3)
    web_errors = sim.log_store.query(service="web", level="ERROR", since=150)
    assert web_errors and all(line.attributes["error.type"] == "upstream" for line in web_errors)


def test_slow_dependency_raises_caller_latency_and_past_the_timeout_its_errors():
    base = sim_of(chain_with(None))
    slow = sim_of(
        chain_with(
            {
                "type": "bad_deploy",
                "at": "30s",
                "service": "db",
                "version": "15.5",
                "error_rate": 0.0,
                "latency_factor": 40,
            }
        )
    )
    dead = sim_of(
        chain_with(
            {
                "type": "bad_deploy",
                "at": "30s",
                "service": "db",
                "version": "15.5",
                "error_rate": 0.0,
                "latency_factor": 1000,
            }
        )
    )
    for sim in (base, slow, dead):
        sim.run_until(200)
    b, s, d = ({v.name: v for v in sim.services()} for sim in (base, slow, dead))
    assert s["web"].p50_ms > b["web"].p50_ms + 100
    assert s["api"].p99_ms > 3 * b["api"].p99_ms
    assert s["web"].error_ratio < 0.01
    assert s["web"].cpu == pytest.approx(b["web"].cpu, abs=0.02), "the caller's own CPU stays low"
    # Past the 2 s timeout the callers fail although the database itself returns no errors.
    assert d["db"].error_ratio == 0.0
    assert d["api"].error_ratio > 0.5 and d["web"].error_ratio > 0.5
    assert d["web"].p50_ms >= 2000
    # web is a JVM service: its client's read timeout (simulator/telemetry/jvm.py)
    timeouts = dead.log_store.query(service="web", level="ERROR", text="Read timed out", since=150)
    assert timeouts and all(line.attributes["http.response.status_code"] == 504 for line in timeouts)
