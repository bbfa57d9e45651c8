"""The mechanics of issue 13: CPU pinned at 100 % with queueing collapse and metastable failure,
TLS-only certificate expiry, cache TTL and stampede, garbage collection, connection limits. Each test
asserts the consequence in numbers."""

from __future__ import annotations

import pytest
from simkit import chain_spec, sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER
from simulator.world.model import gc_share


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def test_a_plain_http_probe_stays_green_while_tls_clients_fail():
    spec = tiny()
    spec["faults"] = [{"type": "cert_expiry", "at": "1m", "service": "web", "tls_share": 0.7, "probe": "http"}]
    sim = sim_of(spec)
    sim.run_until(200)
    web = sim.world.services["web"]
    assert web.lost == pytest.approx(300 * 0.7, rel=1e-9), "TLS clients never arrive"
    assert web.offered == pytest.approx(300 * 0.3, rel=1e-9), "plain HTTP is still served"
    assert web.error_ratio < 1e-3, "the service's own metrics look fine"
    assert sim.metric("web", "probe_success").values[-1] == 1.0, "the http probe stays green"
    assert not [r for r in sim.logs(service="web") if "x509" in r.message], "no https probe to complain"
    assert sim.sli_status()["availability"] < 0.5


def test_an_https_probe_fails_with_the_certificate():
    spec = tiny()
    spec["faults"] = [{"type": "cert_expiry", "at": "1m", "service": "web"}]
    sim = sim_of(spec)
    sim.run_until(200)
    assert sim.world.services["web"].lost == pytest.approx(300, rel=1e-9)
    assert sim.metric("web", "probe_success").values[-1] == 0.0
    assert [r for r in sim.logs(service="web") if "x509" in r.message]


def overloaded_spec(collapse: float) -> dict:
    """web (3 x 100 rps) gets 250 rps; a 2-minute surge doubles it; the edge in front retries once,
    which keeps the load up once errors start. Its queue (0.5 s) is shorter than the edge's timeout."""
    spec = tiny()
    web = spec["topology"]["services"][0]
    web.update({"capacity_rps": 100, "queue": "0.5s", "collapse": collapse})
    spec["topology"]["services"].insert(
        0,
        {"name": "edge", "kind": "edge", "replicas": 3, "capacity_rps": 5000, "latency_ms": 2, "error_rate": 0.0,
         "calls": {"web": 1.0}, "retries": 1, "timeout": "1s", "pool_size": 5000},
    )  # fmt: skip
    spec["slo"]["service"] = "edge"
    spec["traffic"]["base_rps"] = 250
    spec["faults"] = [{"type": "traffic_surge", "at": "1m", "client": "bot", "factor": 2.0, "ramp": 0, "lasts": "2m"}]
    return spec


def test_a_saturated_service_pins_its_cpu_at_100_percent():
    sim = sim_of(overloaded_spec(0.0))
    sim.run_until(150)
    web = sim.world.services["web"]
    assert web.cpu == 1.0
    assert web.cohorts[0].backlog > 0


def test_without_collapse_the_overload_ends_with_its_trigger():
    sim = sim_of(overloaded_spec(0.0))
    sim.run_until(600)
    assert sim.world.services["edge"].error_ratio < 0.01


def test_a_collapsing_queue_turns_the_overload_metastable_until_load_is_shed():
    sim = sim_of(overloaded_spec(0.5))
    sim.run_until(170)
    web = sim.world.services["web"]
    assert web.collapse_ratio == pytest.approx(0.5, rel=1e-6), "a full queue halves the work done"
    sim.run_until(600)  # the surge ended at 3m: seven minutes later it is still down
    edge = sim.world.services["edge"]
    assert sim.world.surges == {}
    assert edge.error_ratio > 0.3, "metastable: retries keep the load above the collapsed capacity"
    assert web.offered > 300, "retried load alone is more than web could ever serve"
    assert sim.apply(act(action="shed_load", service="edge", percent=75)).accepted
    sim.run_until(700)
    assert web.collapse_ratio == 0.0 and web.cohorts[0].backlog == 0.0
    assert sim.apply(act(action="shed_load", service="edge", percent=0)).accepted
    sim.run_until(900)
    assert edge.error_ratio < 0.01, "once the queue drained, full load is served again"


def test_gc_share_grows_as_the_heap_nears_the_live_set():
    assert gc_share(100, 200, 1.0) == pytest.approx(0.022)
    assert gc_share(100, 110, 1.0) == pytest.approx(0.22)
    assert gc_share(100, 100.5, 1.0) == 0.95
    assert gc_share(100, 200, 0.0) == pytest.approx(0.002)


