"""Telemetry on demand: the tick records what its logs and traces would read; they are written when asked.

Writing log lines and sampling traces every tick cost about 40 % of a headless run that nobody reads
(verify, replay, a rewind). Instead each tick appends to a :class:`TelemetryTape` a frozen frame of the
state the generators read (per service: figures, error causes, who is in rotation; per world: zones
down, surges). A frame is rebuilt only for what changed, so most ticks append one reference. When
anyone asks for lines or traces (:class:`OnDemandLogStore`, :class:`OnDemandTraceStore`), the tape
plays the pending ticks through the same :class:`LogGenerator` and :class:`TraceGenerator`, in tick
order, with the same random streams, pointed at the frames instead of the live world. The lines and
spans are therefore exactly those the live world would have given, whenever and however often they
are asked for, and the consistency of spans, error lines and metrics is the generators' as before.

Lines the world's machinery writes at a time (OOM kills, back-off, rollouts, noise) are kept in order
between the ticks they fell between, so the merged log is the same as if it had been written live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.telemetry.logs import LogGenerator, LogStore
from simulator.telemetry.traces import TraceGenerator, TraceStore
from simulator.views import LogRecord, Trace
from simulator.world.state import Instance, ServiceState, World


class InstanceFrame:
    """What the generators read of one instance, as of the last regroup of its service."""

    __slots__ = ("id", "service", "version", "zone", "state", "ready", "broken_since", "ejected", "fx_err", "fx_msg",
                 "pid", "cohort_index")  # fmt: skip

    def __init__(self, inst: Instance, cohort_index: int) -> None:
        self.id = inst.id
        self.service = inst.service
        self.version = inst.version
        self.zone = inst.zone
        self.state = inst.state
        self.ready = inst.ready
        self.broken_since = inst.broken_since
        self.ejected = inst.ejected
        self.fx_err = inst.fx_err
        self.fx_msg = inst.fx_msg
        self.pid = inst.pid
        self.cohort_index = cohort_index


class ServiceFrame:
    """What the generators read of one service in a tick: its figures, causes and instances."""

    __slots__ = ("spec", "name", "version", "rate", "errors", "p50", "p99", "causes", "dep_causes", "conn_demand",
                 "cert_expires_at", "extra_msg", "fallbacks", "rotation", "instances", "lats", "source")  # fmt: skip

    def __init__(self, s: ServiceState, roster: tuple[list[InstanceFrame], list[InstanceFrame], list]) -> None:
        self.spec = s.spec
        self.name = s.spec.name
        self.version = s.version
        self.rate = s.rate
        self.errors = s.errors
        self.p50 = s.p50
        self.p99 = s.p99
        # The model clears and refills these dicts in place: the frame keeps copies.
        self.causes = dict(s.causes)
        self.dep_causes = dict(s.dep_causes)
        self.conn_demand = s.conn_demand
        self.cert_expires_at = s.cert_expires_at
        self.extra_msg = s.extra_msg
        self.fallbacks = frozenset(s.fallbacks)
        self.rotation, self.instances, self.source = roster
        self.lats = tuple(c.lat_factor for c in s.cohorts)

    def cert_expired(self, now: float) -> bool:
        """Whether its certificate had expired at ``now``."""
        return now >= self.cert_expires_at

    def lat_factor_of(self, inst: InstanceFrame) -> float:
        """The instance's median latency relative to the service's nominal latency, in this tick."""
        return self.lats[inst.cohort_index] if inst.cohort_index >= 0 else 1.0

    def stale(self, s: ServiceState) -> bool:
        """Whether the live service differs from this frame in anything the generators read."""
        return (
            s.changed
            or s.dirty
            or s.rotation is not self.source[0]
            or len(s.instances) != self.source[1]
            or s.conn_demand != self.conn_demand
            or s.cert_expires_at != self.cert_expires_at
            or s.extra_msg is not self.extra_msg
            or s.version is not self.version
            or len(s.fallbacks) != len(self.fallbacks)
            or (bool(s.fallbacks) and s.fallbacks != self.fallbacks)
        )


class WorldFrame:
    """What the generators read of the world in a tick: the services' frames and the zones' state."""

    __slots__ = ("services", "now", "user_rate", "surges", "down_zones", "zone_hang", "zone_fail_share")

    def __init__(self, world: World, services: dict[str, ServiceFrame]) -> None:
        self.services = services
        self.now = world.now
        self.user_rate = world.user_rate
        self.surges = dict(world.surges)
        self.down_zones = frozenset(world.down_zones)
        self.zone_hang = dict(world.zone_hang)
        self.zone_fail_share = dict(world.zone_fail_share)

    def stale(self, world: World) -> bool:
        """Whether the live world's zones, surges or user rate differ from this frame."""
        return (
            world.user_rate != self.user_rate
            or world.surges != self.surges
            or world.down_zones != self.down_zones
            or world.zone_hang != self.zone_hang
            or world.zone_fail_share != self.zone_fail_share
        )


