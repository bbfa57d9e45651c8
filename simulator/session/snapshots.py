"""Snapshots: a running Simulation copied at a time and restored later, without replaying from zero.

The second half of checkpoints (:mod:`simulator.session.checkpoint` captures a state as data, the oracle
that proves a restore right). :func:`take` copies the Simulation's object graph with ``copy.deepcopy``:
the scenario's immutable pydantic models and the lazily built what-if and warm-up runs are shared (the
memo is seeded with them), the journal is left out and the SimPy environment is replaced by a stand-in.
Nothing in the graph is a closure over mutable state (alert checks are objects, the log gate a
``partial``), so every bound method in the copy is bound to the copy.

SimPy processes are generators, which cannot be copied. Each pending one is described instead (its
function, its locals, when it wakes and its place in the queue), and :func:`restore` re-creates it in a
new ``simpy.Environment(initial_time=t)``: the same function is called again in the copied graph with the
same arguments and run to its first ``yield``, where the environment hands it a timeout that wakes at the
original time, in the original order (SimPy runs equal times in scheduling order). That is exact only for
a process waiting at its first ``yield`` whose code before it changes nothing (:data:`RESTARTABLE`: each
was read for that; a draw from a random stream before the wait is undone) and for a process not started
yet (re-created as it was). Loops that log before they wait were turned round so their one wait comes
first, with the loop's state as an argument (noise log lines, certificate probes); a traffic noise's
locals say which of its two waits it is at (:data:`RESUMABLE`). Every re-created process is checked:
the same instruction, the same locals.

What is not restorable (:class:`NotRestorable` says which process and where): a process inside a
``yield from`` (rollouts and config pushes paced by the recovery pacer, database copies, procedures,
host automation runs, zone outages, staged flag rollouts: every wait of a fault's onset after the
first) and a loop whose code before its wait writes (host automation). A session with one of those
pending takes no snapshot then; a rewind uses an earlier one or, when none applies, replays from zero.
"""

from __future__ import annotations

import bisect
import copy
import dis
import gc
import math
import random
import sys
import types
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from heapq import heappush
from typing import Any

import simpy
from pydantic import BaseModel
from simpy.events import PENDING, Initialize, Timeout

from simulator.session.simulation import Simulation
from simulator.telemetry.logs import _Lines
from simulator.telemetry.series import SeriesStore

RESTARTABLE = frozenset(
    {
        # loops whose one wait comes first, nothing written before it
        "Simulation._tick_forever",
        "AlertEngine._evaluate_forever",
        "ScenarioScript._noise_log",  # re-created with ``wait``, the delay it had drawn
        "FaultBook._probe_failures",  # re-created with ``probing`` (the probe before the wait failed)
        # one-shot "do X after a delay": only a delay is computed before the wait
        "AlertEngine._escalate_unacked",
        "AlertEngine.fire_noise.<locals>.clear",
        "ScenarioScript._change_later",
        "ScenarioScript._noise",
        "ScenarioScript._hint",
        "ScenarioScript._message",
        "ChangeKinds._provider_status",
        "FaultBook._onset",  # its first wait only (the onset)
        "FaultBook._end_after",
        "FaultBook._crash_on_load",
        "Cluster._become_ready",  # draws its start-up jitter before the wait: the draw is undone
        "Cluster._eject_later",
        "Cluster._restart_after",
        "Cluster._reinstate",
        "Cluster._promote_after",
        "HostBook._crash_later",
        "ActionDispatcher._later.<locals>.run",  # its effect is a closure: copied with its cells
        "ActionDispatcher._hold_hint.<locals>.release",
        "ActionDispatcher._move_message.<locals>.arrive",
        "DataPlane.promote_later.<locals>.run",
        "fail_back_later.<locals>.run",
        "ActionDispatcher._escalation_answer",
        "ProfileDesk._complete",
    }
)
"""Processes re-created by calling them again at their first wait (see the module docstring). A process
missing here and from :data:`RESUMABLE` is not restorable: a snapshot refuses while one is pending and
names it (the ``yield from`` ones: rollouts, propagations, data copies, procedures, host automation)."""

RESUMABLE = frozenset({"ScenarioScript._noise_traffic"})
"""Processes whose locals say which wait they are at: called again with them, they go straight there
(``raised``), so they are re-created at any of their waits (checked: the same instruction)."""


