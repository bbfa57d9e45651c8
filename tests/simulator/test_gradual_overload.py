"""Gradual overload is the model's default: goodput degrades before capacity, never recovers as the mean
load crosses it, and the hottest instances still work through requests their callers gave up on."""

from __future__ import annotations

import pytest
from simkit import chain_spec, sim_of

from scenarios.language.topology import DEFAULT_LOAD_SPREAD
from simulator.world.model import hot_excess, hot_share


def _chain(rps: float, until: float = 600.0, **api) -> object:
    """web -> api -> db with api at 3 x 400 rps, flat traffic, run ``until`` seconds (10 minutes)."""
    spec = chain_spec()
    spec["traffic"]["base_rps"] = rps
    spec["topology"]["services"][0]["capacity_rps"] = 5000
    spec["topology"]["services"][1].update(api)
    sim = sim_of(spec)
    sim.run_until(until)
    return sim


def _goodput(rps: float, **api) -> float:
    return 1.0 - _chain(rps, **api).world.services["web"].error_ratio


def test_a_service_that_says_nothing_degrades_before_capacity():
    assert DEFAULT_LOAD_SPREAD > 0.0
    # api: 1,200 rps of capacity; web's 2 s timeout is shorter than api's 5 s queue.
    at = {u: _goodput(1200 * u) for u in (0.80, 0.90, 0.95)}
    assert at[0.80] == pytest.approx(1.0, abs=1e-3)  # well below capacity nobody notices
    assert 0.95 < at[0.90] < 0.995  # errors begin near 88 % utilisation...
    assert 0.6 < at[0.95] < 0.95  # ...and grow as the mean nears capacity
    assert at[0.80] > at[0.90] > at[0.95]


def test_opting_out_restores_the_step_at_capacity():
    assert _goodput(1200 * 0.95, load_spread=0) == pytest.approx(1.0, abs=1e-3)
    assert _goodput(1200 * 0.95) < 0.95


def test_errors_do_not_drop_as_the_mean_load_crosses_capacity():
    # Just below and just above capacity, in the first seconds: past capacity the whole cohort's queue
    # takes over (and fills slowly), but the hottest instances' failures stay: crossing capacity never
    # looks healthier than approaching it.
    for t in (10.0, 30.0, 300.0):
        below, above = _chain(1195, until=t), _chain(1205, until=t)
        assert below.world.services["web"].error_ratio > 0.3
        assert above.world.services["web"].error_ratio >= below.world.services["web"].error_ratio - 1e-3


def test_a_queue_shorter_than_the_callers_timeout_refuses_only_the_excess():
    # api's queue (0.2 s) is shorter than web's timeout (2 s): its hottest instances serve their
    # capacity and refuse only what is beyond it, so far fewer requests fail than when they time out.
    short = _goodput(1200 * 0.97, queue="200ms")
    long = _goodput(1200 * 0.97)
    assert short > 0.97
    assert long < 0.8
    assert hot_excess(0.97, 0.05) == pytest.approx(1.0 - short, abs=0.01)


def test_abandoned_requests_still_reach_the_dependencies():
    # The hottest api instances work through requests web gave up on: db still gets them.
    sim = _chain(1200 * 0.97)
    api, db = sim.world.services["api"], sim.world.services["db"]
    assert api.error_ratio > 0.2
    # db is offered what api worked on: all but the refused excess, not only what web still waits for.
    assert db.offered == pytest.approx(api.admitted * (1.0 - hot_excess(0.97, 0.05)), rel=0.02)


def test_hot_share_and_excess_bounds():
    assert hot_share(0.5, 0.05) < 1e-9
    assert hot_share(1.0, 0.05) == pytest.approx(0.5 + 0.05 * 0.3989, rel=1e-3)
    assert hot_share(1.5, 0.05) == pytest.approx(1.0, abs=1e-6)
    # Far past capacity the excess refused is what no instance can serve: 1 - 1/rho.
    assert hot_excess(1.5, 0.05) == pytest.approx(1.0 - 1.0 / 1.5, abs=1e-6)
    assert hot_excess(0.5, 0.05) < 1e-9
