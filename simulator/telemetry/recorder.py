"""Writes each tick's model figures into ring-buffer series (RED, USE, splits by zone and version).

Series names: ``{service}.{metric}`` for SERVICE_METRICS every tick; a second, coarser store (every
``INSTANCE_EVERY`` ticks) holds the slow service metrics (memory, readiness, restarts, disk, cache hit
ratio, probes, certificate days, connections), the splits ``{service}@zone={zone}.{metric}`` and
``{service}@version={version}.{metric}``, and the per-instance series ``{instance}.{metric}``.
"""

from __future__ import annotations

import math
from array import array

from simulator.telemetry.series import Series, SeriesStore
from simulator.world.state import RUNNING, World

SERVICE_METRICS = (
    "rate",
    "errors",
    "error_ratio",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "cpu",
    "pool_ratio",
    "retry_rate",
    "req_total",
    "err_total",
    "lost_total",
    "excluded_total",
)
"""Per-service metrics, every tick (RED, saturation and the SLI counters)."""
SLOW_METRICS = (
    "memory_ratio",
    "ready",
    "restarts",
    "disk_ratio",
    "hit_ratio",
    "probe_success",
    "cert_days",
    "connections",
    "conn_limit",
    "gc_ratio",
    "replication_lag_s",
)
"""Per-service metrics that move slowly, every ``INSTANCE_EVERY`` ticks in the coarse store."""
SPLIT_METRICS = ("rate", "error_ratio", "p99_ms")
"""Metrics split by zone and by version."""
INSTANCE_METRICS = ("memory_mb", "cpu", "rate", "error_ratio")
"""Per-instance metrics, every ``INSTANCE_EVERY`` ticks."""
INSTANCE_EVERY = 5


def _applies(svc, metric: str) -> bool:
    """Whether a slow metric means anything for this service (no hit ratio for a non-cache...)."""
    if metric == "hit_ratio":
        return bool(svc.spec.cache_for)
    if metric in ("connections", "conn_limit"):
        return svc.max_connections is not None
    if metric == "replication_lag_s":
        return svc.spec.data is not None
    return True


def store_of(metric: str) -> str:
    """Which store holds a service metric: 'fine' (every tick) or 'coarse'."""
    return "coarse" if metric in SLOW_METRICS else "fine"


def split_name(service: str, dimension: str, value: str, metric: str) -> str:
    """Series name of a zone or version split."""
    return f"{service}@{dimension}={value}.{metric}"


