"""Snapshots: a session restored from a snapshot is the original bit for bit (simulator/session/checkpoint.py's
capture is the oracle) and runs on as it does, actions included, for every shipped scenario played with its
reference solution and with nobody acting; a rewind from a snapshot equals a replay from zero; a restore
disturbs neither the original nor the snapshot; a process that cannot be re-created is refused, not faked."""

from __future__ import annotations

import collections
import enum
import functools
import math
import types

import pytest
import simpy
from pydantic import BaseModel

from scenarios.catalog import list_scenarios, load_by_ref
from simulator.session.checkpoint import capture, plain
from simulator.session.journal import Journal
from simulator.session.journal_session import JournalSession
from simulator.session.runner import session_header
from simulator.session.simulation import Simulation
from simulator.session.snapshots import NotRestorable, SnapshotBook, restore, take
from simulator.telemetry.cold import ColdChunk, ColdFile
from simulator.telemetry.tape import ClientRates, InstanceFrame, ServiceFrame, ServiceSettings, WorldFrame, ZoneSettings

SEED = 1
WALK_SKIPS = ("env", "journal", "checkpoints", "_nobody", "warmup")
SHIPPED = sorted(e.id for e in list_scenarios(validate=False) if e.path.parent.name == "library")
TRIED_AT = (300.0, 600.0, 900.0, 1200.0, 1800.0)
"""Times a snapshot is tried at (the first restorable one is used)."""
GAPS = {
    ("os-upgrade-severs-dyno-network", "nobody"): "FaultBook._onset",
    ("os-upgrade-severs-dyno-network", "solution"): "Cluster._rollout",  # the OS upgrade rolls out
}
"""Sessions with a process that is not re-created pending at every time tried (an automation run inside a
fault's onset: simulator/session/snapshots.py): the test checks the refusal names it."""


def _actions(scenario, acting: bool) -> list:
    return [a for a in scenario.solution if a.action != "resolve"] if acting else []


def _play(sim: Simulation, actions: list, until: float) -> None:
    """Apply the actions due by ``until`` that ``sim`` has not applied yet, then run to ``until``."""
    for action in actions[sim.applied :]:
        if action.at > until:
            break
        sim.run_until(float(action.at))
        sim.apply(action)
    sim.run_until(until)


def test_every_shipped_scenario_is_checked():
    assert len(SHIPPED) >= 25 and "retry-storm" in SHIPPED


@pytest.mark.parametrize("acting", [True, False], ids=["solution", "nobody"])
@pytest.mark.parametrize("ref", SHIPPED)
def test_a_restored_session_is_the_original_and_runs_on_as_it(ref, acting):
    scenario, _ = load_by_ref(ref)
    sim = Simulation(scenario, SEED)
    actions = _actions(sim.scenario, acting)
    snapshot, reason = None, ""
    for t in TRIED_AT:
        _play(sim, actions, t)
        try:
            snapshot = take(sim)
            break
        except NotRestorable as err:
            reason = str(err)
    gap = GAPS.get((ref, "solution" if acting else "nobody"))
    if snapshot is None:
        assert gap is not None and gap in reason, f"no snapshot could be taken: {reason}"
        return
    assert gap is None, f"{ref} is restorable now: drop it from GAPS"
    restored = restore(snapshot)
    assert restored.now == sim.now
    assert capture(restored) == capture(sim), "restored at the snapshot's time"
    # On past the next actions (a restored session applies them as the original does).
    later = [a.at for a in actions[sim.applied :]]
    until = min(max(snapshot.t + 300.0, (later[0] + 60.0) if later else 0.0), sim.scenario.duration)
    _play(sim, actions, until)
    _play(restored, actions, until)
    assert restored.applied == sim.applied
    assert capture(restored) == capture(sim), f"both run on from {snapshot.t:g}s to {until:g}s"


def test_an_action_waiting_to_take_effect_is_restored_with_its_own_effect():
    """A drain takes effect a few seconds later through a closure over the session: the restored one's
    closure is over the restored session (the original's would change the original instead)."""
    scenario, _ = load_by_ref("az-outage")
    sim = Simulation(scenario, SEED)
    actions = _actions(sim.scenario, True)
    drain = next(a for a in actions if a.action == "drain_zone")
    _play(sim, actions, float(drain.at) + 1.0)
    snapshot = take(sim)
    assert "ActionDispatcher._later.<locals>.run" in [p.code.co_qualname for p in snapshot.pending if p.code]
    restored = restore(snapshot)
    _play(sim, actions, drain.at + 600.0)
    _play(restored, actions, drain.at + 600.0)
    assert capture(restored) == capture(sim)


