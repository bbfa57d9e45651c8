"""Thread (goroutine) dumps and crash reports of an instance, derived from the model's state.

Threads are counted with Little's law: requests per second x seconds spent in each place gives the
threads in that place. Own work is RUNNABLE; a call to a dependency is BLOCKED in that client's I/O;
a request waiting for a pool connection is WAITING on the pool; a retry backing off is TIMED_WAITING;
with a full disk every logging thread is BLOCKED behind the one stuck in the logger's write; what is
left of the worker pool is idle. More busy threads than workers means requests queue for a worker.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scenarios.durations import format_clock
from scenarios.language.events import BadConfig, BadDeploy, BadFlag, Latency, MemoryLeak, PoolLeak
from simulator.diagnostics.frames import NATIVE_STATE, ServiceFrames
from simulator.diagnostics.profiles import (
    ProfiledSystem,
    ProfileError,
    _rounded,
    dependency_calls,
    hot_frames,
    own_faults,
    require_running,
)
from simulator.telemetry.logs import routes_of
from simulator.world.faults import DISK_FULL_MESSAGE
from simulator.world.model import queue_factor, retries_in_effect, retry_amplification

STATES = ("RUNNABLE", "BLOCKED", "WAITING", "TIMED_WAITING")
"""Canonical thread states (Java's names); each runtime's dump also shows its own name for them."""

SIGNALS = {137: ("SIGKILL", 9), 143: ("SIGTERM", 15), 139: ("SIGSEGV", 11), 134: ("SIGABRT", 6)}
MULTIPLEXED = ("envoy", "redis", "nginx")
"""Event-loop runtimes: a few threads serve every request, none waits for a free thread."""
BACKOFF_S = 0.1
"""Mean pause of a retry before it tries again."""


@dataclass(frozen=True)
class ThreadGroup:
    """Threads with the same state and stack (root frame first)."""

    state: str
    native_state: str
    count: int
    stack: tuple[str, ...]
    note: str = ""
    """What they wait for, e.g. 'waiting for a connection from the pool (64 of 64 in use)'."""


@dataclass(frozen=True)
class ThreadDump:
    """Every thread of one instance at one moment, grouped by state and stack, biggest group first."""

    instance: str
    service: str
    version: str
    language: str
    at: float
    workers: int
    """Size of its request worker pool (0: one goroutine per request)."""
    queued: int
    """Requests waiting for a free worker."""
    groups: tuple[ThreadGroup, ...]
    kind: str = "threads"

    def count(self, state: str, frame_part: str = "") -> int:
        """Threads in ``state`` whose stack contains ``frame_part``."""
        return sum(
            g.count
            for g in self.groups
            if g.state == state and (not frame_part or any(frame_part in f for f in g.stack))
        )

    @property
    def total(self) -> int:
        """Threads in the dump."""
        return sum(g.count for g in self.groups)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return _rounded(asdict(self) | {"total": self.total})


@dataclass(frozen=True)
class CrashReport:
    """Why an instance's last container exited: signal or exit code, its last log lines, top of stack."""

    instance: str
    service: str
    version: str
    language: str
    at: float | None
    """When it exited (None when the log no longer holds it)."""
    reason: str
    exit_code: int
    signal: str
    restarts: int
    state: str
    """What the instance is doing now (crashed in back-off, or running again)."""
    last_logs: tuple[str, ...]
    stack: tuple[str, ...]
    """Top of the stack of the thread that was running when it died (root first)."""
    kind: str = "crash"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return _rounded(asdict(self))


def thread_dump(sim: ProfiledSystem, instance_id: str) -> ThreadDump:
    """A thread dump of the instance now."""
    inst = require_running(sim, instance_id)
    s = sim.world.services[inst.service]
    spec = s.spec
    frames = ServiceFrames.of(spec)
    native = NATIVE_STATE.get(frames.language, {})
    server = frames.frames("server")
    first = server + frames.handler(routes_of(s)[0])
    rate = inst.rate
    groups: dict[tuple[str, tuple[str, ...]], list] = {}

    def put(state: str, stack: tuple[str, ...], count: float, note: str = "") -> None:
        if count <= 0:
            return
        entry = groups.setdefault((state, stack), [0.0, note])
        entry[0] += count

    rho = rate * inst.fx_cpu / spec.capacity_rps
    own_s = spec.latency_ms * inst.fx_lat * inst.pressure * queue_factor(rho) / 1000.0
    faults = own_faults(sim, inst)
    own_s = _fault_threads(put, faults, frames, server, first, rate, own_s)
    if inst.fx_msg == DISK_FULL_MESSAGE:
        # Every request logs; the appender is stuck in a write that fails slowly: all wait behind it.
        put("RUNNABLE", first[:-1] + frames.frames("logger"), 1, "holding the appender lock: write() fails, disk full")
        put("BLOCKED", first[:-1] + frames.frames("logger.lock"), rate * own_s, "waiting for the log appender lock")
    else:
        put("RUNNABLE", first, rate * own_s)
    pool_ratio = inst.pool_ratio
    pool_hold = 1.0 / pool_ratio if pool_ratio > 1.0 else 1.0  # share of requests that get a connection
    _client_threads(put, sim, inst, frames, first, rate * pool_hold)
    for fault in faults:
        if isinstance(fault, PoolLeak):
            note = "holding a pool connection in an open transaction"
            put("BLOCKED", first[:-1] + hot_frames(frames, fault), rate * pool_hold * inst.fx_hold / 1000.0, note)
    if pool_ratio > 1.0:
        tuning = inst.cohort.key[-1] if inst.cohort is not None and inst.cohort.dead_zone is None else None
        timeout, pool = (tuning.timeout_s, tuning.pool_size) if tuning is not None else (spec.timeout, spec.pool_size)
        waiting = rate * timeout * (1.0 - 1.0 / pool_ratio)
        note = f"waiting for a connection from the pool ({pool} of {pool} in use)"
        put("WAITING", first[:-1] + frames.frames("pool_wait"), waiting, note)
    workers, queued = _worker_pool(put, groups, frames, spec, inst, rate)
    out = [
        ThreadGroup(state, native.get(state, state), _whole(count), stack, note)
        for (state, stack), (count, note) in groups.items()
    ]
    for name, state, stack in frames.table.get("background", ()):
        out.append(ThreadGroup(state, native.get(state, state), 1, tuple(stack), name))
    out = [g for g in out if g.count > 0]
    out.sort(key=lambda g: (-g.count, STATES.index(g.state), g.stack))
    return ThreadDump(inst.id, inst.service, inst.version, frames.language, sim.now, workers, queued, tuple(out))


def _fault_threads(put: Any, faults: list, frames: ServiceFrames, server: tuple, first: tuple, rate, own_s) -> float:
    """Threads a fault keeps busy (a hot regex, a slow code path, slow I/O); returns the seconds per
    request left for the handler itself."""
    hot_cpu = next((f for f in faults if isinstance(f, BadConfig) and f.cpu_factor > 1.0), None)
    if hot_cpu is not None:
        share = 1.0 - 1.0 / hot_cpu.cpu_factor
        put("RUNNABLE", server + hot_frames(frames, hot_cpu), rate * own_s * share, "burning CPU")
        own_s *= 1.0 - share
    for fault in faults:
        if isinstance(fault, BadDeploy | BadFlag) and (getattr(fault, "latency_factor", 1.0) > 1.0):
            put("RUNNABLE", first + hot_frames(frames, fault), rate * own_s * (1.0 - 1.0 / fault.latency_factor))
            own_s /= fault.latency_factor
        if isinstance(fault, Latency):
            put("BLOCKED", first + hot_frames(frames, fault), rate * own_s * (1.0 - 1.0 / fault.factor), "slow I/O")
            own_s /= fault.factor
    return own_s


def _client_threads(put: Any, sim: ProfiledSystem, inst, frames: ServiceFrames, first: tuple, calling: float) -> None:
    """Threads blocked in each dependency's client I/O, and backing off between retries; ``calling``
    is the requests per second that got a pool connection and call out."""
    s = sim.world.services[inst.service]
    retries = retries_in_effect(s, sim.world.flags)
    for dep, kind, _fanout, ms, expired in dependency_calls(sim, inst):
        client = frames.client(dep, kind)
        note = f"in {dep} client I/O"
        if expired:
            put(
                "RUNNABLE",
                first[:-1] + client[:1] + frames.frames("tls"),
                inst.rate * 0.005,
                f"TLS handshake with {dep}",
            )
            continue
        put("BLOCKED", first[:-1] + (frames.frames("retry") if retries else ()) + client, calling * ms / 1000, note)
        if retries:
            retried = calling * (retry_amplification(s.call_error.get(dep, 0.0), retries) - 1.0)
            put("TIMED_WAITING", first[:-1] + frames.frames("backoff"), retried * BACKOFF_S, f"retry back-off ({dep})")


def _worker_pool(put: Any, groups: dict, frames: ServiceFrames, spec, inst, rate: float) -> tuple[int, int]:
    """Fit the busy threads into the worker pool (the rest queue for a worker); add the idle ones.
    Returns (workers, requests queued)."""
    workers = int(frames.table.get("workers", 0))
    limit = inst.owner.max_connections if inst.owner is not None else spec.max_connections
    if frames.language == "postgres" and limit:
        workers = limit
    busy = sum(v[0] for v in groups.values())
    queued = int(round(inst.cohort.backlog)) if inst.cohort is not None else 0
    if workers and busy > workers:
        # More work than workers: every worker is busy and the rest queue for one (an event loop
        # multiplexes its requests instead: its few threads are just all busy).
        scale = workers / busy
        if frames.language not in MULTIPLEXED:
            queued += int(round(busy - workers))
        for entry in groups.values():
            entry[0] *= scale
        busy = workers
    if workers:
        put("TIMED_WAITING", frames.frames("idle"), workers - busy, "idle worker")
    else:
        put("WAITING", frames.frames("idle"), 8 + rate * 0.2, "keep-alive connection waiting for a request")
    return workers, queued


def _whole(x: float) -> int:
    """Thread count: at least one when any time is spent there."""
    return max(int(math.floor(x + 0.5)), 1) if x > 0.05 else 0


def crash_report(sim: ProfiledSystem, instance_id: str) -> CrashReport:
    """The instance's last exit: what killed it, what it logged last, where it was."""
    inst = sim.world.instance(instance_id)
    if inst is None:
        raise ProfileError(f"no instance {instance_id!r}")
    if not inst.last_exit:
        raise ProfileError(f"{instance_id} has not exited since it started: there is no crash report")
    s = sim.world.services[inst.service]
    frames = ServiceFrames.of(s.spec)
    reason, _, rest = inst.last_exit.partition(" (exit code ")
    exit_code = int(rest.rstrip(")") or 0) if rest.rstrip(")").isdigit() else 1
    signal, number = SIGNALS.get(exit_code, ("", 0))
    killed = sim.logs(instance=inst.id, text="terminated", limit=1)
    at = killed[-1].t if killed else None
    lines = sim.logs(instance=inst.id, until=at, limit=12) if at is not None else []
    first = frames.frames("server") + frames.handler(routes_of(s)[0])
    leak = next((f for f in sim.faults.faults if isinstance(f, MemoryLeak) and f.service == inst.service), None)
    stack = first + hot_frames(frames, leak) if leak is not None and reason == "OOMKilled" else first
    return CrashReport(
        inst.id,
        inst.service,
        inst.version,
        frames.language,
        at,
        reason,
        exit_code,
        f"{signal} ({number})" if signal else "",
        inst.restarts,
        inst.state,
        tuple(f"{format_clock(r.t)} {r.level:5} {r.message}" for r in lines),
        stack,
    )
