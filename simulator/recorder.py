"""Writes each tick's model figures into ring-buffer series (RED, USE, splits by zone and version).

Series names: ``{service}.{metric}`` every tick; a second, coarser store (every ``INSTANCE_EVERY``
ticks) holds the splits ``{service}@zone={zone}.{metric}`` and ``{service}@version={version}.{metric}``
and the per-instance series ``{instance}.{metric}``.
"""

from __future__ import annotations

import math

from simulator.model import splits
from simulator.series import SeriesStore
from simulator.world import RUNNING, World

SERVICE_METRICS = (
    "rate",
    "errors",
    "error_ratio",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "cpu",
    "memory_ratio",
    "pool_ratio",
    "ready",
    "restarts",
    "req_total",
    "err_total",
    "lost_total",
    "excluded_total",
    "disk_ratio",
    "hit_ratio",
    "retry_rate",
    "probe_success",
    "cert_days",
    "connections",
)
"""Per-service metrics, every tick."""
SPLIT_METRICS = ("rate", "error_ratio", "p99_ms")
"""Metrics split by zone and by version."""
INSTANCE_METRICS = ("memory_mb", "cpu", "rate", "error_ratio")
"""Per-instance metrics, every ``INSTANCE_EVERY`` ticks."""
INSTANCE_EVERY = 5


def split_name(service: str, dimension: str, value: str, metric: str) -> str:
    """Series name of a zone or version split."""
    return f"{service}@{dimension}={value}.{metric}"


class MetricsRecorder:
    """Samples the world into ``series`` (service level) and ``instance_series`` (per instance)."""

    def __init__(self, world: World, tick: float, capacity: int, instance_capacity: int) -> None:
        self.world = world
        self.series = SeriesStore(tick, capacity)
        self.instance_series = SeriesStore(tick * INSTANCE_EVERY, instance_capacity)
        self._count = 0
        self._service_buffers = {
            name: [self.series.writer(f"{name}.{m}") for m in SERVICE_METRICS] for name in world.services
        }
        self._instance_writers: dict[str, list] = {}
        self._gone: dict[str, int] = {}
        self._splits: dict[tuple[str, str], dict[str, list]] = {}

    def record(self, t: float) -> None:
        """Write one sample of every series."""
        idx = self.series.begin_step(t)
        for name, s in self.world.services.items():
            b = self._service_buffers[name]
            ready = 0
            for i in s.rotation:
                if i.broken_since is None or i.gray:  # a gray failure passes its health checks
                    ready += 1
            expired = s.cert_expires_at <= t
            values = (
                s.rate,
                s.errors,
                s.error_ratio,
                s.p50,
                s.p95,
                s.p99,
                s.cpu,
                s.memory_ratio,
                s.pool_ratio,
                ready,
                s.restarts_total,
                s.req_total,
                s.err_total,
                s.lost_total,
                s.excluded_total,
                s.disk_ratio,
                s.hit if s.spec.cache_for else math.nan,
                s.retry_rate,
                0.0 if expired or not ready or s.error_ratio > 0.5 else 1.0,
                (s.cert_expires_at - t) / 86400.0,
                s.conn_demand if s.spec.max_connections is not None else math.nan,
            )
            for buf, value in zip(b, values):  # same order as SERVICE_METRICS
                buf[idx] = value
        self._count += 1
        if self._count % INSTANCE_EVERY == 1 or INSTANCE_EVERY == 1:
            self._record_coarse(t)

    def _record_coarse(self, t: float) -> None:
        """Zone and version splits and per-instance series, every INSTANCE_EVERY ticks."""
        store = self.instance_series
        idx = store.begin_step(t)
        for name, s in self.world.services.items():
            self._record_splits(idx, name, "zone", splits(s, "zone"))
            self._record_splits(idx, name, "version", splits(s, "version"))
        self._record_instances(idx)

    def _record_splits(self, idx: int, service: str, dimension: str, groups: dict) -> None:
        known = self._splits.get((service, dimension))
        if known is None:
            known = self._splits[(service, dimension)] = {}
        for value in groups:
            if value not in known:
                known[value] = [
                    self.instance_series.writer(split_name(service, dimension, value, m)) for m in SPLIT_METRICS
                ]
        for value, bufs in known.items():
            g = groups.get(value)
            if g is None:
                bufs[0][idx] = 0.0
                bufs[1][idx] = math.nan
                bufs[2][idx] = math.nan
            else:
                rate = g[0]
                bufs[0][idx] = rate
                bufs[1][idx] = g[1] / rate if rate > 0 else 0.0
                bufs[2][idx] = g[2]

    def _record_instances(self, idx: int) -> None:
        store = self.instance_series
        writers = self._instance_writers
        seen = set()
        for s in self.world.services.values():
            for inst in s.instances:
                seen.add(inst.id)
                bufs = writers.get(inst.id)
                if bufs is None:
                    bufs = writers[inst.id] = [store.writer(f"{inst.id}.{m}") for m in INSTANCE_METRICS]
                alive = inst.state == RUNNING and inst.broken_since is None
                rate = inst.rate
                bufs[0][idx] = inst.memory if alive else 0.0
                bufs[1][idx] = inst.cpu
                bufs[2][idx] = rate
                bufs[3][idx] = inst.errors / rate if rate > 0 else 0.0
        if len(seen) == len(writers):
            return
        for gone in [i for i in writers if i not in seen]:
            # Instances that are gone read NaN from now on (so a wrapped ring never shows stale data)
            # until a whole ring has passed and their slots are all NaN.
            for buf in writers[gone]:
                buf[idx] = math.nan
            gone_at = self._gone.setdefault(gone, store.steps)
            if store.steps - gone_at > store.capacity:
                del writers[gone], self._gone[gone]
