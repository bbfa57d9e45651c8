"""Checkpoints: the whole state of a session at a time, as plain data.

A rewind that does not replay from zero needs two halves: *capture* the state every few simulated
minutes during play, and *restore* a Simulation from the nearest capture before the rewind's time. This
module is the first half and the proof it rests on. :func:`capture` walks the Simulation's object graph
(world, cohorts, settings, RNG streams, series ring buffers and their positions, the telemetry tape and
log store, alerts, pages, incident, SLI, journal-free bookkeeping) into plain data: floats as
``float.hex``, buffers and RNG states as SHA-256 digests, shared objects once with references after, so
two captures are equal exactly when the states are equal bit for bit. The SimPy processes cannot be
copied (they are generators); :func:`pending_events` describes what is scheduled as data instead: when,
in which order, which process and the arguments it waits with.

The second half, restore, is :mod:`simulator.session.snapshots`: it re-creates each kind of process
it knows (its ``RESTARTABLE`` and ``RESUMABLE``; any other pending process makes a snapshot refuse, naming
it), and its tests prove a restored session equal to the original with :func:`capture`.
"""

from __future__ import annotations

import enum
import hashlib
import math
import random
import types
from array import array
from collections import deque
from dataclasses import dataclass
from typing import Any

import simpy
from pydantic import BaseModel

from simulator.session.simulation import Simulation
from simulator.telemetry.cold import ColdChunk

SKIPPED_ATTRIBUTES = frozenset(
    {
        "env",
        "journal",
        "checkpoints",
        "_nobody",
        "warmup",
        "_shared",
        "_unpacked",
        "_unpacked_attrs",
        "_unpacked_lines",
        "_by_id",
        "_reading",
        "_memoryviews",
        "_split_plans",
        "_cold",
    }
)
"""Not state of the session: the SimPy environment (its processes are described by
:func:`pending_events`), the journal file, the snapshots kept for rewinds, the lazily built what-if
and warm-up runs (derived from the scenario and seed alone), the log store's sharing cache (equal
messages shared by reference: which string a line holds, not what it says), its last unpacked message
and attribute blocks, the trace store's index by id (derived from its traces), the sealed series chunk last read as
arrays (a series store's read cache), a store's cold file (its chunks are captured by what they hold, not
where), and the metrics recorder's memoryviews of its buffers and its split
plans (both made again from its buffers and cohorts): a snapshot copies none of them."""


@dataclass(frozen=True)
class PendingEvent:
    """One scheduled event as data: its time, its place among events at the same time, and what waits."""

    t: float
    priority: int
    order: int
    """Rank among all pending events (SimPy runs equal times and priorities in scheduling order)."""
    process: str
    """The waiting process's function (``Class.method``), or the event's type when no process waits."""
    arguments: tuple
    """The process's arguments and locals (plain data, see :func:`plain`)."""


@dataclass(frozen=True)
class Checkpoint:
    """A session's state at simulated time ``t``: equal checkpoints mean bit-for-bit equal states."""

    t: float
    state: Any
    pending: tuple[PendingEvent, ...]

    def digest(self) -> str:
        """SHA-256 of the whole checkpoint (state and pending events)."""
        return hashlib.sha256(repr((self.t, self.state, self.pending)).encode()).hexdigest()


def capture(sim: Simulation) -> Checkpoint:
    """The state of ``sim`` now (reading logs or traces first would write pending ticks: it does not)."""
    return Checkpoint(float(sim.now), plain(sim), pending_events(sim.env))


def pending_events(env: simpy.Environment) -> tuple[PendingEvent, ...]:
    """What ``env`` has scheduled, in the order SimPy will run it, as data."""
    out = []
    for order, (t, priority, _, event) in enumerate(sorted(env._queue)):  # noqa: SLF001 (no public view)
        waiting = [
            cb.__self__ for cb in event.callbacks or () if isinstance(getattr(cb, "__self__", None), simpy.Process)
        ]
        if not waiting:
            out.append(PendingEvent(float(t), priority, order, type(event).__name__, ()))
            continue
        for process in waiting:
            generator = process._generator  # noqa: SLF001
            frame = generator.gi_frame
            local = {} if frame is None else {k: v for k, v in frame.f_locals.items() if k != "self"}
            out.append(PendingEvent(float(t), priority, order, generator.__qualname__, plain(local)))
    return tuple(out)


def plain(value: Any) -> Any:
    """``value`` as plain, comparable data (see the module docstring)."""
    return _Walker().walk(value, "$")


class _Walker:
    """Turns an object graph into nested tuples; an object met again becomes a reference to its path."""

    def __init__(self) -> None:
        self.seen: dict[int, str] = {}
        self.keep: list[Any] = []  # keeps walked objects alive so their ids stay theirs

    def walk(self, value: Any, path: str) -> Any:  # noqa: C901 (one dispatch over the kinds of value)
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            return ("float", "nan" if math.isnan(value) else value.hex())
        if isinstance(value, enum.Enum):
            return ("enum", type(value).__name__, value.name)
        if isinstance(value, types.FunctionType | types.BuiltinFunctionType | types.MethodType | type):
            return ("callable", getattr(value, "__qualname__", type(value).__name__))
        if isinstance(value, simpy.Environment | simpy.events.Event | types.GeneratorType | types.ModuleType):
            return ("skipped", type(value).__name__)
        if isinstance(value, BaseModel):
            return ("model", type(value).__name__)  # scenario data: immutable, the same for both
        if type(value) is ColdChunk:  # a sealed chunk moved to the cold file: captured as the bytes it holds
            value = value.read()
        if isinstance(value, bytes):  # a sealed chunk of a series: a value (the store shares equal ones)
            return ("bytes", len(value), hashlib.sha256(value).hexdigest())
        key = id(value)
        if key in self.seen:
            return ("ref", self.seen[key])
        self.seen[key] = path
        self.keep.append(value)
        if isinstance(value, array):
            return ("array", value.typecode, len(value), hashlib.sha256(value.tobytes()).hexdigest())
        if isinstance(value, random.Random):
            return ("rng", hashlib.sha256(repr(value.getstate()).encode()).hexdigest())
        if isinstance(value, list | tuple | deque):
            return (type(value).__name__, tuple(self.walk(v, f"{path}[{i}]") for i, v in enumerate(value)))
        if isinstance(value, dict):
            return ("dict", tuple((self.walk(k, path), self.walk(v, f"{path}[{k!r}]")) for k, v in value.items()))
        if isinstance(value, set | frozenset):
            return (type(value).__name__, tuple(sorted(repr(self.walk(v, path)) for v in value)))
        return self._object(value, path)

    def _object(self, value: Any, path: str) -> Any:
        checkpoint_state = getattr(value, "checkpoint_state", None)
        if isinstance(checkpoint_state, types.MethodType):  # a store that says what its state is (the log store)
            state = checkpoint_state()
            fields = [(k, self.walk(v, f"{path}.{k}")) for k, v in sorted(state.items()) if k not in SKIPPED_ATTRIBUTES]
            return ("object", type(value).__qualname__, tuple(fields))
        names: list[str] = []
        for cls in type(value).__mro__:
            names.extend(getattr(cls, "__slots__", ()))
        names.extend(getattr(value, "__dict__", {}))
        fields = []
        for name in sorted(set(names)):
            if name in SKIPPED_ATTRIBUTES or name.startswith("__") or not hasattr(value, name):
                continue
            fields.append((name, self.walk(getattr(value, name), f"{path}.{name}")))
        return ("object", type(value).__qualname__, tuple(fields))
