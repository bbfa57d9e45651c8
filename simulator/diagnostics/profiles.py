"""CPU and heap profiles of an instance, derived from the same state as its metrics, logs and traces.

A healthy instance spends its CPU in its server, handlers, serialisation, clients, logging and a little
GC. Each fault shapes that the way the real fault would: a leak grows one allocation site and raises
the GC share; a bad config's regex or parser takes the CPU; a regression's code path gets hot; a retry
storm fattens the retry loop; debug logging fattens the logger; an expired certificate puts the
clients in the TLS handshake; a surge fattens one route. Nothing here draws from a random stream: the
small jitter comes from a hash of (seed, instance, window, stack), so a profile is the same for a seed.

Thread dumps and crash reports live in :mod:`simulator.diagnostics.threads`; taking one costs simulated
time through :mod:`simulator.diagnostics.desk`; :mod:`simulator.diagnostics.text` draws them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from scenarios.language.events import (
    BadConfig,
    BadDeploy,
    BadFlag,
    DiskFill,
    Latency,
    MemoryLeak,
    PoolLeak,
    TrafficSurge,
    ZoneOutage,
)
from scenarios.language.scenario import Scenario
from simulator.diagnostics.frames import ServiceFrames, camel
from simulator.telemetry.logs import routes_of
from simulator.telemetry.series import Series
from simulator.views import LogRecord
from simulator.world.faults import FaultBook
from simulator.world.model import retries_in_effect, retry_amplification
from simulator.world.state import RUNNING, Instance, ServiceState, World

SAMPLE_HZ = 100
"""Samples per second of one fully busy core (the usual profiler default)."""


class ProfiledSystem(Protocol):
    """What the profilers read of a running session (``Simulation`` is one): the world and its faults,
    the instance series and the logs, the seed for the jitter."""

    seed: int
    scenario: Scenario
    world: World
    faults: FaultBook

    @property
    def now(self) -> float: ...

    def metric(
        self,
        service: str,
        metric: str,
        zone: str | None = None,
        version: str | None = None,
        instance: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> Series: ...

    def logs(self, **filters: Any) -> list[LogRecord]: ...


class ProfileError(ValueError):
    """A profile cannot be taken (unknown instance, container not running, unreachable)."""


@dataclass(frozen=True)
class FunctionShare:
    """One row of a top table: share of samples with the function on top (self) or anywhere (total)."""

    function: str
    self_share: float
    total_share: float


@dataclass(frozen=True)
class CpuProfile:
    """Sampled on-CPU stacks of one instance over a window (root frame first)."""

    instance: str
    service: str
    version: str
    language: str
    start: float
    end: float
    cpu: float
    """Mean CPU use over the window, 0-1 of its allocation."""
    stacks: tuple[tuple[tuple[str, ...], int], ...]
    """(stack, samples), heaviest first."""
    kind: str = "cpu"

    @property
    def samples(self) -> int:
        """Samples in the profile."""
        return sum(n for _, n in self.stacks)

    def top(self, limit: int = 15) -> list[FunctionShare]:
        """Functions by self share, then total share."""
        total = max(self.samples, 1)
        own: dict[str, int] = {}
        inclusive: dict[str, int] = {}
        for stack, n in self.stacks:
            own[stack[-1]] = own.get(stack[-1], 0) + n
            for name in set(stack):
                inclusive[name] = inclusive.get(name, 0) + n
        rows = [FunctionShare(f, own.get(f, 0) / total, inclusive[f] / total) for f in inclusive]
        rows.sort(key=lambda r: (-r.self_share, -r.total_share, r.function))
        return rows[:limit]

    def share_of(self, function: str) -> float:
        """Share of samples with ``function`` anywhere on the stack (its total share)."""
        total = max(self.samples, 1)
        return sum(n for stack, n in self.stacks if function in stack) / total

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = {k: v for k, v in asdict(self).items() if k != "stacks"}
        out["samples"] = self.samples
        out["top"] = [asdict(r) for r in self.top(25)]
        out["stacks"] = [{"frames": list(stack), "samples": n} for stack, n in self.stacks]
        return _rounded(out)


@dataclass(frozen=True)
class HeapSite:
    """One allocation site of a heap profile."""

    site: str
    retained_mb: float
    growth_mb_per_min: float
    stack: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeapProfile:
    """Live memory of one instance by allocation site, with each site's growth over the window."""

    instance: str
    service: str
    version: str
    language: str
    start: float
    end: float
    used_mb: float
    limit_mb: float
    gc_cpu_share: float
    """Share of its CPU spent collecting garbage."""
    sites: tuple[HeapSite, ...]
    kind: str = "heap"

    def site(self, name_part: str) -> HeapSite | None:
        """The first site whose name or stack contains ``name_part``."""
        for s in self.sites:
            if name_part in s.site or any(name_part in f for f in s.stack):
                return s
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return _rounded(asdict(self))