def _roster(s: ServiceState) -> tuple[list[InstanceFrame], list[InstanceFrame], list]:
    """Frames of a service's instances (rotation first, in its order), rebuilt after each regroup."""
    cohort_index = {id(c): i for i, c in enumerate(s.cohorts)}
    frames = {
        id(inst): InstanceFrame(inst, cohort_index.get(id(inst.cohort), -1) if inst.cohort is not None else -1)
        for inst in s.instances
    }
    rotation = [frames[id(inst)] for inst in s.rotation]
    instances = [frames[id(inst)] for inst in s.instances]
    return rotation, instances, [s.rotation, len(s.instances)]


class TelemetryTape:
    """Per-tick frames of what logs and traces read, played through the generators when asked."""

    def __init__(self, world: World, logs: LogGenerator, traces: TraceGenerator) -> None:
        self.world = world
        self.logs = logs
        self.traces = traces
        self.pending: list[tuple] = []
        """Ticks not yet written, ``(t, dt, frame)``, and world lines written between them, ``(args,)``."""
        self.ticks = 0
        """Ticks recorded so far."""
        self._services: dict[str, ServiceFrame] = {}
        self._rosters: dict[str, tuple] = {}
        self._frame: WorldFrame | None = None
        self._playing = False

    def record(self, t: float, dt: float) -> None:
        """Note the tick that just ran (called after the model, before the SLI)."""
        world = self.world
        services = self._services
        fresh = None
        for s in world.services.values():
            f = services.get(s.spec.name)
            if f is None or f.stale(s):
                if fresh is None:
                    fresh = dict(services)
                fresh[s.spec.name] = ServiceFrame(s, self._roster_of(s))
        frame = self._frame
        if fresh is not None:
            self._services = fresh
            frame = WorldFrame(world, fresh)
        elif frame is None or frame.stale(world):
            frame = WorldFrame(world, services)
        self._frame = frame
        self.pending.append((t, dt, frame))
        self.ticks += 1

    def _roster_of(self, s: ServiceState) -> tuple:
        """The service's instance frames, rebuilt only when an instance changed (the service is dirty, or the
        model regrouped it into a new rotation list)."""
        roster = self._rosters.get(s.spec.name)
        # An instance changed since the last regroup (killed in this tick: the model regroups next tick).
        if roster is None or s.dirty or roster[2][0] is not s.rotation or roster[2][1] != len(s.instances):
            roster = self._rosters[s.spec.name] = _roster(s)
        return roster

    def hold(self, line: tuple) -> bool:
        """Keep a world line in order behind the ticks not yet written; False when it can be written now."""
        if not self.pending or self._playing:
            return False
        self.pending.append((line,))
        return True

    def play(self, store: LogStore) -> None:
        """Write every pending tick's lines and traces (and the world lines between them), in order."""
        if not self.pending or self._playing:
            return
        self._playing = True
        logs, traces = self.logs, self.traces
        live = logs.world
        pending, self.pending = self.pending, []
        try:
            for item in pending:
                if len(item) == 1:
                    LogStore.add(store, *item[0])
                    continue
                t, dt, frame = item
                frame.now = t
                logs.world = traces.world = frame
                logs.tick(t, dt)
                traces.tick(t, dt)
        finally:
            logs.world = traces.world = live
            self._playing = False


class OnDemandLogStore(LogStore):
    """The session's log: reading it first writes the lines of the ticks nobody has read yet."""

    def __init__(self, capacity: int = 150_000) -> None:
        self._total = 0
        super().__init__(capacity)
        self.tape: TelemetryTape | None = None

    def catch_up(self) -> None:
        """Write what the pending ticks imply."""
        if self.tape is not None:
            self.tape.play(self)

    @property
    def total(self) -> int:  # type: ignore[override]
        """Lines ever written (reading it writes the pending ticks first)."""
        if self.tape is not None and self.tape.pending:
            self.catch_up()
        return self._total

    @total.setter
    def total(self, value: int) -> None:
        self._total = value

    def add(self, *args: Any, **kwargs: Any) -> None:
        """A world line: written now, or held behind the ticks not yet written."""
        if self.tape is not None and self.tape.hold(_line_args(*args, **kwargs)):
            return
        super().add(*args, **kwargs)

    def query(self, *args: Any, **kwargs: Any) -> list[LogRecord]:
        """See :meth:`LogStore.query`."""
        self.catch_up()
        return super().query(*args, **kwargs)

    def since_index(self, index: int, limit: int | None = None) -> tuple[list[LogRecord], int]:
        """See :meth:`LogStore.since_index`."""
        self.catch_up()
        return super().since_index(index, limit)


def _line_args(
    t: float,
    level: str,
    service: str,
    version: str,
    zone: str,
    instance: str,
    message: str,
    trace: str | int = "",
    span: str | int = "",
    attributes: dict | None = None,
) -> tuple:
    return (t, level, service, version, zone, instance, message, trace, span, dict(attributes) if attributes else None)


class OnDemandTraceStore(TraceStore):
    """The session's traces: reading them first samples the ticks nobody has read yet."""

    def __init__(self, catch_up: Callable[[], None], capacity: int = 5000) -> None:
        super().__init__(capacity)
        self._catch_up = catch_up

    def get(self, trace_id: str) -> Trace | None:
        """See :meth:`TraceStore.get`."""
        self._catch_up()
        return super().get(trace_id)

    def query(self, *args: Any, **kwargs: Any) -> list[Trace]:
        """See :meth:`TraceStore.query`."""
        self._catch_up()
        return super().query(*args, **kwargs)