class NotRestorable(Exception):
    """A session with a pending process that cannot be re-created (the message names it and where)."""


@dataclass(frozen=True)
class _Pending:
    """One queue entry: when, its priority, and what to re-create (no process: a bare event)."""

    t: float
    priority: int
    kind: str
    """``event`` (nothing waits on it), ``start`` (a process not started) or ``resume`` (at its first wait)."""
    code: types.CodeType | None = None
    lasti: int = -1
    """The instruction the original generator waits at (the re-created one must wait at the same)."""


@dataclass
class Snapshot:
    """A copy of a Simulation at ``t`` that :func:`restore` turns into a running Simulation (any number of times)."""

    t: float
    seed: int
    scenario_id: str
    applied: int
    """How many actions the session had applied (a journal's actions before ``t``, when it is this one's)."""
    pending: tuple[_Pending, ...]
    state: tuple
    """(the copied Simulation, each pending entry's locals, each pending event's value)."""
    stand_in: simpy.Environment
    shared: tuple
    """Objects shared, not copied, by every restore (scenario models, what-if and warm-up runs, recorded frames)."""

    def restore(self) -> Simulation:
        """A new running Simulation equal to the one snapshotted (see :func:`restore`; raises NotRestorable
        once the live session's ring buffers have wrapped)."""
        return restore(self)


def take(sim: Simulation) -> Snapshot:
    """A snapshot of ``sim`` now. Raises NotRestorable when a pending process cannot be re-created.

    It keeps no copy of what the series and the log store have appended so far (see :class:`_Prefix`): a
    restore reads that from ``sim``'s own buffers, until their rings wrap.
    """
    env = sim.env
    pending, locals_, values = [], [], []
    for t, priority, _, event in sorted(env._queue):  # noqa: SLF001 (SimPy has no public view of its queue)
        entry, local = _describe(float(t), priority, event)
        pending.append(entry)
        locals_.append(local)
        values.append(event._value)  # noqa: SLF001
    stand_in = simpy.Environment(initial_time=env.now)
    shared = (*_shared(sim), *sim.tape.recorded())
    memo = _memo(sim, env, stand_in, shared)
    _buffers_as_prefixes(sim, memo)
    state = copy.deepcopy((sim, locals_, values), memo)
    return Snapshot(float(env.now), sim.seed, sim.scenario.id, sim.applied, tuple(pending), state, stand_in, shared)


def restore(snapshot: Snapshot) -> Simulation:
    """A running Simulation equal to the one ``snapshot`` was taken of, in a new environment.

    The snapshot is copied again (it stays reusable and shares nothing mutable with the result); each
    pending process is re-created at its point, in the original order.
    """
    env = simpy.Environment(initial_time=snapshot.t)
    memo: dict[int, Any] = {id(snapshot.stand_in): env}
    for obj in snapshot.shared:
        memo[id(obj)] = obj
    sim, locals_, values = copy.deepcopy(snapshot.state, memo)
    # Re-creating a process runs its code up to its first wait: a draw made there is undone after.
    streams = [obj for obj in memo.values() if isinstance(obj, random.Random)]
    states = [r.getstate() for r in streams]
    for entry, local, value in zip(snapshot.pending, locals_, values, strict=True):
        _recreate(env, entry, local, value)
    for stream, state in zip(streams, states, strict=True):
        stream.setstate(state)
    sim.env = env
    return sim


# --- taking ---------------------------------------------------------------------------------------


