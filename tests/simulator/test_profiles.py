"""Profiles and dumps: each fault shapes an affected instance's profile where the real fault would, a
healthy instance keeps a healthy profile, taking one costs simulated time, and all of it is seeded."""

from __future__ import annotations

import pytest

from scenarios.loader import ScenarioError, load_scenario_text
from simulator.diagnostics.desk import take
from simulator.diagnostics.profiles import ProfileError
from simulator.diagnostics.text import flame_graph, render
from simulator.session.simulation import Simulation

BASE = """
id: profile-test
title: t
difficulty: 1
briefing: x
duration: 1h
slo: {service: web, availability: 99.9}
topology:
  zones: [a, b, c]
  flags: [{name: new-pricing}, {name: retries, enabled: true}]
  services:
    - {name: web, kind: edge, replicas: 3, capacity_rps: 400, latency_ms: 5, calls: {api: 1.0}, timeout: 2s}
    - {name: api, replicas: 6, capacity_rps: 250, latency_ms: 20, calls: {cache: 1.0, db: 0.3, psp: 0.2},
       pool_size: 40, retries: RETRIES, retries_flag: retries, timeout: 1s, memory: {base: 300, limit: 1024},
       routes: ["POST /api/orders", "GET /api/orders/{id}"] STACK}
    - {name: cache, kind: cache, replicas: 3, capacity_rps: 20000, latency_ms: 0.5, cache_for: db, hit_ratio: 0.95}
    - {name: db, kind: database, replicas: 3, capacity_rps: 4000, latency_ms: 3}
    - {name: psp, replicas: 3, capacity_rps: 500, latency_ms: 80}
traffic: {base_rps: 600, diurnal: false, noise: 0.02}
faults: [FAULT]
root_cause: {service: api, category: x}
solution: [{at: 50m, action: resolve}]
"""


def sim_for(fault: str, retries: int = 0, stack: str = "", seed: int = 1) -> Simulation:
    text = BASE.replace("FAULT", fault).replace("RETRIES", str(retries)).replace("STACK", stack)
    return Simulation(load_scenario_text(text, "profile-test.yaml"), seed)


def running(sim: Simulation, service: str, version: str | None = None) -> list[str]:
    return [
        i.id
        for i in sim.world.services[service].instances
        if i.state == "running" and (version is None or i.version == version)
    ]


def before_after(sim: Simulation, kind: str, service: str, before: float, after: float, **kw):
    """The same instance's profile before the fault and after (a healthy and a sick profile)."""
    sim.run_until(before)
    target = running(sim, service)[0]
    healthy = take(sim, kind, target, **kw)
    sim.run_until(after)
    return healthy, take(sim, kind, target, **kw)


def test_memory_leak_grows_its_allocation_site_and_gc():
    site_name = "com.shop.api.cache.OrderCache.remember"
    sim = sim_for(f"{{type: memory_leak, at: 0s, service: api, mb_per_min: 20, allocation_site: {site_name}}}")
    healthy_sim = sim_for(f"{{type: memory_leak, at: 50m, service: api, allocation_site: {site_name}}}")
    sim.run_until(900)
    healthy_sim.run_until(900)
    heap = take(sim, "heap", running(sim, "api")[0])
    healthy = take(healthy_sim, "heap", running(healthy_sim, "api")[0])
    assert healthy.site("OrderCache") is None
    assert heap.sites[0].site == site_name, "the leak is the biggest site"
    assert 10 < heap.sites[0].growth_mb_per_min < 35
    assert all(abs(s.growth_mb_per_min) < 0.5 for s in heap.sites[1:] + healthy.sites)
    assert heap.gc_cpu_share > 1.5 * healthy.gc_cpu_share
    assert take(sim, "cpu", running(sim, "api")[0], seconds=30).share_of(site_name) > 0


def test_bad_config_with_cpu_factor_puts_cpu_in_the_regex_matcher():
    sim = sim_for("{type: bad_config, at: 2m, service: api, revision: rev-9, cpu_factor: 4, error_rate: 0.05}")
    healthy, sick = before_after(sim, "cpu", "api", 110, 600, seconds=30)
    matcher = "java.util.regex.Pattern$Loop.match"
    assert healthy.share_of(matcher) == 0
    assert sick.share_of(matcher) > 0.6
    assert sick.top(1)[0].function == matcher, "the hot function is on top by self time"


def test_bad_config_without_cpu_factor_shows_the_parser():
    sim = sim_for("{type: bad_config, at: 2m, service: api, revision: rev-9, error_rate: 0.5}")
    healthy, sick = before_after(sim, "cpu", "api", 110, 600, seconds=30)
    parser = "com.shop.api.config.ConfigLoader.reload"
    assert healthy.share_of(parser) == 0 and sick.share_of(parser) > 0.1
    assert sick.share_of("java.lang.Throwable.fillInStackTrace") > healthy.share_of(
        "java.lang.Throwable.fillInStackTrace"
    )