def test_a_solution_case_applies_actions_after_its_snapshot():
    """The parametrized test above is not vacuous for actions: retry-storm's solution acts after 300 s."""
    scenario, _ = load_by_ref("retry-storm")
    assert any(a.at > TRIED_AT[0] and a.action != "resolve" for a in scenario.for_seed(SEED).solution)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """retry-storm played live with its solution (resolve left out), journalled, keeping snapshots."""
    scenario, path = load_by_ref("retry-storm")
    journal_path = tmp_path_factory.mktemp("snap") / "live.jsonl"
    sim = Simulation(scenario, 3, Journal(journal_path, session_header(scenario, 3, path)))
    sim.checkpoints = book = SnapshotBook(every=300.0, keep=100)
    actions = _actions(sim.scenario, True)
    for t in range(60, 2401, 60):  # a live session's clock moves in small steps
        _play(sim, actions, float(t))
    sim.journal.close()
    assert len(book.snapshots) >= 6 and book.skipped == 0
    return JournalSession.open(journal_path), book


def test_a_rewind_from_a_snapshot_is_the_replay_from_zero(recorded, tmp_path):
    session, book = recorded
    for t in (700.0, 1500.0, 2300.0):
        sim, done = session.starting_point(t, book, answers=True)
        assert sim.now > 0.0 and done == sim.applied, "a snapshot is used, not a replay from zero"
        fast = session.replay_to(t, checkpoints=book)
        slow = session.replay_to(t)
        assert capture(fast) == capture(slow), f"replay_to({t:g})"
        assert fast.score(impact=False) == slow.score(impact=False)
    branched = session.branch(1500.0, tmp_path / "fast.jsonl", checkpoints=book)
    replayed = session.branch(1500.0, tmp_path / "slow.jsonl")
    for sim in (branched, replayed):
        sim.journal.close()
    assert (tmp_path / "fast.jsonl").read_bytes() == (tmp_path / "slow.jsonl").read_bytes()
    assert capture(branched) == capture(replayed)
    assert [s.t for s in branched.checkpoints.snapshots] == [s.t for s in book.snapshots if s.t <= 1500.0]
    # Both run on to the end: the same report.
    for sim in (branched, replayed):
        sim.journal = None
        sim.run_until(sim.scenario.duration)
        sim.end("time_up")
    assert branched.score(impact=False) == replayed.score(impact=False)


def test_restoring_disturbs_neither_the_original_nor_the_snapshot():
    scenario, _ = load_by_ref("checkout-oom-leak")
    sim = Simulation(scenario, SEED)
    actions = _actions(sim.scenario, True)
    _play(sim, actions, 900.0)
    before = capture(sim)
    snapshot = take(sim)
    assert capture(sim) == before, "taking a snapshot changes nothing"
    restored = restore(snapshot)
    _play(restored, actions, 2400.0)
    inst = restored.world.all_instances()[0]
    inst.memory = math.nextafter(inst.memory, math.inf)
    restored.rng["traffic"].random()
    restored.series.writer(f"{restored.scenario.entry_service}.rate")[3] = 1.0
    restored.alerts.rules[0].check(restored.now)
    assert capture(sim) == before, "the original is not the restored one's"
    assert capture(restore(snapshot)) == before, "a snapshot restores the same however often"


FRAMES = (WorldFrame, ServiceFrame, ServiceSettings, InstanceFrame, ZoneSettings, ClientRates)
"""The telemetry tape's recorded frames (values only, never changed once recorded: the test below)."""
ATOMS = (type(None), bool, int, float, complex, str, bytes, range, type, enum.Enum, BaseModel, ColdFile, ColdChunk,
         *FRAMES)  # fmt: skip
"""Values a copy may share: immutable ones, a store's cold file and its chunks (append-only: what a chunk
already written reads never changes, test_cold_store.py), and the tape's recorded frames."""