class MetricsRecorder:
    """Samples the world into ``series`` (service level) and ``instance_series`` (per instance)."""

    def __init__(self, world: World, tick: float, capacity: int, instance_capacity: int, entry: str = "") -> None:
        self.world = world
        self.entry = entry
        self.series = SeriesStore(tick, capacity)
        self.instance_series = SeriesStore(tick * INSTANCE_EVERY, instance_capacity)
        self._count = 0
        self._service_buffers = {
            name: [self.series.writer(f"{name}.{m}") for m in SERVICE_METRICS] for name in world.services
        }
        # (name, service, a buffer per SLOW_METRICS) in world order for the coarse loop, a metric that does
        # not apply to the service written to a sink nobody reads (11 writes instead of a loop over a tuple).
        sink = array("d", [math.nan]) * self.instance_series.chunk
        writer = self.instance_series.writer
        self._slow_rows = [
            (name, svc, *(writer(f"{name}.{m}") if _applies(svc, m) else sink for m in SLOW_METRICS))
            for name, svc in world.services.items()
        ]
        # (service, its 13 buffers) in world order: the hot loop below unpacks them without lookups.
        self._service_rows = [(s, *self._service_buffers[name]) for name, s in world.services.items()]
        self._memoryviews: _Views | None = None
        """The hot loops' rows as memoryviews (see :class:`_Views`); made on first use, not copied."""
        self._instance_writers: dict[str, list] = {}
        self._gone: dict[str, int] = {}
        self._rosters: list[list] = []
        """Every service's instances when :attr:`_rows` were made, and the writers' ids of those gone."""
        self._rows: list[tuple] = []
        """(instance, its four buffers) for every instance, in world order."""
        self._gone_ids: list[str] = []
        self._splits: dict[tuple[str, str], dict[str, list]] = {}
        self._split_plans: dict[str, tuple[list, list[tuple]]] = {}
        """Per service: (the cohorts it was made for, :meth:`_split_plan`)."""
        self.sources = None
        """Internal traffic sources (simulator.world.sources.InternalTraffic), split by client at their targets."""
        self._source_retries: dict[str, object] = {}

    def __getstate__(self) -> dict:
        """The recorder as copied (a session's snapshot): without its memoryviews, which cannot be copied and
        are made again from the copy's own buffers on its next sample."""
        state = self.__dict__.copy()
        state["_memoryviews"] = None
        state["_split_plans"] = {}
        return state

    def _hot(self) -> _Views:
        views = self._memoryviews
        if views is None:
            views = self._memoryviews = _Views(self)
        return views

    def record(self, t: float) -> None:
        """Write one sample of every series."""
        idx = self.series.begin_step(t)
        views = self._memoryviews if self._memoryviews is not None else self._hot()
        for s, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12 in views.service_rows:
            b0[idx] = s.rate
            b1[idx] = s.errors
            b2[idx] = s.error_ratio
            b3[idx] = s.p50
            b4[idx] = s.p95
            b5[idx] = s.p99
            b6[idx] = s.cpu
            b7[idx] = s.pool_ratio
            b8[idx] = s.retry_rate
            b9[idx] = s.req_total
            b10[idx] = s.err_total
            b11[idx] = s.lost_total
            b12[idx] = s.excluded_total
        self._count += 1
        if self._count % INSTANCE_EVERY == 1 or INSTANCE_EVERY == 1:
            self._record_coarse(t)

    # --- reading -----------------------------------------------------------------------------

    def metric(
        self,
        service: str,
        metric: str,
        zone: str | None = None,
        version: str | None = None,
        instance: str | None = None,
        start: float | None = None,
        end: float | None = None,
        client: str | None = None,
    ) -> Series:
        """A metric series: per service, per zone, version or client split, or per instance."""
        if client is not None:
            return self.instance_series.window(split_name(service, "client", client, metric), start, end)
        if instance is not None:
            return self.instance_series.window(f"{instance}.{metric}", start, end)
        if zone is not None:
            return self.instance_series.window(split_name(service, "zone", zone, metric), start, end)
        if version is not None:
            return self.instance_series.window(split_name(service, "version", version, metric), start, end)
        return self.store_for(metric).window(f"{service}.{metric}", start, end)

    def store_for(self, metric: str) -> SeriesStore:
        """The series store that holds a service-level metric."""
        return self.instance_series if store_of(metric) == "coarse" else self.series

    def split_values(self, service: str, dimension: str) -> list[str]:
        """Zones or versions a service has split series for."""
        prefix = f"{service}@{dimension}="
        names = self.instance_series.names()
        return sorted({n[len(prefix) :].rsplit(".", 1)[0] for n in names if n.startswith(prefix)})

    # --- writing -----------------------------------------------------------------------------

    def _record_coarse(self, t: float) -> None:
        """Zone and version splits and per-instance series, every INSTANCE_EVERY ticks."""
        store = self.instance_series
        idx = store.begin_step(t)
        views = self._hot()
        clients_of = self.sources.clients_of if self.sources is not None and self.sources.figures else None
        entry, world = self.entry, self.world
        for name, s, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10 in views.slow_rows:
            ready = 0
            for i in s.rotation:
                if i.broken_since is None or i.gray:  # a gray failure passes its health checks
                    ready += 1
            # SLOW_METRICS, in order.
            b0[idx] = s.memory_ratio
            b1[idx] = ready
            b2[idx] = s.restarts_total
            b3[idx] = s.disk_ratio
            b4[idx] = s.hit
            b5[idx] = 0.0 if (s.probe_tls and s.cert_expires_at <= t) or not ready or s.error_ratio > 0.5 else 1.0
            b6[idx] = (s.cert_expires_at - t) / 86400.0
            b7[idx] = s.conn_demand
            b8[idx] = float(s.max_connections) if s.max_connections is not None else math.nan
            b9[idx] = s.gc_ratio
            b10[idx] = s.replication_lag
            sources = clients_of(name) if clients_of is not None else None
            if name == entry:
                if sources or world.surges or (name, "client") in self._splits:
                    self._record_clients(idx, name, sources or {})
                if world.class_split:
                    self._record_splits(idx, name, "class", world.class_split)
            elif sources:
                self._record_clients(idx, name, sources)
            plan = self._split_plans.get(name)
            if plan is None or plan[0] is not s.cohorts:
                plan = self._split_plans[name] = (s.cohorts, self._split_plan(s))
            for b_rate, b_ratio, b_p99, parts in plan[1]:
                # simulator.world.model.splits and _record_splits, the same sums in the same order, for
                # cohorts grouped once per regroup rather than every sample.
                if not parts:
                    b_rate[idx] = 0.0
                    b_ratio[idx] = math.nan
                    b_p99[idx] = math.nan
                    continue
                cohort, k = parts[0]
                c_rate = cohort.rate
                rate, errors, weighted = c_rate * k, cohort.errors * k, cohort.p99 * c_rate * k
                for cohort, k in parts[1:] if len(parts) > 1 else ():  # (one cohort: no loop)
                    c_rate = cohort.rate
                    rate += c_rate * k
                    errors += cohort.errors * k
                    weighted += cohort.p99 * c_rate * k
                b_rate[idx] = rate
                b_ratio[idx] = errors / rate if rate > 0 else 0.0
                b_p99[idx] = weighted / rate if rate > 0 else math.nan
        self._record_instances(idx, views)

    def _split_plan(self, s) -> list[tuple]:
        """For each zone and version split series of a service: its three buffers and the (cohort,
        instances) that make it up now, in cohort order (none: a value with no instance in rotation now,
        which reads 0 and NaN). Creates the series of a value seen for the first time."""
        plan = []
        for dimension in ("zone", "version"):
            parts: dict[str, list] = {}
            for cohort in s.cohorts:
                items = cohort.zones.items() if dimension == "zone" else ((cohort.key[0], len(cohort.members)),)
                for value, k in items:
                    parts.setdefault(value, []).append((cohort, k))
            known = self._splits.setdefault((s.name, dimension), {})
            for value in parts:
                if value not in known:
                    known[value] = [
                        self.instance_series.writer(split_name(s.name, dimension, value, m)) for m in SPLIT_METRICS
                    ]
            view = self._hot().view
            plan.extend((*map(view, bufs), parts.get(value, [])) for value, bufs in known.items())
        return plan

    def _record_clients(self, idx: int, service: str, sources: dict) -> None:
        """A service's traffic split by client: at the entry ordinary users ('other') and each surging
        client; at any service each internal source (job, consumer, client, probe) with its retries."""
        world = self.world
        s = world.services[service]
        groups: dict[str, list[float]] = {}
        if service == self.entry:
            limits = s.client_limits
            # Errors: what its limit refused plus its share of what failed inside.
            groups["other"] = [world.user_rate, world.user_rate * s.error_ratio, math.nan]
            for client, rps in world.surges.items():
                refused = max(rps - limits[client], 0.0) if client in limits else 0.0
                groups[client] = [rps, refused + (rps - refused) * s.error_ratio, math.nan]
        for name, fig in sources.items():
            failing = 1.0 if fig.lost else s.error_ratio
            groups[name] = [fig.rate, fig.rate * failing, s.p99 if not fig.lost else math.nan]
            writer = self._source_retries.get(name)
            if writer is None:
                writer = self._source_retries[name] = self.instance_series.writer(
                    split_name(service, "client", name, "retry_rate")
                )
            writer[idx] = fig.retried
        self._record_splits(idx, service, "client", groups)

    def _record_splits(self, idx: int, service: str, dimension: str, groups: dict) -> None:
        """Every split series of the dimension seen so far (0 and NaN for a value with no traffic now),
        creating the series of a new value."""
        known = self._splits.get((service, dimension))
        if known is None:
            known = self._splits[(service, dimension)] = {}
        for value in groups:
            if value not in known:
                known[value] = [
                    self.instance_series.writer(split_name(service, dimension, value, m)) for m in SPLIT_METRICS
                ]
        for value, (b_rate, b_ratio, b_p99) in known.items():
            g = groups.get(value)
            if g is None:
                b_rate[idx] = 0.0
                b_ratio[idx] = math.nan
                b_p99[idx] = math.nan
            else:
                rate = g[0]
                b_rate[idx] = rate
                b_ratio[idx] = g[1] / rate if rate > 0 else 0.0
                b_p99[idx] = g[2]

    def _record_instances(self, idx: int, views: _Views) -> None:
        store = self.instance_series
        writers = self._instance_writers
        rosters = [s.instances for s in self.world.services.values()]
        if rosters != self._rosters:  # (a C-level comparison of the instances, by identity)
            # Instances came or went since the last sample: their rows, and the writers of those gone.
            self._rosters = [list(r) for r in rosters]
            rows = []
            for inst in (inst for r in rosters for inst in r):
                bufs = writers.get(inst.id)
                if bufs is None:
                    bufs = writers[inst.id] = [store.writer(f"{inst.id}.{m}") for m in INSTANCE_METRICS]
                rows.append((inst, *bufs))
            self._rows = rows
            views.instance_rows = None
            seen_ids = {inst.id for r in rosters for inst in r}
            self._gone_ids = [i for i in writers if i not in seen_ids]
            for gone in self._gone_ids:
                self._gone.setdefault(gone, store.steps)  # the sample it was first found gone at
        rows = views.instance_rows
        if rows is None:
            view = views.view
            rows = views.instance_rows = [(inst, *map(view, bufs)) for inst, *bufs in self._rows]
        for inst, b_memory, b_cpu, b_rate, b_ratio in rows:
            # Instance.rate, .cpu and .errors, inlined (they read the cohort): once per instance here.
            cohort = inst.cohort
            alive = inst.state == RUNNING and inst.broken_since is None
            b_memory[idx] = inst.memory if alive else 0.0
            if cohort is None:
                b_cpu[idx] = 0.03 if alive else 0.0
                b_rate[idx] = 0.0
                b_ratio[idx] = 0.0
                continue
            rate = cohort.rate
            b_cpu[idx] = cohort.cpu
            b_rate[idx] = rate
            b_ratio[idx] = cohort.errors / rate if rate > 0 else 0.0
        if store.steps <= store.capacity:
            # The ring's first lap: every slot was NaN before this sample (SeriesStore: a series reads NaN
            # before its first write, and nothing has been written here yet), so the NaN below is there.
            return
        for gone in self._gone_ids:
            # Instances that are gone read NaN from now on (so a wrapped ring never shows stale data)
            # until a whole ring has passed and their slots are all NaN.
            for buf in writers[gone]:
                buf[idx] = math.nan
            if store.steps - self._gone[gone] > store.capacity:
                del writers[gone], self._gone[gone]
                self._rosters = []  # rows and gone writers again next time


