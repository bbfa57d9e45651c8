"""The tick model's formulas, pinned by hand: the queueing curve, memory pressure, timeouts, latency
along the call graph. Written against the mutation pass (scripts/mutate.py): each test kills a family
of nudged constants that the scenario-level tests let through."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from simkit import chain_spec, sim_of, tiny

from simulator.world.model import memory_pressure, queue_factor, retry_amplification


def test_the_queueing_curve_is_flat_then_steep_then_capped():
    assert queue_factor(0.0) == 1.0
    assert queue_factor(0.5) == pytest.approx(1 + 0.5 * 0.5**8 / 0.5)
    assert queue_factor(0.7) == pytest.approx(1.096, abs=1e-3), "nearly flat up to ~0.7"
    assert queue_factor(0.8) == pytest.approx(1.419, abs=1e-3)
    assert queue_factor(0.9) == pytest.approx(3.152, abs=1e-3)
    assert queue_factor(0.95) == pytest.approx(7.634, abs=1e-3)
    # Past 0.95 the tick model's explicit backlog carries the wait: the factor stays at its cap.
    assert queue_factor(0.97) == queue_factor(0.95) == queue_factor(1.0) == queue_factor(3.0)
    assert queue_factor(0.949) < queue_factor(0.95)


def test_memory_pressure_is_one_to_80_percent_then_grows_to_three_at_the_limit():
    assert memory_pressure(0.5) == memory_pressure(0.8) == 1.0
    assert memory_pressure(0.85) == 1.1  # 1 + 2 x 0.25^2 = 1.125, rounded to one decimal
    assert memory_pressure(0.9) == 1.5
    assert memory_pressure(0.95) == 2.1  # 1 + 2 x 0.75^2 = 2.125
    assert memory_pressure(1.0) == 3.0


def test_retry_amplification_counts_one_attempt_plus_each_retry():
    assert retry_amplification(0.0, 3) == 1.0
    assert retry_amplification(1.0, 0) == 1.0
    assert retry_amplification(1.0, 3) == 4.0
    assert retry_amplification(0.5, 2) == 1.75


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_a_service_median_is_its_latency_times_the_queueing_factor(rho):
    spec = tiny()
    spec["topology"]["services"][0]["capacity_rps"] = 300 / 3 / rho  # 300 rps over 3 instances
    sim = sim_of(spec)
    sim.run_until(30)
    web = sim.world.services["web"]
    assert web.p50 == pytest.approx(20.0 * queue_factor(rho), rel=1e-9)
    sigma = web.spec.latency_spread
    z95, z99 = NormalDist().inv_cdf(0.95), NormalDist().inv_cdf(0.99)
    assert web.p95 == pytest.approx(web.p50 * math.exp(sigma * z95), rel=1e-9)
    assert web.p99 == pytest.approx(web.p50 * math.exp(sigma * z99), rel=1e-9)


def test_a_leaking_instance_slows_down_with_its_memory_pressure():
    spec = tiny(faults=[{"type": "memory_leak", "at": "0s", "service": "web", "version": "v1", "mb_per_min": 60}])
    spec["topology"]["services"][0].update(replicas=1, capacity_rps=3000, memory={"base": 300, "limit": 448})
    sim = sim_of(spec)
    seen = set()
    for t in range(10, 150, 2):
        sim.run_until(t)
        web = sim.world.services["web"]
        inst = web.instances[0]
        if inst.state != "running" or not web.rotation:
            continue
        pressure = memory_pressure(inst.memory / inst.memory_limit)
        assert inst.pressure == pytest.approx(pressure, abs=0.1 + 1e-9)  # the cohort moves a tick later
        expected = 20.0 * queue_factor(300 / 3000) * inst.pressure
        assert web.p50 == pytest.approx(expected, rel=1e-9)
        seen.add(inst.pressure)
    assert min(seen) == 1.0 and max(seen) >= 2.0, seen


def test_a_callee_slower_than_the_timeout_fails_calls_by_its_log_normal_tail():
    spec = chain_spec(capacity_rps=1000)
    spec["topology"]["services"][1].update(latency_ms=400, capacity_rps=100000)  # api, far from saturation
    spec["topology"]["services"][0]["timeout"] = "1s"
    sim = sim_of(spec)
    sim.run_until(30)
    web, api = sim.world.services["web"], sim.world.services["api"]
    p_timeout = 0.5 * math.erfc(math.log(1000.0 / api.p50) / (api.sigma * math.sqrt(2.0)))
    expected = 1.0 - (1.0 - api.error_ratio) * (1.0 - p_timeout)
    assert 0.05 < p_timeout < 0.5
    assert web.call_error["api"] == pytest.approx(expected, rel=1e-9)
    assert web.error_ratio == pytest.approx(expected, rel=1e-6)


def test_a_caller_adds_its_callee_at_each_percentile():
    sim = sim_of(chain_spec(capacity_rps=1000))
    sim.run_until(30)
    web, api = sim.world.services["web"], sim.world.services["api"]
    own = web.spec.latency_ms * queue_factor(300 / (3 * 1000))
    # Fan-out 1: every request calls once; at the median the callee adds its own median.
    assert web.p50 == pytest.approx(own + api.p50, rel=1e-9)
    z99 = NormalDist().inv_cdf(0.99)
    assert web.p99 == pytest.approx(
        own * math.exp(web.spec.latency_spread * z99) + api.p50 * math.exp(api.sigma * z99), rel=1e-6
    )


def test_offered_load_flows_down_the_call_graph_times_fan_out_and_a_rare_callee_only_shapes_the_tail():
    spec = chain_spec(capacity_rps=1000, calls={"api": 0.5})  # half of web's requests call api
    sim = sim_of(spec)
    sim.run_until(30)
    web, api, db = (sim.world.services[n] for n in ("web", "api", "db"))
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio * 0.5, rel=1e-12)
    assert db.offered == pytest.approx(api.admitted * api.pass_ratio * 1.0, rel=1e-12)
    assert web.retry_rate == api.retry_rate == 0.0
    own = web.spec.latency_ms * queue_factor(web.offered / (3 * 1000))
    normal = NormalDist()
    # A callee half of the requests reach is not at the caller's median; at p95 it sits at its own
    # level 1 - 0.05 / 0.5 = 0.9, at p99 at 1 - 0.01 / 0.5 = 0.98.
    assert web.p50 == pytest.approx(own, rel=1e-9)
    at95 = api.p50 * math.exp(api.sigma * normal.inv_cdf(0.9))
    at99 = api.p50 * math.exp(api.sigma * normal.inv_cdf(0.98))
    assert web.p95 == pytest.approx(own * math.exp(web.spec.latency_spread * normal.inv_cdf(0.95)) + at95, rel=1e-6)
    assert web.p99 == pytest.approx(own * math.exp(web.spec.latency_spread * normal.inv_cdf(0.99)) + at99, rel=1e-6)


def test_retries_turn_a_callees_attempt_failures_into_fewer_call_failures():
    spec = chain_spec(capacity_rps=1000, retries=2)
    spec["faults"] = [{"type": "bad_deploy", "at": "0s", "service": "api", "version": "a2", "error_rate": 0.3}]
    spec["topology"]["services"][1]["version"] = "a2"  # api runs the failing version from the start
    sim = sim_of(spec)
    sim.run_until(30)
    web, api = sim.world.services["web"], sim.world.services["api"]
    p = web.call_error["api"]
    assert p == pytest.approx(0.3, abs=1e-3)
    assert web.error_ratio == pytest.approx(p**3, rel=1e-6), "three attempts must all fail"
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio * (1 + p + p * p), rel=1e-9)


def test_cpu_follows_utilisation_and_a_backlog_adds_its_wait_to_every_request():
    spec = tiny()
    spec["topology"]["services"][0]["capacity_rps"] = 300 / 3 / 0.5
    sim = sim_of(spec)
    sim.run_until(30)
    assert sim.world.services["web"].cpu == pytest.approx(0.04 + 0.9 * 0.5, rel=1e-9)
    spec["topology"]["services"][0]["capacity_rps"] = 80  # 240 rps of capacity for 300 rps
    sim = sim_of(spec)
    sim.run_until(3.5)  # three ticks
    web = sim.world.services["web"]
    cohort = web.cohorts[0]
    assert 0 < cohort.backlog < 80 * web.spec.queue, "the queue is still filling"
    assert cohort.backlog == pytest.approx((100 - 80) * 3, rel=1e-9)  # 20 rps per instance beyond capacity
    assert web.cpu == 1.0, "a saturated instance pins its CPU at 100 %"
    assert web.error_ratio == 0.0, "a queue that is not full sheds nothing"
    wait_ms = cohort.backlog / 80 * 1000.0
    assert web.p50 == pytest.approx(20.0 * queue_factor(100 / 80) + wait_ms, rel=1e-9)
