"""Metric families in the Prometheus text and OpenMetrics formats, through ``prometheus_client``.

``SnapshotCollector`` is the live exporter's collector: it serves the newest snapshot of families
(current values, no timestamps) from whatever thread the HTTP server runs in. ``history_openmetrics``
writes a whole session, one snapshot per step, with timestamps, for
``promtool tsdb create-blocks-from openmetrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from simulator.exports.errors import ExportUnavailable
from simulator.exports.metrics import Family


def _client() -> Any:
    try:
        import prometheus_client
        import prometheus_client.openmetrics.exposition  # noqa: F401  (the OpenMetrics writer)
    except ImportError as err:
        raise ExportUnavailable("Prometheus export", "prometheus_client") from err
    return prometheus_client


def to_client_metrics(families: Iterable[Family], timestamp: float | None = None) -> list[Any]:
    """prometheus_client ``Metric`` objects of the families (samples stamped with ``timestamp``, if given)."""
    from prometheus_client.metrics_core import Metric

    out = []
    for family in families:
        metric = Metric(family.name, family.help, family.kind)
        for sample in family.samples:
            metric.add_sample(sample.name, dict(sample.labels), sample.value, timestamp)
        out.append(metric)
    return out


class SnapshotCollector:
    """A prometheus_client custom collector serving the newest snapshot of families.

    The clock's thread calls :meth:`publish` with an immutable tuple of families; a scrape (the HTTP
    server's thread) reads whichever tuple was published last. Replacing one reference is atomic in
    Python, and the records are frozen, so no lock is needed and a scrape never waits for the clock.
    """

    def __init__(self) -> None:
        _client()
        self._families: tuple[Family, ...] = ()

    def publish(self, families: tuple[Family, ...]) -> None:
        """Make ``families`` what the next scrape returns."""
        self._families = families

    def collect(self) -> Iterator[Any]:
        """Called by prometheus_client on every scrape."""
        yield from to_client_metrics(self._families)

    def describe(self) -> list[Any]:
        """Nothing to describe up front: the families change with the session (instances come and go)."""
        return []


def render(families: tuple[Family, ...], openmetrics: bool = False) -> bytes:
    """One exposition of the families in the text format (or OpenMetrics)."""
    client = _client()
    collector = SnapshotCollector()
    collector.publish(families)
    registry = client.CollectorRegistry(auto_describe=False)
    registry.register(collector)
    if openmetrics:
        return client.openmetrics.exposition.generate_latest(registry)
    return client.generate_latest(registry)


def history_openmetrics(frames: Sequence[tuple[float, tuple[Family, ...]]], epoch: float) -> bytes:
    """The whole session in OpenMetrics, each sample stamped ``epoch + simulated time``.

    ``frames`` are (simulated time, families) in time order. Samples are grouped per family and per
    series in time order, as the format requires.
    """
    client = _client()
    from prometheus_client.metrics_core import Metric

    kinds: dict[str, tuple[str, str]] = {}
    points: dict[str, dict[tuple[str, tuple], list[tuple[float, float]]]] = {}
    for t, families in frames:
        stamp = round(epoch + t, 3)
        for family in families:
            kinds.setdefault(family.name, (family.kind, family.help))
            series = points.setdefault(family.name, {})
            for sample in family.samples:
                series.setdefault((sample.name, sample.labels), []).append((stamp, sample.value))

    class _History:
        def collect(self) -> Iterator[Any]:
            for name, series in points.items():
                kind, help_text = kinds[name]
                metric = Metric(name, help_text, kind)
                for (sample_name, labels), values in _metric_points(series):
                    for stamp, value in values:
                        metric.add_sample(sample_name, dict(labels), value, stamp)
                yield metric

    registry = client.CollectorRegistry(auto_describe=False)
    registry.register(_History())
    return client.openmetrics.exposition.generate_latest(registry)


def _metric_points(series: dict) -> list:
    """Series of one family, those of a summary's label set (quantiles, _count, _sum) kept together."""

    def key(item):
        (sample_name, labels), _ = item
        base = tuple(kv for kv in labels if kv[0] != "quantile")
        return (base, sample_name, labels)

    return sorted(series.items(), key=key)
