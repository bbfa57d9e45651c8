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

import copy
import struct
from array import array
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from simulator.telemetry.logs import LogGenerator, LogStore
from simulator.telemetry.traces import TraceGenerator, TraceStore
from simulator.views import LogRecord, Trace
from simulator.world.state import Instance, ServiceState, World

_ATOMIC = frozenset({str, int, float, bool, type(None)})


def _copy_slots(self: Any, memo: dict[int, Any]) -> Any:
    """``copy.deepcopy`` of a frame, the same copy without the generic reduce path (values that deepcopy
    returns as they are stay as they are; the rest go through it with the memo, so sharing is kept). A
    snapshot of a session nobody has read for a while copies a frame per tick since (simulator/session/
    snapshots.py): 2-3x faster this way."""
    cls = type(self)
    new = cls.__new__(cls)
    memo[id(self)] = new
    deepcopy = copy.deepcopy
    for name in cls.__slots__:
        value = getattr(self, name)
        setattr(new, name, value if type(value) in _ATOMIC else deepcopy(value, memo))
    return new


class InstanceFrame:
    """What the generators read of one instance, as of the last change to its service's instances."""

    __slots__ = ("id", "service", "version", "zone", "state", "ready", "broken_since", "ejected", "fx_err", "fx_msg",
                 "pid", "cohort_index", "fx_cpu", "fx_lat", "started_at", "gray")  # fmt: skip
    __deepcopy__ = _copy_slots

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
        self.fx_cpu = inst.fx_cpu
        self.fx_lat = inst.fx_lat
        self.started_at = inst.started_at
        self.gray = inst.gray


class ServiceSettings:
    """The slow-changing part of a service frame (shared by its frames until one of them changes).

    Like every frame, it holds values only (no reference into the live world: the tape keeps which rotation
    it was built from), and nothing changes it once built: a snapshot shares recorded frames with the session
    (simulator/session/snapshots.py)."""

    __slots__ = ("spec", "name", "version", "cert_expires_at", "extra_msg", "fallbacks", "rotation", "instances",
                 "n_instances", "tuning", "max_connections", "withdrawn")  # fmt: skip
    __deepcopy__ = _copy_slots

    def __init__(self, s: ServiceState, roster: tuple[list[InstanceFrame], list[InstanceFrame]]) -> None:
        self.spec = s.spec
        self.name = s.spec.name
        self.version = s.version
        self.cert_expires_at = s.cert_expires_at
        self.extra_msg = s.extra_msg
        self.fallbacks = frozenset(s.fallbacks)
        self.rotation, self.instances = roster
        self.n_instances = len(s.instances)
        self.tuning = s.tuning
        self.max_connections = s.max_connections
        self.withdrawn = s.withdrawn


class ServiceFrame:
    """What the generators read of one service in a tick, packed: every number as raw doubles in one
    ``bytes`` (rate, errors, p50, p99, connection demand, cause rates, dependency failure shares, then per
    cohort its latency factor, share of time in GC and memory pressure), the cause names as tuples, the rest
    shared in :class:`ServiceSettings`. ``bytes`` from a ``struct`` pack rather than an ``array('d')``: the
    array parses each number with ``PyArg_Parse``, the pack converts them in one call (a frame is built for
    every service recomputed, so about twice a tick), and ``copy.deepcopy`` shares bytes as they are."""

    __slots__ = ("settings", "numbers", "cause_keys", "dep_keys")
    __deepcopy__ = _copy_slots

    def __init__(self, s: ServiceState, settings: ServiceSettings, previous: ServiceFrame | None) -> None:
        self.settings = settings
        # The model clears and refills the cause dicts in place: the frame keeps their values. Key tuples
        # are shared with the previous frame when equal (they rarely change).
        causes, dep_causes = s.causes, s.dep_causes
        cause_keys, dep_keys = tuple(causes), tuple(dep_causes)
        if previous is not None:
            if cause_keys == previous.cause_keys:
                cause_keys = previous.cause_keys
            if dep_keys == previous.dep_keys:
                dep_keys = previous.dep_keys
        self.cause_keys, self.dep_keys = cause_keys, dep_keys
        cohorts = s.cohorts
        if len(cohorts) == 1:  # (most services: the same numbers without three list comprehensions)
            c = cohorts[0]
            numbers = (s.rate, s.errors, s.p50, s.p99, s.conn_demand, s.gc_ratio, *causes.values(),
                       *dep_causes.values(), c.lat_factor, c.gc, c.key[4] if c.dead_zone is None else 1.0)  # fmt: skip
        else:
            numbers = (
                [s.rate, s.errors, s.p50, s.p99, s.conn_demand, s.gc_ratio, *causes.values(), *dep_causes.values()]
                + [c.lat_factor for c in cohorts]
                + [c.gc for c in cohorts]
                + [c.key[4] if c.dead_zone is None else 1.0 for c in cohorts]  # memory pressure (model.py's key)
            )
        self.numbers = _packer(len(numbers))(*numbers)

    def unpack(self) -> ServiceSnapshot:
        """The frame as the generators read a service."""
        return ServiceSnapshot(self)


