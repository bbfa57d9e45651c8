"""Writes each tick's model figures into ring-buffer series (RED, USE, splits by zone and version).

Series names: ``{service}.{metric}``, ``{service}@zone={zone}.{metric}``,
``{service}@version={version}.{metric}``; per-instance series live in a second, coarser store as
``{instance}.{metric}``.
"""

from __future__ import annotations

import math

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
        self._splits: dict[tuple[str, str], dict[str, list]] = {}

    def record(self, t: float) -> None:
        """Write one sample of every series."""
        idx = self.series.begin_step(t)
        for name, s in self.world.services.items():
            bufs = self._service_buffers[name]
            ready = 0
            for i in s.instances:
                if i.ready and not i.ejected and i.broken_since is None:
                    ready += 1
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
                float(ready),
                float(s.restarts_total),
                s.req_total,
                s.err_total,
            )
            for buf, v in zip(bufs, values, strict=True):
                buf[idx] = v
            self._record_splits(idx, name, "zone", s.by_zone)
            self._record_splits(idx, name, "version", s.by_version)
        self._count += 1
        if self._count % INSTANCE_EVERY == 1 or INSTANCE_EVERY == 1:
            self._record_instances(t)

    def _record_splits(self, idx: int, service: str, dimension: str, groups: dict) -> None:
        known = self._splits.get((service, dimension))
        if known is None:
            known = self._splits[(service, dimension)] = {}
        for value in groups:
            if value not in known:
                known[value] = [self.series.writer(split_name(service, dimension, value, m)) for m in SPLIT_METRICS]
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
                bufs[2][idx] = g[2] / rate if rate > 0 else math.nan

    def _record_instances(self, t: float) -> None:
        store = self.instance_series
        idx = store.begin_step(t)
        for inst in self.world.all_instances():
            alive = inst.state == RUNNING and inst.broken_since is None
            store.writer(f"{inst.id}.memory_mb")[idx] = inst.memory if alive else 0.0
            store.writer(f"{inst.id}.cpu")[idx] = inst.cpu
            store.writer(f"{inst.id}.rate")[idx] = inst.rate
            store.writer(f"{inst.id}.error_ratio")[idx] = inst.errors / inst.rate if inst.rate > 0 else 0.0