def _rounded(value: Any) -> Any:
    """Floats rounded to 4 significant decimals, tuples as lists: stable, readable JSON."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def jitter(sim: ProfiledSystem, *parts: object) -> float:
    """A stable number in [-1, 1] for (seed, parts): profile noise without touching any random stream."""
    digest = hashlib.sha256(":".join([str(sim.seed), *map(str, parts)]).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 0xFFFFFFFF * 2.0 - 1.0


# --- what is happening to an instance --------------------------------------------------------


def affects(sim: ProfiledSystem, fault: Any, inst: Instance) -> bool:
    """Whether an active fault acts on this instance itself (as FaultBook.refresh decides)."""
    if isinstance(fault, TrafficSurge):
        return inst.service == sim.scenario.entry_service
    if isinstance(fault, ZoneOutage):
        return inst.zone == fault.zone
    if getattr(fault, "service", None) != inst.service:
        return False
    if isinstance(fault, BadDeploy | PoolLeak):
        return inst.version == fault.version
    if isinstance(fault, BadConfig | DiskFill):
        return inst.config == fault.revision
    if isinstance(fault, MemoryLeak):
        return fault.version is None or inst.version == fault.version
    if isinstance(fault, Latency):
        return fault.zone is None or inst.zone == fault.zone
    if isinstance(fault, BadFlag):
        return sim.world.flags.get(fault.flag, False)
    return False


def own_faults(sim: ProfiledSystem, inst: Instance) -> list[Any]:
    """Active faults acting on the instance."""
    return [f for f in sim.faults.active if affects(sim, f, inst)]


def hot_frames(frames: ServiceFrames, fault: Any) -> tuple[str, ...]:
    """Where a fault's work shows in a stack: the author's ``hot_function`` or the fault type's default."""
    if isinstance(fault, MemoryLeak):
        default = frames.frames("leak")
        return (fault.allocation_site, *default[1:]) if fault.allocation_site else default
    if isinstance(fault, BadConfig):
        place = "hot.regex" if fault.cpu_factor > 1.0 else "hot.parser"
    elif isinstance(fault, BadFlag):
        default = frames.frames("hot.flag", Flag=camel(fault.flag), flag=fault.flag.replace("-", "_"))
        return (fault.hot_function, *default[1:]) if fault.hot_function else default
    else:
        place = {BadDeploy: "hot.deploy", Latency: "hot.latency", PoolLeak: "hot.pool_leak"}.get(type(fault), "")
    default = frames.frames(place) if place else ()
    hot = getattr(fault, "hot_function", None)
    return (hot, *default[1:]) if hot else default


def require_running(sim: ProfiledSystem, instance_id: str) -> Instance:
    """The live, running, reachable instance, or a ProfileError saying why not."""
    inst = sim.world.instance(instance_id)
    if inst is None:
        known = ", ".join(i.id for i in sim.world.all_instances()[:6])
        raise ProfileError(f"no instance {instance_id!r}; instances include {known}")
    if inst.state != RUNNING:
        raise ProfileError(
            f"{instance_id} is {inst.state}: a profiler needs a running process"
            + (" (take its crash report instead)" if inst.last_exit else "")
        )
    if inst.broken_since is not None and not inst.gray:
        raise ProfileError(f"{instance_id}: dial tcp {inst.zone}: i/o timeout (the instance does not answer)")
    return inst