def test_bad_deploy_named_hot_function_gets_hot():
    sim = sim_for(
        "{type: bad_deploy, at: 2m, service: api, version: v9.9.9, latency_factor: 4, error_rate: 0.1, "
        "hot_function: com.shop.api.pricing.PriceCalculator.recompute}"
    )
    sim.run_until(900)
    bad = take(sim, "cpu", running(sim, "api", "v9.9.9")[0], seconds=30)
    assert bad.share_of("com.shop.api.pricing.PriceCalculator.recompute") > 0.3
    sim_ok = sim_for("{type: bad_deploy, at: 50m, service: api, version: v9.9.9}")
    sim_ok.run_until(900)
    good = take(sim_ok, "cpu", running(sim_ok, "api")[0], seconds=30)
    assert good.share_of("com.shop.api.pricing.PriceCalculator.recompute") == 0


def test_pool_leak_parks_threads_waiting_for_a_connection():
    sim = sim_for("{type: pool_leak, at: 2m, service: api, version: v2.1.0, hold_ms: 900}")
    sim.run_until(110)
    healthy = take(sim, "threads", running(sim, "api")[0])
    sim.run_until(1200)
    sick = take(sim, "threads", running(sim, "api", "v2.1.0")[0])
    assert healthy.count("WAITING", "HikariPool.getConnection") == 0
    assert sick.count("WAITING", "HikariPool.getConnection") > 10
    assert sick.count("BLOCKED", "saveWithAudit") > 0, "the holders sit in the leaking transaction"


def test_slow_dependency_parks_callers_in_its_client():
    sim = sim_for("{type: latency, at: 2m, service: psp, factor: 8}")
    healthy, sick = before_after(sim, "threads", "api", 110, 600)
    assert sick.count("BLOCKED", "PspClient.call") > 3 * max(healthy.count("BLOCKED", "PspClient.call"), 1)
    own = take(sim, "threads", running(sim, "psp")[0])
    assert own.count("BLOCKED", "LocalStore.read") > 0, "the slow service's own threads wait in its slow I/O"


def test_retry_storm_shows_the_retry_loop():
    sim = sim_for("{type: latency, at: 2m, service: psp, factor: 30}", retries=3)
    healthy, sick = before_after(sim, "cpu", "api", 110, 600, seconds=30)
    loop = "org.springframework.retry.support.RetryTemplate.doExecute"
    assert sick.share_of(loop) > healthy.share_of(loop) + 0.02
    dump = take(sim, "threads", running(sim, "api")[0])
    assert dump.count("TIMED_WAITING", "ExponentialBackOffPolicy.backOff") > 0


def test_full_disk_blocks_threads_in_the_logger():
    sim = sim_for("{type: disk_fill, at: 1m, service: api, revision: rev-7, gb_per_hour: 600}")
    healthy, filling = before_after(sim, "cpu", "api", 50, 200, seconds=30)
    debug = "org.slf4j.helpers.MessageFormatter.arrayFormat"
    assert healthy.share_of(debug) == 0 and filling.share_of(debug) > 0.05
    sim.run_until(900)
    target = next(i.id for i in sim.world.services["api"].instances if i.disk >= 100 and i.state == "running")
    dump = take(sim, "threads", target)
    assert dump.count("BLOCKED", "AppenderBase.doAppend") > 0
    assert dump.count("RUNNABLE", "FileOutputStream.writeBytes") == 1


def test_traffic_surge_queues_requests_at_the_entry():
    sim = sim_for('{type: traffic_surge, at: 2m, client: bot, factor: 4, ramp: 10s, route: "GET /api/orders/{id}"}')
    sim.run_until(100)
    web = running(sim, "web")[0]
    healthy = take(sim, "threads", web)
    sim.run_until(400)
    sick = take(sim, "threads", web)
    assert healthy.queued == 0 and sick.queued > 0


def test_expired_certificate_puts_callers_in_the_tls_handshake():
    sim = sim_for("{type: cert_expiry, at: 2m, service: psp}")
    healthy, sick = before_after(sim, "cpu", "api", 110, 400, seconds=30)
    handshake = "sun.security.ssl.SSLSocketImpl.startHandshake"
    assert healthy.share_of(handshake) == 0 and sick.share_of(handshake) > 0.02


def test_bad_flag_shows_the_flag_code_path():
    sim = sim_for("{type: bad_flag, at: 2m, flag: new-pricing, service: api, stages: [100]}")
    healthy, sick = before_after(sim, "cpu", "api", 110, 400, seconds=30)
    path = "com.shop.api.experiments.NewPricingExperiment.apply"
    assert healthy.share_of(path) == 0 and sick.share_of(path) > 0.02