def _mutable_reachable(root: object, skip: set[int]) -> dict[int, str]:
    """Ids of the mutable objects reachable from ``root`` (through closures' cells and bound methods too)."""
    found: dict[int, str] = {}
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, ATOMS) or id(value) in skip or id(value) in found:
            continue
        if isinstance(value, simpy.Environment | types.ModuleType | types.CodeType | types.BuiltinFunctionType):
            continue
        frozen = getattr(getattr(value, "__dataclass_params__", None), "frozen", False)
        if not isinstance(value, tuple | frozenset) and not frozen:  # a frozen record's fields are walked
            found[id(value)] = type(value).__qualname__
        if isinstance(value, types.FunctionType):
            stack.extend(cell.cell_contents for cell in value.__closure__ or ())
        elif isinstance(value, types.MethodType):
            stack.append(value.__self__)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set | frozenset | collections.deque):
            stack.extend(value)
        elif isinstance(value, functools.partial):
            stack.extend((value.func, *value.args, *value.keywords.values()))
        else:
            names = [n for cls in type(value).__mro__ for n in getattr(cls, "__slots__", ())]
            names += list(getattr(value, "__dict__", {}))
            stack.extend(getattr(value, n) for n in names if n not in WALK_SKIPS and hasattr(value, n))
    return found


def test_a_restored_session_shares_nothing_mutable_with_the_original():
    """Not even through a closure or a bound method (the what-if and warm-up runs are shared on purpose)."""
    scenario, _ = load_by_ref("retry-storm")
    sim = Simulation(scenario, SEED)
    _play(sim, _actions(sim.scenario, True), 1200.0)
    restored = restore(take(sim))
    skip = {id(sim.env), id(restored.env)}
    shared = set(_mutable_reachable(sim, skip)) & set(_mutable_reachable(restored, skip))
    assert not shared, sorted({_mutable_reachable(sim, skip)[i] for i in shared})


def test_the_recorded_frames_a_snapshot_shares_never_change():
    """A snapshot shares the tape's recorded frames with the session and every restore rather than copying
    them (most of a snapshot's CPU when nobody has read the logs for a while): playing on, acting, reading
    the logs and traces (which plays the frames through the generators) and restoring again leave every
    one of them as it was, to the bit."""
    scenario, _ = load_by_ref("retry-storm")
    sim = Simulation(scenario, SEED)
    actions = _actions(sim.scenario, True)
    _play(sim, actions, 1200.0)
    snapshot = take(sim)
    frames = sim.tape.recorded()
    kinds = {type(obj) for obj in frames}
    assert set(FRAMES) <= kinds and len(frames) > 1000, kinds
    before = plain(frames)
    restored = restore(snapshot)
    shared = {id(obj) for obj in frames}
    assert restored.tape.frames and all(id(f) in shared for f in restored.tape.frames), "shared, not copied"
    for run in (sim, restored):
        _play(run, actions, 2400.0)
        assert run.logs() and run.traces(limit=10**6)
    assert plain(frames) == before, "a recorded frame changed"
    assert capture(restored) == capture(sim)


def test_a_process_that_cannot_be_recreated_is_refused_and_a_rewind_replays_from_zero(tmp_path):
    scenario, path = load_by_ref("os-upgrade-severs-dyno-network")
    journal_path = tmp_path / "live.jsonl"
    sim = Simulation(scenario, SEED, Journal(journal_path, session_header(scenario, SEED, path)))
    sim.run_until(620.0)  # the automation run has started (its onset is at about 604 s)
    sim.checkpoints = book = SnapshotBook(every=300.0)
    for t in range(660, 1201, 60):
        sim.run_until(float(t))
    with pytest.raises(NotRestorable, match="FaultBook._onset"):
        take(sim)
    assert book.snapshots == [] and book.skipped >= 9 and "FaultBook._onset" in book.last_reason
    sim.journal.close()
    session = JournalSession.open(journal_path)
    assert session.starting_point(1000.0, book, answers=False)[1] == 0
    assert capture(session.replay_to(1000.0, checkpoints=book)) == capture(session.replay_to(1000.0))