def _describe(t: float, priority: int, event: simpy.events.Event) -> tuple[_Pending, dict | None]:
    callbacks = event.callbacks or []
    if not callbacks:
        if type(event) is not simpy.events.Event:
            raise NotRestorable(f"a pending {type(event).__name__} at {t:g}s that nothing waits on")
        return _Pending(t, priority, "event"), None
    process = getattr(callbacks[0], "__self__", None)
    if len(callbacks) != 1 or not isinstance(process, simpy.Process):
        raise NotRestorable(f"an event at {t:g}s with callbacks other than one process")
    generator = process._generator  # noqa: SLF001
    where = f"{generator.__qualname__} at {t:g}s (line {generator.gi_frame.f_lineno})"
    if process.callbacks:
        raise NotRestorable(f"{where}: another process waits for it")
    local = {name: _freeze(value) for name, value in generator.gi_frame.f_locals.items()}
    if type(event) is Initialize:
        return _Pending(t, priority, "start", generator.gi_code), local
    if type(event) is not Timeout or generator.__qualname__ not in RESTARTABLE | RESUMABLE:
        raise NotRestorable(f"{where}: this kind of process is not re-created (simulator/session/snapshots.py)")
    if generator.gi_yieldfrom is not None:
        raise NotRestorable(f"{where}: it waits inside another generator")
    lasti = generator.gi_frame.f_lasti
    if lasti != _first_wait(generator.gi_code) and generator.__qualname__ not in RESUMABLE:
        raise NotRestorable(f"{where}: it waits past its first wait")
    return _Pending(t, priority, "resume", generator.gi_code, lasti), local


_FIRST_WAIT: dict[types.CodeType, int] = {}


def _first_wait(code: types.CodeType) -> int:
    """The instruction offset at which a generator of ``code`` first waits (its first ``yield``)."""
    offset = _FIRST_WAIT.get(code)
    if offset is None:
        offset = _FIRST_WAIT[code] = min(i.offset for i in dis.get_instructions(code) if i.opname == "YIELD_VALUE")
    return offset


def _shared(sim: Simulation) -> tuple:
    """What every copy shares: the scenario's models (immutable), the what-if and warm-up runs (and, added
    by :func:`take`, the telemetry tape's recorded frames: values that never change once recorded)."""
    return (sim._nobody, sim.warmup, *_models(sim.scenario))  # noqa: SLF001


def _models(root: Any) -> Iterator[Any]:
    stack, seen = [root], set()
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, BaseModel):
            yield value
            stack.extend(value.__dict__.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())


def _memo(sim: Simulation, env: simpy.Environment, stand_in: simpy.Environment, shared: Iterable[Any]) -> dict:
    memo: dict[int, Any] = {id(env): stand_in}
    for obj in shared:
        memo[id(obj)] = obj
    for name in ("journal", "checkpoints"):  # a restored session gets its own journal and book
        value = getattr(sim, name, None)
        if value is not None:
            memo[id(value)] = None
    return memo


class _Prefix:
    """An append-only log column in a snapshot: the live session's own column and how much of it was written.

    What the log store appended before the snapshot never changes again until it cuts its columns'
    front (:meth:`LogStore._compact`: ``limit`` is how much it had cut), so the snapshot keeps no copy: a
    restore copies that prefix out of the live column. Once the store has cut since, the prefix is gone
    (``wrapped`` says, reading the live store) and the snapshot cannot be restored.
    """

    __slots__ = ("buf", "size", "owner", "limit")

    def __init__(self, buf: array | list, size: int, owner: Any, limit: int) -> None:
        self.buf, self.size, self.owner, self.limit = buf, size, owner, limit

    def wrapped(self) -> bool:
        """Whether the live store has cut its columns since (the prefix is gone)."""
        return self.owner.dropped != self.limit

    def __deepcopy__(self, memo: dict) -> array | list:
        if self.wrapped():
            raise NotRestorable("the live session's ring buffers have wrapped since this snapshot (or its log cut)")
        prefix = self.buf[: self.size]
        if isinstance(prefix, list):  # a line's attributes (mutable) are copied (a sealed block says how)
            return [copy.deepcopy(x, memo) if isinstance(x, dict | list | _Lines) else x for x in prefix]
        return prefix


class _OpenChunk:
    """A series' open chunk (:meth:`SeriesStore.writer`) in a snapshot: its first ``size`` samples are read
    from the live store when restored, from the same array while the live store still writes that chunk
    and from the sealed chunk once it has moved on (the rest is NaN, as on the chunk's first lap). Once
    the live ring has come round (``limit`` steps) those samples are gone and the snapshot cannot be restored.
    """

    __slots__ = ("owner", "name", "chunk", "size", "limit")

    def __init__(self, owner: SeriesStore, name: str, size: int) -> None:
        self.owner, self.name, self.chunk, self.size, self.limit = owner, name, owner.open, size, owner.capacity

    def wrapped(self) -> bool:
        """Whether the live ring has come round since (the samples are overwritten)."""
        return self.owner.steps >= self.limit

    def __deepcopy__(self, memo: dict) -> array:
        if self.wrapped():
            raise NotRestorable("the live session's ring buffers have wrapped since this snapshot (or its log cut)")
        live = self.owner
        if live.open == self.chunk:
            prefix = live.writer(self.name)[: self.size]
        else:
            prefix = array("d", live.sealed(self.name, self.chunk)[: self.size * 8])
        prefix.extend(array("d", [math.nan]) * (live.chunk - self.size))
        return prefix