def test_a_small_heap_spends_cpu_in_gc_and_loses_capacity():
    spec = tiny()
    web = spec["topology"]["services"][0]
    web["memory"] = {"base": 400, "limit": 1024}
    spec["faults"] = [
        {"type": "config_change", "at": "1m", "service": "web", "revision": "rev-2", "sets": {"heap_mb": 220},
         "propagation": 0},
    ]  # fmt: skip
    sim = sim_of(spec)
    sim.run_until(50)
    s = sim.world.services["web"]
    cpu_before, p50_before = s.cpu, s.p50
    assert s.gc_ratio == 0.0
    sim.run_until(120)
    # live set 200 MB in a 220 MB heap at load 0.5: 0.02 x 0.6 x 200/20 = 12 % of the time in GC.
    assert s.gc_ratio == pytest.approx(0.12, rel=1e-6)
    assert s.cpu > cpu_before and s.p50 > p50_before * 1.2
    assert sim.metric("web", "gc_ratio").values[-1] == pytest.approx(0.12, rel=1e-6)
    assert sim.apply(act(action="rollback_config", service="web")).accepted
    sim.run_until(200)
    assert s.gc_ratio == 0.0


def cache_spec(ttl: str) -> dict:
    spec = chain_spec()
    spec["topology"]["services"][0]["calls"] = {"cache": 1.0}
    spec["topology"]["services"].append(
        {"name": "cache", "kind": "cache", "replicas": 3, "capacity_rps": 5000, "latency_ms": 1, "error_rate": 0.0,
         "cache_for": "api", "hit_ratio": 0.9, "cache_keys": 300, "cache_ttl": "1h"},
    )  # fmt: skip
    spec["faults"] = [
        {"type": "config_change", "at": "1m", "service": "cache", "revision": "rev-2", "sets": {"cache_ttl": ttl},
         "propagation": 0},
    ]  # fmt: skip
    return spec


def test_a_short_ttl_lowers_the_hit_ratio_and_raises_backend_reads():
    sim = sim_of(cache_spec("1s"))
    sim.run_until(50)
    cache, api = sim.world.services["cache"], sim.world.services["api"]
    assert cache.hit == pytest.approx(0.9 * 3600 / (1 + 3600 + api.p50 / 1000), rel=1e-3)
    reads = api.offered
    sim.run_until(120)
    # 300 rps over 300 keys: one read per key per second; a 1 s TTL keeps a key for one more read.
    r = cache.rate / 300
    assert cache.hit == pytest.approx(0.9 * r / (1 + r + r * api.p50 / 1000), rel=1e-6)
    assert cache.hit < 0.5
    assert api.offered > reads * 4
    assert sim.metric("cache", "hit_ratio").values[-1] < 0.5
    assert sim.apply(act(action="rollback_config", service="cache")).accepted
    sim.run_until(900)
    assert cache.hit > 0.85, "the long TTL back: the cache refills"


def test_a_slow_backend_makes_expired_keys_miss_longer_a_stampede():
    fast = sim_of(cache_spec("2s"))
    fast.run_until(150)
    spec = cache_spec("2s")
    spec["topology"]["services"][1]["latency_ms"] = 600
    slow = sim_of(spec)
    slow.run_until(150)
    cache, api = slow.world.services["cache"], slow.world.services["api"]
    r = cache.rate / 300
    assert api.p50 > 600
    assert cache.hit == pytest.approx(0.9 * 2 * r / (1 + 2 * r + r * api.p50 / 1000), rel=1e-6)
    assert cache.hit < fast.world.services["cache"].hit - 0.05


def test_each_stack_logs_in_its_own_shape():
    spec = chain_spec()
    spec["topology"]["services"][0]["kind"] = "edge"
    spec["topology"]["services"][1]["stack"] = {"language": "go"}
    spec["topology"]["services"][2]["max_connections"] = 1
    sim = sim_of(spec)
    sim.run_until(900)
    web = [r.message for r in sim.logs(service="web", level="INFO")]
    api = [r.message for r in sim.logs(service="api", level="INFO")]
    db = [r for r in sim.logs(service="db")]
    assert web and all(
        m.startswith('"GET /api/web HTTP/1.1" 200 - 0 ') or m.startswith('"POST') for m in web if "200" in m
    )
    assert any(m.startswith('level=info msg="request handled" method=') for m in api)
    assert any("LOG:  duration:" in r.message and "statement: SELECT * FROM db WHERE id = $1" in r.message for r in db)
    assert not [r for r in db if " 200 " in r.message], "PostgreSQL writes no HTTP access lines"
    fatal = [r for r in db if r.level == "FATAL"]
    assert fatal and all(r.message.endswith("FATAL:  sorry, too many clients already") for r in fatal)


