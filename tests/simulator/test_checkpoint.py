"""Checkpoints: a replay to t is the live session at t, bit for bit (state, pending events, series,
report), at several times; and a capture tells a one-ulp difference apart."""

from __future__ import annotations

import math
from array import array

import pytest

from scenarios.catalog import load_by_ref
from simulator.session.checkpoint import capture, pending_events
from simulator.session.journal_session import JournalSession
from simulator.session.runner import run_session
from simulator.session.simulation import Simulation

TIMES = (600.0, 1500.0, 2400.0)


@pytest.fixture(scope="module", params=["retry-storm", "checkout-oom-leak"])
def recorded(request, tmp_path_factory):
    """A journal of the scenario played with its reference solution (resolve left out, so it runs on)."""
    scenario, path = load_by_ref(request.param)
    actions = [a for a in scenario.solution if a.action != "resolve"]
    journal = tmp_path_factory.mktemp("cp") / f"{scenario.id}.jsonl"
    run_session(scenario, 3, actions, journal_path=journal, scenario_path=path)
    return scenario, JournalSession.open(journal)


def test_replay_to_t_is_the_live_session_at_t(recorded):
    scenario, session = recorded
    live = Simulation(scenario, 3)
    records = list(session.data.actions)
    assert records and records[0].t < TIMES[-1], "the solution acts within the checked times"
    applied = 0
    for t in TIMES:
        while applied < len(records) and records[applied].t <= t:
            live.run_until(records[applied].t)
            live.apply(records[applied].action, records[applied].seat)
            applied += 1
        live.run_until(t)
        replayed = session.replay_to(t)
        assert capture(replayed) == capture(live), f"state at {t:g}s"
        assert replayed.score(impact=False) == live.score(impact=False)
        series = [(n, replayed.series.window(n).values) for n in replayed.series.names()]
        assert [tuple(v.hex() for v in values) for _, values in series] == [
            tuple(v.hex() for v in live.series.window(n).values) for n, _ in series
        ]


def test_a_capture_tells_one_ulp_apart(recorded):
    _, session = recorded
    before = capture(session.replay_to(TIMES[0]))
    sim = session.replay_to(TIMES[0])
    inst = sim.world.all_instances()[0]
    inst.memory = math.nextafter(inst.memory, math.inf)
    assert capture(sim) != before
    sim = session.replay_to(TIMES[0])
    sim.rng["traffic"].random()
    assert capture(sim) != before
    sim = session.replay_to(TIMES[0])
    buf = sim.series.writer(f"{sim.scenario.entry_service}.rate")
    buf[3] = math.nextafter(buf[3], math.inf)
    assert capture(sim) != before
    sim = session.replay_to(TIMES[0])
    name = f"{sim.scenario.entry_service}.rate"
    assert sim.series.sealed_chunks > 0
    sealed = array("d", sim.series.sealed(name, 0))  # a sealed chunk of the series (bytes)
    sealed[3] = math.nextafter(sealed[3], math.inf)
    sim.series._sealed[name][0] = sealed.tobytes()
    assert capture(sim) != before


def test_pending_events_are_data(recorded):
    _, session = recorded
    sim = session.replay_to(TIMES[1])
    pending = pending_events(sim.env)
    ticks = [p for p in pending if p.process == "Simulation._tick_forever"]
    assert len(ticks) == 1 and ticks[0].t == TIMES[1]  # run_until(t) stops before the tick at t
    assert [p.order for p in pending] == sorted(p.order for p in pending)
    assert all(p.t >= TIMES[1] for p in pending)