LOG_COLUMNS = ("_t", "_where", "_trace_hi", "_trace_lo", "_span", "_message", "_attrs")
"""The log store's tail columns (simulator/telemetry/logs.py): appended to, then left as they are when the
tail is sealed (the store starts new ones)."""


def _buffers_as_prefixes(sim: Simulation, memo: dict) -> None:
    """Seed ``memo`` so the series' open chunks and the log columns are read back from the live session
    (:class:`_OpenChunk`, :class:`_Prefix`; a ring that came round: its open chunks copied). Sealed chunks
    are bytes, shared as they are."""
    for store in (sim.recorder.series, sim.recorder.instance_series):
        if store.steps < store.capacity:
            size = store.last + 1
            for name, buf in store._series.items():  # noqa: SLF001
                memo[id(buf)] = _OpenChunk(store, name, size)
    logs = sim.log_store
    size = len(logs._t)  # noqa: SLF001
    if all(len(getattr(logs, name)) == size for name in LOG_COLUMNS):
        for name in LOG_COLUMNS:
            memo[id(getattr(logs, name))] = _Prefix(getattr(logs, name), size, logs, logs.dropped)
    # The sealed blocks: appended to until the store cuts (a block's attributes packed later read the same).
    blocks = logs._blocks  # noqa: SLF001
    memo[id(blocks)] = _Prefix(blocks, len(blocks), logs, logs.dropped)


# --- restoring ------------------------------------------------------------------------------------


def _recreate(env: simpy.Environment, entry: _Pending, local: dict | None, value: Any) -> None:
    if entry.kind == "event":
        event = simpy.events.Event(env)
        event._ok, event._value = True, value  # noqa: SLF001
        _push(env, entry, event)
        return
    assert entry.code is not None and local is not None
    local = {name: _thaw(value) for name, value in local.items()}
    generator = _call(entry.code, local)
    process = simpy.Process.__new__(simpy.Process)
    process.env, process.callbacks, process._value, process._generator = env, [], PENDING, generator  # noqa: SLF001
    target: simpy.events.Event
    if entry.kind == "start":
        target = Initialize.__new__(Initialize)
        target.env, target.callbacks, target._value, target._ok = env, [process._resume], None, True  # noqa: SLF001
    else:
        target = Timeout.__new__(Timeout)
        target.env, target.callbacks, target._value, target._ok = env, [], value, True  # noqa: SLF001
        target._delay = entry.t - env.now  # noqa: SLF001 (informative only: the queue holds the exact time)
        _run_to_first_wait(env, generator, target, entry, local)
        target.callbacks.append(process._resume)
    process._target = target  # noqa: SLF001
    _push(env, entry, target)


def _push(env: simpy.Environment, entry: _Pending, event: simpy.events.Event) -> None:
    # The original order among equal times and priorities is kept: entries are pushed in it.
    heappush(env._queue, (entry.t, entry.priority, next(env._eid), event))  # noqa: SLF001


@dataclass(frozen=True)
class _Closure:
    """A nested function as data, so that a copy of it holds copies of what it closes over."""

    code: types.CodeType
    module: str
    defaults: tuple | None
    cells: tuple

    def thaw(self) -> types.FunctionType:
        """The function again, closing over (copies of) the same values."""
        cells = tuple(types.CellType(_thaw(value)) for value in self.cells)
        return types.FunctionType(self.code, vars(sys.modules[self.module]), self.code.co_name, self.defaults, cells)


def _freeze(value: Any) -> Any:
    """``value``, or a closure as :class:`_Closure` (deepcopy shares functions, it would not copy their cells)."""
    if not isinstance(value, types.FunctionType) or not value.__closure__:
        return value
    try:
        cells = tuple(_freeze(cell.cell_contents) for cell in value.__closure__)
    except ValueError:  # a cell not yet assigned
        raise NotRestorable(f"{value.__qualname__}: a closure with an empty cell") from None
    return _Closure(value.__code__, value.__module__, value.__defaults__, cells)