def window_mean(sim: ProfiledSystem, inst: Instance, metric: str, start: float, end: float, fallback: float) -> float:
    """Mean of an instance series over a window (its current value if the window has no samples)."""
    values = [
        v for v in sim.metric(inst.service, metric, instance=inst.id, start=start, end=end).values if not math.isnan(v)
    ]
    return sum(values) / len(values) if values else fallback


def dependency_calls(sim: ProfiledSystem, inst: Instance) -> list[tuple[str, str, float, float, bool]]:
    """Per dependency the instance calls: (name, kind, calls per request, ms per request, certificate expired)."""
    world = sim.world
    s = world.services[inst.service]
    out = []
    for dep, fanout in s.spec.calls.items():
        d = world.services[dep]
        if dep in s.fallbacks:
            continue
        expired = d.cert_expired(world.now)
        median = 5.0 if expired else max(d.p50, 0.1)
        mean_ms = min(median * math.exp(d.sigma * d.sigma / 2.0), s.tuning.timeout_s * 1000.0)
        out.append((dep, d.spec.kind, fanout, fanout * mean_ms, expired))
        if d.spec.cache_for:
            backend = world.services[d.spec.cache_for]
            miss = fanout * (1.0 - d.hit)
            b_ms = min(max(backend.p50, 0.1) * math.exp(backend.sigma**2 / 2.0), s.tuning.timeout_s * 1000.0)
            out.append((backend.name, backend.spec.kind, miss, miss * b_ms, backend.cert_expired(world.now)))
    return out


# --- CPU ---------------------------------------------------------------------------------------


def gc_factor(inst: Instance) -> float:
    """How much more the collector works than on a fresh instance (heap near its limit: much more)."""
    ratio = inst.memory / inst.memory_limit if inst.memory_limit else 0.0
    return (1.0 + 6.0 * max(0.0, ratio - 0.5) / 0.5) * inst.pressure


def cpu_weights(sim: ProfiledSystem, inst: Instance) -> dict[tuple[str, ...], float]:
    """Relative on-CPU time per stack for the instance's current state."""
    world = sim.world
    s = world.services[inst.service]
    frames = ServiceFrames.of(s.spec)
    server = frames.frames("server")
    routes = routes_of(s)
    weights: dict[tuple[str, ...], float] = {}

    def add(stack: tuple[str, ...], w: float) -> None:
        if w > 0:
            weights[stack] = weights.get(stack, 0.0) + w

    faults = own_faults(sim, inst)
    surge = _surge_route(sim, inst, faults)
    for k, route in enumerate(routes):
        share = (0.6 if k == 0 else 0.4 / max(len(routes) - 1, 1)) if len(routes) > 1 else 1.0
        if surge is not None and route == surge[0]:
            share += surge[1] * len(routes)
        handler = server + frames.handler(route)
        add(handler, 0.22 * share)
        add(server + frames.handler(route)[:1] + frames.frames("serialize"), 0.14 * share)
    first = server + frames.handler(routes[0])
    add(server, 0.1)
    _client_weights(add, sim, inst, frames, first)
    _housekeeping_weights(add, s, inst, frames, first)
    base_total = sum(weights.values())
    for fault in faults:
        _fault_weights(add, fault, frames, server, first, s.extra_err, base_total)
    return weights


