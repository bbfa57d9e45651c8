"""Charts reach back before t=0 through a quiet warm-up run of the same system (simulator.session.warmup)."""

from __future__ import annotations

import math
import statistics

from scenarios import load_by_ref as _load_by_ref
from simulator.session import Simulation
from simulator.session.warmup import WARMUP_SECONDS, quiet_copy

SCENARIO = "checkout-oom-leak"


def load_by_ref(ref: str):
    return _load_by_ref(ref)[0]


def session(seed: int = 1, until: float = 600.0) -> Simulation:
    sim = Simulation(load_by_ref(SCENARIO), seed)
    sim.run_until(until)
    return sim


def test_a_chart_shows_the_minutes_before_the_incident_then_the_session():
    sim = session(until=120.0)
    chart = sim.history("checkout", "rate", start=-600.0, end=120.0)
    before = [t for t in chart.times if t < 0]
    assert before and min(before) >= -600.0 and max(before) < 0
    assert list(chart.times) == sorted(chart.times), "one time axis, oldest first"
    after = sim.metric("checkout", "rate", start=-600.0, end=120.0)
    assert chart.times[len(before) :] == after.times and chart.values[len(before) :] == after.values
    assert all(math.isfinite(v) and v > 0 for v in chart.values[: len(before)])


def test_the_warm_up_is_the_system_before_anything_went_wrong():
    """The leak's instance climbs during the incident; before t=0 its memory is flat, its errors nil."""
    sim = session(until=1500.0)
    leaking = sim.instances("checkout")[0].id
    before = sim.history("checkout", "memory_mb", instance=leaking, start=-WARMUP_SECONDS, end=0.0).values
    during = sim.metric("checkout", "memory_mb", instance=leaking, start=0.0, end=1500.0).values
    assert max(before) - min(before) < 0.05 * max(before), "no leak before the incident"
    assert max(during) > 1.2 * max(before), "the leak shows once the incident runs"
    errors = sim.history("checkout", "error_ratio", start=-WARMUP_SECONDS, end=0.0).values
    assert statistics.median(errors) < 0.005
    # Traffic joins up: the last minute before t=0 is close to the first minute after.
    rate_before = statistics.mean(sim.history("checkout", "rate", start=-60.0, end=0.0).values)
    rate_after = statistics.mean(sim.metric("checkout", "rate", start=0.0, end=60.0).values)
    assert abs(rate_before - rate_after) < 0.1 * rate_after


def test_the_warm_up_is_deterministic_and_leaves_the_session_alone():
    a, b = session(seed=3), session(seed=3)
    assert a.history("frontend", "p99_ms", start=-300.0, end=0.0) == b.history(
        "frontend", "p99_ms", start=-300.0, end=0.0
    )
    plain = session(seed=3)
    assert plain.warmup._sim is None, "built on first use only"
    assert a.score() == plain.score(), "charts reading the past change nothing scored"
    assert a.metric("frontend", "rate", start=-300.0) == plain.metric("frontend", "rate", start=-300.0)


def test_the_quiet_copy_keeps_the_system_and_drops_the_incident():
    scenario = load_by_ref(SCENARIO)
    quiet = quiet_copy(scenario)
    assert quiet.topology == scenario.topology and quiet.slo == scenario.slo
    assert quiet.faults == [] and quiet.noise == [] and quiet.messages == [] and quiet.hints == []
    assert all(change.at < 0 for change in quiet.history)
    assert quiet.duration == WARMUP_SECONDS
    shift = (scenario.traffic.start_hour - quiet.traffic.start_hour) % 24
    assert math.isclose(shift, (WARMUP_SECONDS) / 3600.0), "the day's clock is set back by the warm-up"