def test_the_book_stays_bounded_and_dense_near_now():
    scenario, _ = load_by_ref("retry-storm")
    sim = Simulation(scenario, SEED)
    sim.checkpoints = book = SnapshotBook(every=60.0, keep=6)
    for t in range(30, 1800, 30):
        sim.run_until(float(t))
    times = [s.t for s in book.snapshots]
    assert len(times) <= 6 and times == sorted(times)
    assert times[-1] >= 1740.0 and times[0] <= 600.0, times
    assert book.at_or_before(times[2] + 1.0).t == times[2] and book.at_or_before(times[0] - 1.0) is None


def test_a_shadow_rewind_from_a_snapshot_is_the_rewind_from_zero(monkeypatch):
    from simulator.session import shadow
    from simulator.session.shadow import ShadowRun

    scenario, _ = load_by_ref("retry-storm")
    run = ShadowRun.from_scenario(scenario, SEED)
    while run.sim.now < 1500.0 and not run.over():
        run.play_silent_moves()
        if run.at_move():
            run.play_next()
        run.advance(30.0)
    assert len(run.book.snapshots) >= 3
    at = run.moves[2].t + 100.0
    with monkeypatch.context() as patched:
        patched.setattr(shadow, "Simulation", None)  # a replay from zero would build one: it must not
        run.rewind(at)
    assert run.sim.now == at and run.next_index > 0
    fresh = ShadowRun.from_scenario(scenario, SEED)
    fresh.book.snapshots = []  # none: from zero
    fresh.rewind(at)
    assert capture(run.sim) == capture(fresh.sim)
    assert run.next_index == fresh.next_index and run.results == fresh.results


def test_a_snapshot_is_refused_once_the_live_rings_have_wrapped(recorded):
    """A snapshot reads what the series and logs appended from the live session's buffers: once a ring has
    wrapped that prefix is gone, so restoring refuses and a rewind falls back to an earlier one or zero."""
    scenario, _ = load_by_ref("retry-storm")
    sim = Simulation(scenario, SEED)
    sim.run_until(900.0)
    snapshot = take(sim)
    assert capture(restore(snapshot)) == capture(sim)
    store = sim.recorder.series
    steps = store.steps
    store.steps = store.capacity  # as if the ring had come round
    with pytest.raises(NotRestorable, match="wrapped"):
        restore(snapshot)
    store.steps = steps
    session, book = recorded
    prefix = next(iter(book.snapshots[-1].state[0].recorder.series._series.values()))
    live, steps = prefix.owner, prefix.owner.steps  # the live session's store the snapshots read from
    live.steps = live.capacity
    try:
        sim, done = session.starting_point(2400.0, book)
        assert (sim.now, done) == (0.0, 0), "every snapshot refused: a replay from zero"
    finally:
        live.steps = steps
    assert session.starting_point(2400.0, book)[0].now == book.snapshots[-1].t


def test_a_snapshot_keeps_no_copy_of_the_log_lines_and_is_refused_once_the_log_is_cut():
    """The log store's columns are appended to and cut back in one go: a snapshot taken after cuts keeps
    none of their lines (it reads them back from the live columns) and restores the same; the next cut
    of the live columns makes it refuse (a rewind then uses an earlier snapshot or replays from zero)."""
    scenario, _ = load_by_ref("retry-storm")
    sim = Simulation(scenario, SEED)
    logs = sim.log_store
    logs.capacity, logs.cut_at = 400, 500  # cuts every 100 lines
    sim.run_until(900.0)
    logs.catch_up()  # the lines of the ticks so far (written on demand)
    assert logs.dropped > 0 and len(logs) == 400
    snapshot = take(sim)
    copied = snapshot.state[0].log_store
    assert all(type(getattr(copied, name)).__name__ == "_Prefix" for name in ("_t", "_message", "_attrs"))
    assert copied._shared == {} and copied is not logs
    restored = restore(snapshot)
    assert capture(restored) == capture(sim)
    assert restored.log_store.query() == sim.log_store.query()
    # The trace index is not copied either: rebuilt from the traces when a lookup needs it.
    assert snapshot.state[0].trace_store._by_id is None
    traces = sim.trace_store.query(limit=10_000)
    assert len(traces) > 10 and all(restored.trace_store.get(tr.trace_id) == tr for tr in traces)
    dropped = logs.dropped
    while logs.dropped == dropped:
        sim.run_until(sim.now + 30.0)
        logs.catch_up()
    with pytest.raises(NotRestorable, match="wrapped"):
        restore(snapshot)