@lru_cache(maxsize=256)
def _packer(count: int) -> Callable[..., bytes]:
    """``struct`` packing of ``count`` doubles (a frame's count changes only with its causes or cohorts)."""
    return struct.Struct(f"{count}d").pack


class ServiceSnapshot:
    """A service as it was in a tick, with the attributes and methods the log and trace generators read."""

    def __init__(self, frame: ServiceFrame) -> None:
        settings, numbers = frame.settings, array("d", frame.numbers)
        self.spec = settings.spec
        self.name = settings.name
        self.version = settings.version
        self.cert_expires_at = settings.cert_expires_at
        self.extra_msg = settings.extra_msg
        self.fallbacks = settings.fallbacks
        self.rotation = settings.rotation
        self.instances = settings.instances
        self.tuning = settings.tuning
        self.max_connections = settings.max_connections
        self.withdrawn = settings.withdrawn
        self.rate, self.errors, self.p50, self.p99, self.conn_demand, self.gc_ratio = numbers[:6]
        n, m = len(frame.cause_keys), len(frame.dep_keys)
        self.causes = dict(zip(frame.cause_keys, numbers[6 : 6 + n], strict=True))
        self.dep_causes = dict(zip(frame.dep_keys, numbers[6 + n : 6 + n + m], strict=True))
        cohorts = (len(numbers) - 6 - n - m) // 3
        start = 6 + n + m
        self.lats = numbers[start : start + cohorts]
        self.gcs = numbers[start + cohorts : start + 2 * cohorts]
        self.pressures = numbers[start + 2 * cohorts :]

    def cert_expired(self, now: float) -> bool:
        """Whether its certificate had expired at ``now``."""
        return now >= self.cert_expires_at

    def lat_factor_of(self, inst: InstanceFrame) -> float:
        """The instance's median latency relative to the service's nominal latency, in this tick."""
        return self.lats[inst.cohort_index] if inst.cohort_index >= 0 else 1.0

    def gc_of(self, inst: InstanceFrame) -> float:
        """The instance's share of time in garbage collection, in this tick (the model's, by its cohort)."""
        return self.gcs[inst.cohort_index] if inst.cohort_index >= 0 else 0.0

    def pressure_of(self, inst: InstanceFrame) -> float:
        """The instance's memory pressure (1: none; model.memory_pressure), in this tick."""
        return self.pressures[inst.cohort_index] if inst.cohort_index >= 0 else 1.0


class ZoneSettings:
    """The world's zones and surges as the generators read them (shared until one changes)."""

    __slots__ = ("surges", "down_zones", "zone_hang", "zone_fail_share")
    __deepcopy__ = _copy_slots

    def __init__(self, world: World) -> None:
        self.surges = dict(world.surges)
        self.down_zones = frozenset(world.down_zones)
        self.zone_hang = dict(world.zone_hang)
        self.zone_fail_share = dict(world.zone_fail_share)


