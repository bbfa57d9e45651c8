"""Traffic classes and priorities, reconnect waves, DNS with TTLs, fire-and-forget buffers, cache TTLs."""

from __future__ import annotations

import pytest
from simkit import chain_spec, sim_of

from scenarios.language.actions import ACTION_ADAPTER


def act(sim, **body):
    return sim.apply(ACTION_ADAPTER.validate_python(body))


CLASSES = [
    {"name": "interactive", "share": 0.7, "priority": 0},
    {"name": "bulk", "share": 0.3, "priority": 2, "deferrable": True},
]


def classes_spec(**web):
    spec = chain_spec(**web)
    spec["traffic"]["classes"] = CLASSES
    return spec


def test_overload_falls_on_the_lowest_priority_first():
    # web: 3 x 80 rps = 240 rps of capacity for 300 rps offered, a 1 s queue: 60 rps are refused.
    spec = classes_spec(capacity_rps=80, queue="1s")
    sim = sim_of(spec)
    sim.run_until(120)
    status = {c["class"]: c for c in sim.extras.status()["classes"]}
    assert status["interactive"]["error_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert status["bulk"]["error_ratio"] == pytest.approx(60 / 90, rel=0.05)
    # bulk is deferrable: its refused requests are out of the SLI, so users see no failure.
    assert sim.sli.availability == pytest.approx(1.0, abs=1e-6)


def test_without_classes_the_same_overload_fails_users():
    sim = sim_of(chain_spec(capacity_rps=80, queue="1s"))
    sim.run_until(120)
    assert sim.sli.availability == pytest.approx(1 - 60 / 300, rel=0.02)


def test_shedding_a_class_frees_capacity_for_the_others():
    spec = classes_spec()
    spec["traffic"]["classes"] = [
        {"name": "interactive", "share": 0.7, "priority": 1},
        {"name": "bulk", "share": 0.3, "priority": 1},  # same priority: overload hits both alike
    ]
    spec["topology"]["services"][0].update(capacity_rps=80, queue="1s")
    sim = sim_of(spec)
    sim.run_until(120)
    before = {c["class"]: c["error_ratio"] for c in sim.extras.status()["classes"]}
    assert before["interactive"] == pytest.approx(0.2, rel=0.05)
    assert act(sim, action="shed_class", service="web", traffic_class="bulk").accepted
    sim.run_until(240)
    after = {c["class"]: c["error_ratio"] for c in sim.extras.status()["classes"]}
    assert after["interactive"] == pytest.approx(0.0, abs=1e-6)
    assert after["bulk"] == pytest.approx(1.0)
    assert sim.world.services["web"].admitted == pytest.approx(210.0)
    # bulk is not deferrable here: its shed requests are failures users see.
    assert sim.sli.availability == pytest.approx(0.7, rel=0.02)


def test_shed_class_refusals():
    sim = sim_of(classes_spec())
    assert "no traffic class 'batch'" in act(sim, action="shed_class", service="web", traffic_class="batch").message
    assert "at the entry" in act(sim, action="shed_class", service="api", traffic_class="bulk").message
    assert "no classes" in act(sim_of(chain_spec()), action="shed_class", service="web", traffic_class="bulk").message


def reconnect_spec(capacity):
    spec = chain_spec(reconnect={"factor": 3, "window": "1m", "traffic_class": "reconnect"}, capacity_rps=capacity)
    spec["traffic"]["classes"] = [*CLASSES, {"name": "reconnect", "share": 0, "priority": 3, "deferrable": True}]
    spec["faults"] = [{"type": "bad_deploy", "at": "2m", "service": "api", "version": "a2", "error_rate": 1.0}]
    return spec


def test_clients_reconnect_in_a_wave_when_the_service_comes_back():
    sim = sim_of(reconnect_spec(capacity=600))
    sim.run_until(119)
    assert sim.extras.status()["reconnects"][0]["wave_rps"] == 0.0
    sim.run_until(200)
    assert act(sim, action="rollback_deploy", service="api").accepted
    sim.run_until(300)
    wave = sim.extras.status()["reconnects"][0]
    # factor 3 x the normal 300 rps x the share still away (read one tick later: within 3 %)
    assert wave["clients_away"] > 0.3 and wave["wave_rps"] == pytest.approx(3 * 300 * wave["clients_away"], rel=0.03)
    assert sim.world.services["web"].offered == pytest.approx(300 + wave["wave_rps"], rel=0.001)
    sim.run_until(1200)  # enough capacity: every reconnect succeeds and the clients are back
    assert sim.extras.status()["reconnects"][0]["wave_rps"] < 1.0


def test_a_wave_the_service_cannot_take_keeps_itself_going_without_priorities():
    # 360 rps of capacity: the wave of 900 rps overloads web. Without classes the overload fails every
    # client alike, the connected ones drop too, and the storm never ends.
    spec = reconnect_spec(capacity=120)
    del spec["traffic"]["classes"]
    del spec["topology"]["services"][0]["reconnect"]["traffic_class"]
    sim = sim_of(spec)
    sim.run_until(200)
    act(sim, action="rollback_deploy", service="api")
    sim.run_until(1800)
    assert sim.extras.status()["reconnects"][0]["clients_away"] > 0.6
    assert sim.sli.availability < 0.5


def test_reconnects_at_the_lowest_priority_spare_the_connected_and_drain():
    sim = sim_of(reconnect_spec(capacity=120))
    sim.run_until(200)
    act(sim, action="rollback_deploy", service="api")
    sim.run_until(1800)
    status = {c["class"]: c for c in sim.extras.status()["classes"]}
    assert status["interactive"]["error_ratio"] < 0.01  # the overload falls on the reconnects
    assert sim.extras.status()["reconnects"][0]["clients_away"] < 0.2  # the few that get in stay
    assert sim.sli.availability > 0.99  # refused reconnects are deferrable: out of the SLI


def dns_spec(ttl="30s", fault=None):
    spec = chain_spec(dns="kube-dns")
    spec["topology"]["services"].append(
        {"name": "kube-dns", "kind": "dns", "replicas": 2, "capacity_rps": 5000, "latency_ms": 1, "dns_ttl": ttl}
    )
    spec["faults"] = [
        fault
        or {
            "type": "bad_config",
            "at": "2m",
            "service": "kube-dns",
            "revision": "rev-2",
            "error_rate": 1.0,
            "propagation": "1s",
        }
    ]
    return spec


def test_names_expire_over_the_ttl_while_the_resolver_fails():
    sim = sim_of(dns_spec())
    sim.run_until(119)
    assert sim.world.services["web"].error_ratio == pytest.approx(0.0, abs=1e-3)
    sim.run_until(121 + 30)
    # Expiry is exponential with the TTL as time constant: 1 - e^-1 after one TTL.
    assert sim.extras.expired["web"] == pytest.approx(0.63, abs=0.05)
    assert sim.world.services["web"].error_ratio == pytest.approx(sim.extras.expired["web"], abs=0.03)
    errors = [r.message for r in sim.logs(service="web", level="ERROR", limit=50)]
    assert errors and all("no such host" in m for m in errors)  # NXDOMAIN, not an HTTP 500
    assert "dns" in sim.world.services["web"].causes


def test_a_longer_ttl_rides_out_more_of_the_outage():
    short, long = sim_of(dns_spec("10s")), sim_of(dns_spec("5m"))
    for sim in (short, long):
        sim.run_until(180)
    assert short.world.services["web"].error_ratio > 0.95
    assert long.world.services["web"].error_ratio < 0.25


def test_expired_names_are_retried_every_second():
    sim = sim_of(dns_spec())
    sim.run_until(100)
    steady = sim.world.services["kube-dns"].offered
    assert steady == pytest.approx(3 * 1 / 30, rel=1e-3)  # 3 instances, one name, 30 s TTL
    sim.run_until(400)
    assert sim.world.services["kube-dns"].offered == pytest.approx(3 * 1 / 1.0, rel=0.02)


def test_a_slow_resolver_logs_timeouts():
    fault = {"type": "latency", "at": "1m", "service": "kube-dns", "factor": 5000}
    sim = sim_of(dns_spec(fault=fault))
    sim.run_until(300)
    errors = [r.message for r in sim.logs(service="web", level="ERROR", limit=20)]
    assert errors and all("i/o timeout" in m for m in errors)


def async_spec(buffer=3000):
    spec = chain_spec()
    web = spec["topology"]["services"][0]
    web["calls_async"] = {"events": {"calls": 1, "buffer": buffer, "block": "1s"}}
    spec["topology"]["services"].append(
        {"name": "events", "kind": "queue", "replicas": 2, "capacity_rps": 2000, "latency_ms": 2, "error_rate": 0.0}
    )
    spec["faults"] = [{"type": "bad_deploy", "at": "2m", "service": "events", "version": "e2", "error_rate": 1.0}]
    return spec


def test_a_failing_async_callee_fills_the_buffer_then_blocks_the_caller():
    sim = sim_of(async_spec())
    sim.run_until(100)
    assert sim.world.services["events"].offered == pytest.approx(300.0)
    # 3 instances x 3000 messages at 300 rps: full about 30 s after the callee fails, caller fine till then.
    sim.run_until(145)
    assert sim.world.services["web"].error_ratio < 0.01
    sim.run_until(240)
    buffers = sim.extras.status()["buffers"][0]
    assert buffers["messages"] == 9000
    web = sim.world.services["web"]
    assert web.error_ratio > 0.9 and "buffer_full" in web.causes
    assert any("buffer full" in r.message for r in sim.logs(service="web", level="ERROR", limit=10))


def test_a_buffer_replays_its_backlog_when_the_callee_recovers():
    sim = sim_of(async_spec())
    sim.run_until(240)
    act(sim, action="rollback_deploy", service="events")
    sim.run_until(300)
    assert sim.world.services["events"].offered > 300.0  # live sends plus the replayed backlog
    sim.run_until(600)
    assert sim.extras.status()["buffers"][0]["messages"] == 0
    assert sim.world.services["web"].error_ratio < 0.01


def test_cache_entries_expire_while_the_backend_fails():
    spec = chain_spec()
    services = spec["topology"]["services"]
    services[1]["calls"] = {"cache": 1.0}
    services.append(
        {"name": "cache", "kind": "cache", "replicas": 2, "capacity_rps": 5000, "latency_ms": 1, "cache_for": "db"}
    )
    services.append(dict(services.pop(2)))  # db after cache (order does not matter, names do)
    ttl = {**spec, "topology": {**spec["topology"], "services": [dict(s) for s in services]}}
    ttl["topology"]["services"][2]["cache_ttl"] = "2m"
    for s in (spec, ttl):
        s["faults"] = [{"type": "bad_deploy", "at": "1m", "service": "db", "version": "15.5", "error_rate": 1.0}]
    plain, expiring = sim_of(spec), sim_of(ttl)
    for sim in (plain, expiring):
        sim.run_until(60 + 120 + 30)
    assert plain.world.services["cache"].hit == pytest.approx(0.95)
    # After one TTL of a failing backend, about e^-1 of the entries are left.
    assert expiring.world.services["cache"].hit == pytest.approx(0.95 * 0.37, rel=0.25)


def test_within_one_priority_bulk_requests_fail_before_small_ones():
    spec = classes_spec(capacity_rps=80, queue="1s")  # 60 of 300 rps refused, as above
    spec["traffic"]["classes"] = [
        {"name": "interactive", "share": 0.7, "priority": 1, "size": 1},
        {"name": "export", "share": 0.3, "priority": 1, "size": 20},
    ]
    sim = sim_of(spec)
    sim.run_until(120)
    status = {c["class"]: c for c in sim.extras.status()["classes"]}
    small, bulk = status["interactive"]["error_ratio"], status["export"]["error_ratio"]
    assert bulk > 5 * small > 0.0
    # The split keeps the model's count: 60 refused requests in all.
    failed = 210 * small + 90 * bulk
    assert failed == pytest.approx(60.0, rel=0.01)


def _goodput(rps: float, spread: float) -> float:
    spec = chain_spec()
    spec["traffic"]["base_rps"] = rps
    spec["topology"]["services"][0]["capacity_rps"] = 5000
    spec["topology"]["services"][1]["load_spread"] = spread  # api: 3 x 400 rps
    sim = sim_of(spec)
    sim.run_until(600)
    web = sim.world.services["web"]
    return 1.0 - web.error_ratio


def test_with_uneven_load_goodput_degrades_before_capacity_instead_of_switching():
    even = [_goodput(r, 0.0) for r in (1000, 1080, 1140)]
    uneven = [_goodput(r, 0.1) for r in (1000, 1080, 1140, 1200)]
    assert even == pytest.approx([1.0, 1.0, 1.0], abs=1e-3)  # load_spread 0 opts out: a step at capacity
    # 83 %, 90 %, 95 %, 100 % of capacity: the hottest instances tip over first.
    assert uneven[0] == pytest.approx(0.97, abs=0.01)
    assert uneven[1] == pytest.approx(0.85, abs=0.02)
    assert uneven[2] == pytest.approx(0.67, abs=0.02)
    assert uneven[3] == pytest.approx(0.45, abs=0.03)
    assert _goodput(1260, 0.1) == pytest.approx(0.0, abs=0.01)  # past capacity the queue collapses it