def test_cache_failure_moves_caller_work_to_the_database_client():
    sim = sim_for("{type: cache_failure, at: 2m, service: cache}")
    healthy, sick = before_after(sim, "cpu", "api", 110, 150, seconds=30)
    query = "org.postgresql.jdbc.PgPreparedStatement.executeQuery"
    assert sick.share_of(query) > 2 * healthy.share_of(query)


def test_dead_zone_instance_cannot_be_profiled():
    sim = sim_for("{type: zone_outage, at: 2m, zone: a}")
    sim.run_until(300)
    dead = next(i.id for i in sim.world.services["api"].instances if i.zone == "a")
    with pytest.raises(ProfileError, match="does not answer"):
        take(sim, "cpu", dead)


def test_oom_killed_instance_has_a_crash_report():
    sim = sim_for("{type: memory_leak, at: 0s, service: api, mb_per_min: 200}")
    sim.run_until(600)
    inst = next(i for i in sim.world.services["api"].instances if i.last_exit)
    report = take(sim, "crash", inst.id)
    assert (report.reason, report.exit_code, report.signal) == ("OOMKilled", 137, "SIGKILL (9)")
    assert any("OOMKilled" in line for line in report.last_logs)
    assert report.stack[-1] == "java.util.concurrent.ConcurrentHashMap.putVal"
    healthy = sim_for("{type: memory_leak, at: 50m, service: api}")
    healthy.run_until(60)
    with pytest.raises(ProfileError, match="no crash report"):
        take(healthy, "crash", running(healthy, "api")[0])


def test_go_stack_names_go_frames_and_states():
    sim = sim_for("{type: latency, at: 2m, service: psp, factor: 8}", stack=", stack: {language: go}")
    sim.run_until(600)
    target = running(sim, "api")[0]
    cpu = take(sim, "cpu", target, seconds=30)
    assert cpu.share_of("net/http.(*conn).serve") > 0.5
    dump = take(sim, "threads", target)
    psp = [g for g in dump.groups if any("PspClient" in f for f in g.stack)]
    assert psp and psp[0].native_state == "IO wait"


def test_profiles_are_deterministic_for_a_seed():
    def snapshot(seed: int) -> list:
        sim = sim_for("{type: memory_leak, at: 0s, service: api, mb_per_min: 20}", seed=seed)
        sim.run_until(700)
        target = running(sim, "api")[0]
        return [take(sim, kind, target).as_dict() for kind in ("cpu", "heap", "threads")]

    assert snapshot(4) == snapshot(4)
    assert snapshot(4) != snapshot(5)


def test_taking_a_profile_costs_simulated_time_and_is_journalled():
    sim = sim_for("{type: bad_config, at: 1m, service: api, revision: rev-9, cpu_factor: 3}")
    sim.run_until(300)
    target = running(sim, "api")[0]
    req = sim.take_profile("cpu", target, 30)
    assert not req.ready and req.ready_at == 330
    assert sim.looks[-1] == {
        "t": 300,
        "seat": "trainee",
        "what": "profile",
        "kind": "cpu",
        "instance": target,
        "service": "api",
        "seconds": 30,
    }
    sim.run_until(329)
    assert not req.ready
    sim.run_until(331)
    assert req.ready and (req.result.start, req.result.end) == (300, 330)
    assert sim.profile_request(req.id) is req
    with pytest.raises(ProfileError, match="unknown profile kind"):
        sim.take_profile("flame", target)


def test_a_process_that_dies_during_profiling_fails_the_profile():
    sim = sim_for("{type: memory_leak, at: 0s, service: api, mb_per_min: 600}")
    sim.run_until(30)
    target = running(sim, "api")[0]
    req = sim.take_profile("cpu", target, 120)
    sim.run_until(200)
    assert req.error is not None and "exited while the profiler was attached" in req.error


def test_text_forms_render():
    sim = sim_for("{type: bad_config, at: 1m, service: api, revision: rev-9, cpu_factor: 3}")
    sim.run_until(300)
    target = running(sim, "api")[0]
    cpu = take(sim, "cpu", target)
    lines = flame_graph(cpu, 80)
    assert lines and all(len(line) <= 80 for line in lines)
    assert "Thread.run" in lines[-1], "the root is at the bottom"
    for kind in ("cpu", "heap", "threads"):
        assert render(take(sim, kind, target))[0].startswith(("CPU profile", "Heap profile", "Thread dump"))


def test_hot_function_must_look_like_a_function_name():
    with pytest.raises(ScenarioError, match="not a function name"):
        sim_for("{type: bad_deploy, at: 2m, service: api, version: v2, hot_function: 'not a function'}")