class WorldFrame:
    """What the generators read of the world in a tick: the services' frames, user rate, zones."""

    __slots__ = ("services", "user_rate", "zones", "clients")
    __deepcopy__ = _copy_slots

    def __init__(
        self, services: tuple[ServiceFrame, ...], user_rate: float, zones: ZoneSettings, clients: ClientRates
    ) -> None:
        self.services = services
        self.user_rate = user_rate
        self.zones = zones
        self.clients = clients


class ClientRates:
    """The internal sources' rates at their targets in a tick (``world.internal_clients``), packed: the
    names as a tuple shared while they stay the same, the rates in one ``array('d')``. They move every
    tick a source retries against a struggling target, so a dict of dicts per tick cost ~600 bytes."""

    __slots__ = ("names", "rates")
    __deepcopy__ = _copy_slots

    def __init__(self, clients: dict[str, dict[str, float]], previous: ClientRates | None) -> None:
        names = tuple((target, tuple(by_client)) for target, by_client in clients.items())
        self.names = previous.names if previous is not None and previous.names == names else names
        self.rates = array("d", [rate for by_client in clients.values() for rate in by_client.values()])

    def unpack(self) -> dict[str, dict[str, float]]:
        """The rates as ``world.internal_clients`` holds them (target -> client -> rate)."""
        out, i = {}, 0
        rates = self.rates
        for target, clients in self.names:
            out[target] = dict(zip(clients, rates[i : i + len(clients)], strict=True))
            i += len(clients)
        return out


class WorldSnapshot:
    """The world as it was in a tick, as the generators read it (``services`` by name, in world order)."""

    def __init__(self, frame: WorldFrame, services: dict[str, ServiceSnapshot], now: float) -> None:
        self.services = services
        self.now = now
        self.user_rate = frame.user_rate
        zones = frame.zones
        self.surges = zones.surges
        self.internal_clients = frame.clients.unpack()
        self.down_zones = zones.down_zones
        self.zone_hang = zones.zone_hang
        self.zone_fail_share = zones.zone_fail_share


def _roster(s: ServiceState) -> tuple[list[InstanceFrame], list[InstanceFrame]]:
    """Frames of a service's instances: those in rotation (in its order) and all of them."""
    cohort_index = {id(c): i for i, c in enumerate(s.cohorts)}
    frames = {
        id(inst): InstanceFrame(inst, cohort_index.get(id(inst.cohort), -1) if inst.cohort is not None else -1)
        for inst in s.instances
    }
    return [frames[id(inst)] for inst in s.rotation], [frames[id(inst)] for inst in s.instances]


