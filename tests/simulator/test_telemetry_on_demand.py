"""Logs and traces are written on demand from the tick's recorded frames (simulator/telemetry/tape.py).

Whenever and however often they are read, in whatever windows, every shipped scenario gives the same
lines and spans; frames rebuilt only on change give what a frame taken every tick gives; reading never
changes the simulation; a run nobody reads writes nothing. (One run reads along *and* takes a whole
frame every tick; it must equal a run read once at the end with frames kept across ticks: two runs
per scenario instead of three, for CI's time.)
"""

from __future__ import annotations

import functools

import pytest

from scenarios.catalog import list_scenarios, load_by_ref
from scenarios.language.scenario import Scenario
from simulator.session.simulation import Simulation
from simulator.telemetry import tape

SEED = 3
AFTER_LAST_ACTION = 300.0


def shipped() -> list[str]:
    return [e.id for e in list_scenarios() if e.source == "shipped" and e.error is None]


@functools.cache
def load(scenario_id: str) -> Scenario:
    """A shipped scenario, read once for the module's runs (finding it by id scans the catalog)."""
    return load_by_ref(scenario_id)[0]


def play(scenario_id: str, read_every: float | None = None, telemetry: bool = True) -> Simulation:
    """The scenario's reference solution, stopped 5 min after its last action; with ``read_every``,
    logs and traces are read (windows, tails, lookups) at every action and every ``read_every`` s."""
    scenario = load(scenario_id)
    actions = [a for a in scenario.solution if a.action != "resolve"]  # keep the run going to the stop
    stop = min(scenario.duration, max((a.at for a in actions), default=0.0) + AFTER_LAST_ACTION)
    sim = Simulation(scenario, SEED, telemetry=telemetry)
    marks = sorted({float(a.at) for a in actions} | ({*range(0, int(stop), int(read_every))} if read_every else set()))
    pending = list(actions)
    for mark in marks:
        sim.run_until(mark)
        while pending and pending[0].at <= sim.now:
            sim.apply(pending.pop(0))
        if read_every:
            read_a_window(sim)
    sim.run_until(stop)
    return sim


def read_a_window(sim: Simulation) -> None:
    now = sim.now
    sim.logs(since=now - 90, limit=40)
    sim.logs(level="ERROR", limit=5)
    sim.log_store.since_index(max(0, sim.log_store.total - 7), 3)
    for tr in sim.traces(since=now - 300, limit=3):
        assert sim.trace(tr.trace_id) == tr
        sim.logs(trace_id=tr.trace_id)


def everything(sim: Simulation) -> tuple:
    return tuple(sim.logs()), tuple(sim.traces(limit=10**9)), sim.log_store.total


@pytest.mark.parametrize("scenario_id", shipped())
def test_the_same_lines_and_spans_whenever_they_are_read(scenario_id, monkeypatch):
    read_at_end = play(scenario_id)
    assert read_at_end.tape.pending, "a run nobody read has written nothing yet"
    first = everything(read_at_end)
    assert not read_at_end.tape.pending
    assert everything(read_at_end) == first, "asked twice, the same answer"
    # Frames are rebuilt only when something the generators read changed: the same as one every tick.
    monkeypatch.setattr(tape.TelemetryTape, "full_frames", True)
    read_along = play(scenario_id, read_every=173.0)
    assert everything(read_along) == first, (
        "read in windows along the way, with a fresh frame every tick: not the same lines and spans"
    )
    # The reports without the replay with nobody acting: inside shared_baselines both would be spared
    # against one replay (it reads nothing), so what they could differ in is the session's own part: the
    # report, and the unrounded failed requests the spared share is computed from (CI time: the replay
    # was ~7 % of this file).
    assert (read_along.score(impact=False), read_along.failed_user_requests) == (
        read_at_end.score(impact=False),
        read_at_end.failed_user_requests,
    ), "reading telemetry never changes the simulation"
    assert first[0] and first[1], "the run wrote lines and sampled traces"


def _outcome(sim: Simulation) -> tuple:
    """Everything of a run but its logs and traces: report, alerts, pages, timeline, every metric series."""
    series = {name: list(sim.series.values(name, 0.0, sim.now)) for name in sim.series.names()}
    return sim.score(impact=False), sim.alert_list(True), sim.pages(), sim.incident.timeline, series


@pytest.mark.parametrize("scenario_id", ["checkout-oom-leak", "db-failover-lost-writes", "retry-storm"])
def test_a_run_that_keeps_no_telemetry_is_the_same_run_and_refuses_to_be_read(scenario_id):
    """verify's baselines and the replay with nobody acting keep no logs or traces (telemetry=False):
    the run must be the same in everything else, and asking it for lines or spans must fail loudly
    rather than answer with a log that lacks them."""
    kept, unread = play(scenario_id), play(scenario_id, telemetry=False)
    assert isinstance(unread.tape, tape.UnreadTape) and not isinstance(kept.tape, tape.UnreadTape)
    assert _outcome(unread) == _outcome(kept), "keeping no telemetry changed the run"
    for read in (
        lambda: unread.logs(limit=5),
        lambda: unread.traces(limit=5),
        lambda: unread.log_store.total,
        lambda: unread.trace("0" * 32),
    ):
        with pytest.raises(tape.TelemetryNotKept):
            read()


def test_the_replay_with_nobody_acting_keeps_no_telemetry():
    sim = Simulation(load("checkout-oom-leak"), SEED)
    assert isinstance(sim._nobody._build().tape, tape.UnreadTape)  # noqa: SLF001
    assert not isinstance(Simulation(load("checkout-oom-leak"), SEED, telemetry=True).tape, tape.UnreadTape)