class _Views:
    """The recorder's hot rows with a memoryview in place of each buffer: a memoryview of an ``array('d')``
    stores a float about 20 ns faster than the array itself (whose item assignment parses its argument
    with ``PyArg_Parse``), and the recorder writes ~80 values a tick. Same doubles in the same slots.
    Views pin their buffers' size (the store never resizes one) and are never copied: a snapshot leaves
    them out (:meth:`MetricsRecorder.__getstate__`) and its copy makes its own from its buffers."""

    __slots__ = ("by_id", "service_rows", "slow_rows", "instance_rows")

    def __init__(self, recorder: MetricsRecorder) -> None:
        self.by_id: dict[int, tuple[array, memoryview]] = {}
        view = self.view
        self.service_rows = [(s, *map(view, bufs)) for s, *bufs in recorder._service_rows]
        self.slow_rows = [(name, s, *map(view, bufs)) for name, s, *bufs in recorder._slow_rows]
        self.instance_rows: list[tuple] | None = None
        """Made from the recorder's instance rows at the next sample (None: they changed)."""

    def view(self, buf: array) -> memoryview:
        """The memoryview of ``buf`` (one per buffer; the buffer is kept with it, so its id stays its own)."""
        known = self.by_id.get(id(buf))
        if known is None:
            known = self.by_id[id(buf)] = (buf, memoryview(buf))
        return known[1]