def _client_weights(add: Any, sim: ProfiledSystem, inst: Instance, frames: ServiceFrames, first: tuple) -> None:
    """Calls to dependencies: the client, its driver, a TLS handshake that fails, the retry loop."""
    s = sim.world.services[inst.service]
    retries = retries_in_effect(s, sim.world.flags)
    for dep, kind, fanout, _ms, expired in dependency_calls(sim, inst):
        client = frames.client(dep, kind)
        base = first[:-1] + (frames.frames("retry") if retries else ()) + client
        amplification = retry_amplification(s.call_error.get(dep, 0.0), retries)
        calls = min(fanout, 3.0)
        add(base[:-1] if len(client) > 1 else base, 0.06 * calls * amplification)
        if kind == "database" and frames.language in ("java", "python"):
            add(first[:-1] + client[:2], 0.06 * calls * amplification)
        if expired:
            add(first[:-1] + client[:1] + frames.frames("tls"), 0.3 * calls * amplification)
        elif retries and amplification > 1.0:
            # Every failed attempt builds an exception, backs off and goes round the retry loop again.
            loop = first[:-1] + frames.frames("retry")
            add(loop + client[:1] + frames.frames("exception"), 0.15 * calls * (amplification - 1.0))
            add(loop + frames.frames("backoff")[:1], 0.03 * calls * (amplification - 1.0))


def _housekeeping_weights(add: Any, s: ServiceState, inst: Instance, frames: ServiceFrames, first: tuple) -> None:
    """Logging (debug logging too), exceptions, garbage collection, accepting queued connections."""
    logger = frames.frames("logger")
    add(first[:-1] + logger, 0.04)
    if inst.disk_per_s > 0:  # debug logging switched on: formatting and writing every line
        add(first[:-1] + frames.frames("debug"), 0.12)
        add(first[:-1] + logger, 0.12)
    dep_fail = sum(s.dep_causes.values())
    own_err = inst.fx_err + s.extra_err
    add(first[:-1] + frames.frames("exception"), 0.3 * min(own_err, 1.0) + 0.15 * min(dep_fail, 1.0))
    gc = gc_factor(inst)
    add(frames.frames("gc"), 0.05 * min(gc, 3.0))
    if gc > 3.0:
        add(frames.frames("gc.full"), 0.05 * (gc - 3.0))
    if inst.cohort is not None and inst.cohort.backlog > 0:
        add(frames.frames("accept"), 0.05)


def _fault_weights(
    add: Any, fault: Any, frames: ServiceFrames, server: tuple, first: tuple, flag_err: float, base_total: float
) -> None:
    """Where a fault puts the CPU: a bad config's parser, a regression's code path, a leak's allocator..."""
    hot = hot_frames(frames, fault)
    if isinstance(fault, BadConfig):
        if fault.cpu_factor > 1.0:
            add(server + hot, base_total * (fault.cpu_factor - 1.0))
        else:
            add(server + hot, base_total * 0.5 * fault.error_rate)
    elif isinstance(fault, BadDeploy):
        add(first + hot, 0.22 * max(fault.latency_factor - 1.0, 0.0) + 0.1 * fault.error_rate)
        add(first + hot + frames.frames("exception"), 0.3 * fault.error_rate)
    elif isinstance(fault, BadFlag):
        add(first + hot, 0.25 * flag_err)
    elif isinstance(fault, MemoryLeak):
        add(first + hot, 0.02 + 0.01 * fault.mb_per_min)
    elif isinstance(fault, Latency):
        add(first + hot, 0.1 * (1.0 - 1.0 / fault.factor))
    elif isinstance(fault, PoolLeak):
        add(first[:-1] + hot[:-1], 0.04)


def _surge_route(sim: ProfiledSystem, inst: Instance, faults: list[Any]) -> tuple[str, float] | None:
    """The route a traffic surge hammers and its extra share of the instance's requests."""
    for fault in faults:
        if isinstance(fault, TrafficSurge):
            s = sim.world.services[inst.service]
            extra = sum(sim.world.surges.values())
            if extra > 0 and s.offered > 0:
                return fault.route, min(extra / s.offered, 0.95)
    return None