class TelemetryTape:
    """Per-tick frames of what logs and traces read, played through the generators when asked.

    Memory: a tick costs a reference and a time (16 bytes) plus, for each service recomputed in it, a
    frame of about 250 bytes; an 8-hour session nobody reads keeps about 10 MB of them.
    """

    full_frames = False
    """Take a whole new frame every tick (tests compare this with frames kept across ticks)."""

    def __init__(self, world: World, logs: LogGenerator, traces: TraceGenerator) -> None:
        self.world = world
        self.logs = logs
        self.traces = traces
        self.frames: list[WorldFrame] = []
        """One per tick not yet written."""
        self.times = array("d")
        """The time of each of those ticks."""
        self.held: list[tuple[int, tuple]] = []
        """World lines written between those ticks: (how many of them came before, the line)."""
        self.dt = 0.0
        self.ticks = 0
        """Ticks recorded so far."""
        self._services: list[ServiceFrame] = []
        self._sources: list[list[Instance]] = []
        """The live rotation each service's settings were built from (compared by identity: the model
        makes a new list when the rotation changes)."""
        self._live: list[ServiceState] = []
        self._demands: list[float] = []
        """Each service's connection demand in its frame (what its packed numbers hold at offset 32)."""
        self._zones: ZoneSettings | None = None
        self._clients: ClientRates | None = None
        self._clients_seen: dict[str, dict[str, float]] = {}
        """A copy of the internal sources' rates last packed (what the live ones are compared with)."""
        self._frame: WorldFrame | None = None
        self._playing = False

    @property
    def pending(self) -> bool:
        """Whether some tick has not been written yet."""
        return bool(self.frames)

    def recorded(self) -> list[Any]:
        """Every object the pending ticks' frames are made of (frames, their settings, instance frames and
        containers, the tunings they name), each once.

        A frame holds values only and nothing changes it once recorded, so a snapshot shares these with the
        session and every restore instead of copying them (simulator/session/snapshots.py): a session
        nobody has read for an hour holds a frame per tick, and copying them was most of a snapshot's CPU.
        """
        out: list[Any] = []
        seen: set[int] = set()

        def keep(obj: Any) -> bool:
            if id(obj) in seen:
                return False
            seen.add(id(obj))
            out.append(obj)
            return True

        for frame in self.frames:
            if frame is None or not keep(frame):  # (an UnreadTape's placeholder; most ticks repeat a frame)
                continue
            keep(frame.services)
            zones, clients = frame.zones, frame.clients
            if keep(zones):
                for part in (zones.surges, zones.down_zones, zones.zone_hang, zones.zone_fail_share):
                    keep(part)
            if keep(clients):
                keep(clients.names)
                keep(clients.rates)
            for service in frame.services:
                if not keep(service):
                    continue
                settings = service.settings
                if keep(settings):
                    for part in (settings.fallbacks, settings.rotation, settings.instances):
                        keep(part)
                    for inst in settings.instances:
                        keep(inst)
                    if settings.tuning is not None:
                        keep(settings.tuning)
        return out

    def record(self, t: float, dt: float) -> None:
        """Note the tick that just ran (called after the model, before the SLI)."""
        world = self.world
        services = self._services
        changed = not services
        if changed:
            self._live = list(world.services.values())  # a topology's services never change
            services.extend(ServiceFrame(s, ServiceSettings(s, _roster(s)), None) for s in self._live)
            self._sources = [s.rotation for s in self._live]
            self._demands = [s.conn_demand for s in self._live]
        else:
            full = self.full_frames
            demands, sources = self._demands, self._sources
            for i, s in enumerate(self._live):
                f = services[i]
                # Whether the service's instances or settings differ from its frame's (one inlined test:
                # this runs for every service every tick). A withdrawal marks the service dirty.
                settings = f.settings
                if (
                    full
                    or s.dirty
                    or s.rotation is not sources[i]
                    or len(s.instances) != settings.n_instances
                    or s.cert_expires_at != settings.cert_expires_at
                    or s.extra_msg is not settings.extra_msg
                    or s.version is not settings.version
                    or s.tuning is not settings.tuning
                    or s.max_connections != settings.max_connections
                    or ((s.fallbacks or settings.fallbacks) and s.fallbacks != settings.fallbacks)
                ):
                    # Its settings or instances changed: new ones.
                    services[i] = ServiceFrame(s, ServiceSettings(s, _roster(s)), f)
                    sources[i] = s.rotation
                    demands[i] = s.conn_demand
                    changed = True
                elif s.changed or s.conn_demand != demands[i]:
                    # Recomputed (connection demand can also move below the 1e-9 the model ignores).
                    services[i] = ServiceFrame(s, settings, f)
                    demands[i] = s.conn_demand
                    changed = True
        zones = self._zones
        if (
            zones is None
            or self.full_frames
            # the live world's zones or surges differ from these (every tick: compared here, not in a call)
            or world.surges != zones.surges
            or world.down_zones != zones.down_zones
            or world.zone_hang != zones.zone_hang
            or world.zone_fail_share != zones.zone_fail_share
        ):
            zones = self._zones = ZoneSettings(world)
            changed = True
        clients = self._clients
        if clients is None or self.full_frames or world.internal_clients != self._clients_seen:
            self._clients_seen = {k: dict(v) for k, v in world.internal_clients.items()}
            clients = self._clients = ClientRates(world.internal_clients, clients)
            changed = True
        frame = self._frame
        if changed or frame is None or frame.user_rate != world.user_rate:
            frame = self._frame = WorldFrame(tuple(services), world.user_rate, zones, clients)
        self.frames.append(frame)
        self.times.append(t)
        self.dt = dt
        self.ticks += 1

    def hold(self, line: tuple) -> bool:
        """Keep a world line in order behind the ticks not yet written; False when it can be written now."""
        if not self.frames or self._playing:
            return False
        self.held.append((len(self.frames), line))
        return True

    def play(self, store: OnDemandLogStore) -> None:
        """Write every pending tick's lines and traces (and the world lines between them), in order."""
        if not self.frames or self._playing:
            return
        self._playing = True
        logs, traces = self.logs, self.traces
        live = logs.world
        frames, times, held, dt = self.frames, self.times, self.held, self.dt
        self.frames, self.times, self.held = [], array("d"), []
        next_held = 0
        unpacked: dict[int, tuple[WorldFrame, dict[str, ServiceSnapshot]]] = {}
        try:
            for i, frame in enumerate(frames):
                while next_held < len(held) and held[next_held][0] <= i:
                    store.write(*held[next_held][1])
                    next_held += 1
                world = WorldSnapshot(frame, self._unpack(frame, unpacked), times[i])
                logs.world = traces.world = world
                logs.tick(times[i], dt)
                traces.tick(times[i], dt)
            for _, line in held[next_held:]:
                store.write(*line)
        finally:
            logs.world = traces.world = live
            self._playing = False

    @staticmethod
    def _unpack(frame: WorldFrame, cache: dict) -> dict[str, ServiceSnapshot]:
        """The frame's services unpacked, each service frame once however many ticks share it."""
        out = {}
        for f in frame.services:
            hit = cache.get(id(f))
            if hit is None or hit[0] is not f:
                hit = cache[id(f)] = (f, f.unpack())
            out[hit[1].name] = hit[1]
        if len(cache) > 4 * len(out):
            cache.clear()  # keep only recent frames (ids of dropped frames may be reused)
        return out