def test_a_tight_heap_writes_gc_lines_as_often_as_it_collects():
    spec = tiny()
    spec["topology"]["services"][0].update({"memory": {"base": 400, "limit": 1024}, "heap_mb": 220})
    sim = sim_of(spec)
    sim.run_until(600)
    gc = [r for r in sim.logs(service="web") if "][info][gc] GC(" in r.message]
    # 12 % of the time in GC: 0.05 + 2 x 0.12 = 0.29 lines a second, about 174 in ten minutes (plus the
    # few a healthy JVM writes as background chatter).
    assert 160 <= len(gc) <= 190
    # Survivors are the live set (half of 400 MB), the heap is heap_mb, a young pause 2 + 0.05 x 200 ms.
    assert "Pause Young (Normal) (G1 Evacuation Pause) 219M->200M(220M) 12.000ms" in gc[0].message


def test_a_shed_request_carries_the_message_of_the_fault_that_ate_the_capacity():
    spec = tiny()
    spec["faults"] = [
        {"type": "bad_config", "at": "1m", "service": "web", "revision": "rev-2", "propagation": 0,
         "error_rate": 0.01, "cpu_factor": 4.0, "error_message": "waf: regex evaluation exceeded 50ms budget"},
    ]  # fmt: skip
    sim = sim_of(spec)
    sim.run_until(300)
    errors = [r for r in sim.logs(service="web", level="ERROR") if r.t > 120]
    assert sim.world.services["web"].causes.get("overload", 0) > 100
    assert errors and all("regex evaluation exceeded" in r.message for r in errors)
    assert not [r for r in errors if "queue full" in r.message]


def test_a_crashing_revision_loops_at_boot_and_a_revert_needs_a_restart_to_reach_it():
    spec = tiny()
    spec["faults"] = [
        {"type": "bad_config", "at": "1m", "service": "web", "revision": "rev-2", "propagation": 0,
         "error_rate": 1.0, "crash": True, "error_message": "sensor: invalid channel file 291; bugcheck"},
    ]  # fmt: skip
    sim = sim_of(spec)
    sim.run_until(400)
    web = sim.world.services["web"]
    assert web.restarts_total >= 9, "each host crashes as it loads the file, and again at every boot"
    assert any("Back-off restarting" in r.message for r in sim.logs(service="web"))
    assert sim.apply(act(action="rollback_config", service="web")).accepted
    sim.run_until(500)
    assert all(i.config == "rev-2" for i in web.instances), "crash-looping hosts never fetch the revert"
    before = web.restarts_total
    assert sim.apply(act(action="restart", service="web", mode="rolling")).accepted
    sim.run_until(900)
    assert all(i.config == "rev-1" for i in web.instances)
    assert web.restarts_total == before and web.error_ratio < 0.01


def test_an_update_that_drops_routes_on_some_nodes_takes_them_out_until_replaced():
    spec = tiny()
    spec["topology"]["services"][0]["replicas"] = 6
    spec["faults"] = [
        {"type": "bad_config", "at": "1m", "service": "web", "revision": "os-2", "propagation": "10s",
         "reach": 0.5, "drops_network": True, "error_message": "networkd: flushed routes on eth0"},
    ]  # fmt: skip
    sim = sim_of(spec)
    sim.run_until(200)
    web = sim.world.services["web"]
    broken = [i for i in web.instances if i.broken_since is not None]
    assert len(broken) == 3 and all(i.config == "os-2" for i in broken), "half the nodes took the update"
    assert all(i.ejected for i in broken), "health checks removed them"
    assert len(web.rotation) == 3
    assert sim.apply(act(action="rollback_config", service="web")).accepted
    sim.run_until(260)
    assert all(i.config == "os-2" for i in broken), "a node without routes cannot fetch the revert"
    assert sim.apply(act(action="restart", service="web", mode="rolling")).accepted
    sim.run_until(600)
    assert all(i.config == "rev-1" and i.broken_since is None for i in web.instances)
    assert len(web.rotation) == 6