def cpu_profile(sim: ProfiledSystem, instance_id: str, seconds: float) -> CpuProfile:
    """A CPU profile of the window of ``seconds`` that ends now."""
    inst = require_running(sim, instance_id)
    end = sim.now
    start = max(end - seconds, inst.started_at, 0.0 if end > 0 else end)
    cpu = min(max(window_mean(sim, inst, "cpu", start, end, inst.cpu), 0.01), 1.0)
    weights = cpu_weights(sim, inst)
    for stack in weights:
        weights[stack] *= 1.0 + 0.06 * jitter(sim, inst.id, round(end), *stack)
    total_samples = max(int(round((end - start if end > start else seconds) * SAMPLE_HZ * cpu)), 1)
    stacks = _apportion(weights, total_samples)
    frames = ServiceFrames.of(sim.world.services[inst.service].spec)
    return CpuProfile(inst.id, inst.service, inst.version, frames.language, start, end, cpu, stacks)


def _apportion(weights: dict[tuple[str, ...], float], total: int) -> tuple[tuple[tuple[str, ...], int], ...]:
    """Whole sample counts proportional to the weights (largest remainder), heaviest first."""
    wsum = sum(weights.values()) or 1.0
    exact = {k: w / wsum * total for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - counts[k]), k))[:rest]:
        counts[k] += 1
    return tuple(sorted(((k, n) for k, n in counts.items() if n > 0), key=lambda kv: (-kv[1], kv[0])))


# --- heap --------------------------------------------------------------------------------------


def heap_profile(sim: ProfiledSystem, instance_id: str, seconds: float = 300.0) -> HeapProfile:
    """Live memory by allocation site now, with growth measured over the last ``seconds``."""
    inst = require_running(sim, instance_id)
    s = sim.world.services[inst.service]
    frames = ServiceFrames.of(s.spec)
    end = sim.now
    start = max(end - seconds, inst.started_at)
    used = inst.memory
    leaks = [f for f in own_faults(sim, inst) if isinstance(f, MemoryLeak)]
    growth_total = _growth(sim, inst, start, end)
    sites: list[HeapSite] = []
    base = min(used, s.spec.memory.base)
    if leaks:
        leaked = max(used - base, 0.0)
        hot = hot_frames(frames, leaks[0])
        first = frames.frames("server") + frames.handler(routes_of(s)[0])
        sites.append(HeapSite(hot[0], leaked, growth_total, first + hot))
    else:
        base = used
    for name, share in frames.table.get("heap", ()):
        wobble = jitter(sim, inst.id, name, round(end / 60))
        sites.append(HeapSite(name, base * share * (1.0 + 0.04 * wobble), 0.02 * wobble, ()))
    listed = sum(x.retained_mb for x in sites)
    sites.append(HeapSite("(other)", max(used - listed, 0.0), 0.0, ()))
    sites.sort(key=lambda x: -x.retained_mb)
    weights = cpu_weights(sim, inst)
    total = sum(weights.values()) or 1.0
    gc_share = (
        sum(w for k, w in weights.items() if k[0] in (frames.frames("gc")[:1] + frames.frames("gc.full")[:1])) / total
    )
    return HeapProfile(
        inst.id,
        inst.service,
        inst.version,
        frames.language,
        start,
        end,
        used,
        inst.memory_limit,
        gc_share,
        tuple(sites),
    )


def _growth(sim: ProfiledSystem, inst: Instance, start: float, end: float) -> float:
    """MB per minute the instance's memory grew over the window (its leak rate if no samples yet)."""
    series = sim.metric(inst.service, "memory_mb", instance=inst.id, start=start, end=end)
    points = [(t, v) for t, v in zip(series.times, series.values, strict=True) if not math.isnan(v)]
    if len(points) >= 2 and points[-1][0] > points[0][0] and points[-1][1] >= points[0][1]:
        return (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0]) * 60.0
    return inst.leak_per_s * 60.0


__all__ = [
    "CpuProfile",
    "FunctionShare",
    "HeapProfile",
    "HeapSite",
    "ProfileError",
    "cpu_profile",
    "heap_profile",
]