def _thaw(value: Any) -> Any:
    return value.thaw() if isinstance(value, _Closure) else value


def _call(code: types.CodeType, local: dict) -> types.GeneratorType:
    """A new generator of ``code`` called with the arguments in ``local`` (its closure's cells from it too)."""
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    if code.co_freevars:  # a generator function defined inside a method: rebuilt on new cells
        cells = tuple(types.CellType(local[name]) for name in code.co_freevars)
        function = types.FunctionType(code, _globals_of(code), code.co_name, None, cells)
        return function(**{name: local[name] for name in names})
    owner = local[names[0]]
    method = getattr(owner, code.co_name)
    if method.__func__.__code__ is not code:
        raise NotRestorable(f"{code.co_qualname}: {type(owner).__name__}.{code.co_name} is another function")
    return method(**{name: local[name] for name in names[1:]})


_GLOBALS: dict[types.CodeType, dict] = {}


def _globals_of(code: types.CodeType) -> dict:
    """The module globals a nested function's code runs with (its module's)."""
    found = _GLOBALS.get(code)
    if found is None:
        module = next(m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == code.co_filename)
        found = _GLOBALS[code] = vars(module)
    return found


def _run_to_first_wait(
    env: simpy.Environment, generator: types.GeneratorType, target: Timeout, entry: _Pending, local: dict
) -> None:
    """Run a re-created generator to its first wait, handing it ``target`` as its timeout; check it."""
    env.timeout = lambda delay=0, value=None: target  # type: ignore[method-assign]
    try:
        waited = next(generator)
    finally:
        del env.timeout
    qualname = generator.__qualname__
    if waited is not target or generator.gi_frame.f_lasti != entry.lasti:
        raise NotRestorable(f"{qualname}: re-created, it does not wait where it did")
    now = generator.gi_frame.f_locals
    if now.keys() != local.keys() or any(not _same(now[k], v) for k, v in local.items()):
        raise NotRestorable(f"{qualname}: re-created, its locals differ")


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a.hex() == b.hex() or (math.isnan(a) and math.isnan(b))
    return isinstance(a, int | str | bytes | tuple | frozenset) and a == b


# --- keeping snapshots as a session plays ---------------------------------------------------------


@dataclass
class SnapshotBook:
    """Snapshots a live session keeps as it plays: one every ``every`` simulated seconds, at most ``keep``.

    :meth:`note` is called after each run of the clock (``Simulation.run_until``); when one is due it
    takes it (a moment with a pending process that is not restorable is skipped: the next run tries
    again). Past ``keep`` the book thins the older half (every other one goes), so the recent past stays
    dense and memory stays bounded however long the session.
    """

    every: float = 300.0
    keep: int = 8
    snapshots: list[Snapshot] = field(default_factory=list)
    skipped: int = 0
    """Moments a snapshot was due and could not be taken (a process not restorable was pending)."""
    last_reason: str | None = None

    def note(self, sim: Simulation) -> None:
        """Take a snapshot of ``sim`` if one is due."""
        last = self.snapshots[-1].t if self.snapshots else -math.inf
        if sim.now < last + self.every:
            return
        try:
            self.snapshots.append(take(sim))
        except NotRestorable as err:
            self.skipped += 1
            self.last_reason = str(err)
            return
        if len(self.snapshots) > self.keep:
            half = len(self.snapshots) // 2
            self.snapshots[:half] = self.snapshots[:half:2]
            # A snapshot is a copy of a whole session, full of reference cycles: only the cyclic collector
            # frees one, and it would wait for a full collection (dropped ones piled up: +50 MB in 8 h).
            gc.collect()

    def at_or_before(self, t: float) -> Snapshot | None:
        """The latest snapshot taken at or before ``t`` (None when there is none)."""
        i = bisect.bisect_right([s.t for s in self.snapshots], t)
        return self.snapshots[i - 1] if i else None

    def drop_after(self, t: float) -> None:
        """Forget the snapshots after ``t`` (a rewind to ``t`` makes them another history)."""
        self.snapshots = [s for s in self.snapshots if s.t <= t]