class TelemetryNotKept(RuntimeError):
    """Logs or traces asked of a run that was told nobody would read them (an :class:`UnreadTape`)."""


class UnreadTape(TelemetryTape):
    """The tape of a run whose logs and traces nobody reads (verify's baselines, the replay with nobody
    acting): it keeps no frames and no world lines. Recording and then collecting a frame per tick was
    about a fifth of such a run's CPU (frames are only ever read back by the generators). The run is
    otherwise the same: recording reads the world and changes nothing. Asking it for lines or traces
    raises :class:`TelemetryNotKept` rather than answering with a log that lacks them."""

    def __init__(self, world: World, logs: LogGenerator, traces: TraceGenerator) -> None:
        super().__init__(world, logs, traces)
        self.frames = [None]  # type: ignore[list-item]  # never empty: every read reaches play(), which refuses

    def record(self, t: float, dt: float) -> None:
        """Note nothing: nobody will ask what this tick's lines were."""

    def hold(self, line: tuple) -> bool:
        """Drop a world line (it is never read): True, as if held."""
        return True

    def play(self, store: OnDemandLogStore) -> None:
        """Refuse: this run kept no telemetry."""
        raise TelemetryNotKept("this run was made without logs and traces (telemetry=False): nothing to read")


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
        if self.tape is not None and self.tape.frames:
            self.catch_up()
        return self._total

    @total.setter
    def total(self, value: int) -> None:
        self._total = value

    def add(self, *args: Any, **kwargs: Any) -> None:
        """A line: written now, or (a world line between ticks not yet written) held behind them."""
        if self.tape is not None and self.tape.hold(_line_args(*args, **kwargs)):
            return
        self.write(*args, **kwargs)

    def write(self, *args: Any, **kwargs: Any) -> None:
        """Append a line now (LogStore.add: it shares the message and attributes with earlier lines)."""
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
