"""A session's metrics as Prometheus metric families (current values), with conventional names.

``MetricsAccumulator.observe(session)`` is called as simulated time moves (every clock pump in the TUI,
every tick when exporting a journal); it integrates the counters Prometheus wants (requests by zone,
version and status class, CPU seconds, retries) from the session's public queries. ``families(session)``
then returns the current value of every family as immutable records, which a scrape or a file writer
turns into the Prometheus text or OpenMetrics formats (see :mod:`simulator.exports.exposition`).

Requests are exact per service: each observation adds the change of the engine's own cumulative
counters (``req_total``, ``err_total``), split across (zone, version) by the instances' current
traffic and error shares, so ``sum by (service)`` of ``http_requests_total`` is the in-app count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.telemetry.series import Series
from simulator.views import ChangeRecord, InstanceView, ServiceView

Labels = tuple[tuple[str, str], ...]

MB = 1024.0 * 1024.0
Z99 = 2.3263478740408408
"""Standard normal quantile of 0.99: a log-normal's sigma is ln(p99 / p50) / Z99."""
LOOKBACK = 30.0
"""Simulated seconds of series read to find the newest sample (coarse series are every 5 s)."""
CODE_OK = "2xx"
CODE_ERROR = "5xx"
"""Status classes of ``http_requests_total{code}``: the engine counts failures, not each status code."""


class SessionReader(Protocol):
    """The read-only queries the exporters use (a Simulation, the TUI's LocalSession, a game-day host)."""

    @property
    def now(self) -> float: ...

    def services(self) -> list[ServiceView]: ...

    def instances(self, service: str | None = None) -> list[InstanceView]: ...

    def metric(
        self, service: str, metric: str, zone=None, version=None, instance=None, start=None, end=None
    ) -> Series: ...

    def change_log(self) -> list[ChangeRecord]: ...

    def sli_status(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample of a family: ``name`` is the full sample name (``http_requests_total``...)."""

    name: str
    labels: Labels
    value: float


@dataclass(frozen=True, slots=True)
class Family:
    """A metric family: name (without ``_total`` for counters), type, help and samples."""

    name: str
    kind: str
    """counter, gauge or summary."""
    help: str
    samples: tuple[Sample, ...]


def _labels(**pairs: str) -> Labels:
    return tuple(pairs.items())


def _instance_labels(i: InstanceView) -> Labels:
    return _labels(service=i.service, instance=i.id, zone=i.zone, version=i.version)


def _latest(session: SessionReader, service: str, metric: str) -> float:
    """The newest sample of a service series (NaN when the service has none)."""
    now = session.now
    return session.metric(service, metric, start=now - LOOKBACK, end=now).last()


def log_normal_mean(p50: float, p99: float) -> float:
    """Mean of the log-normal with this median and 99th percentile (the engine's latency shape)."""
    if p50 <= 0 or not math.isfinite(p50):
        return 0.0
    sigma = math.log(p99 / p50) / Z99 if p99 > p50 else 0.0
    return p50 * math.exp(min(sigma, 5.0) ** 2 / 2.0)


class MetricsAccumulator:
    """Counters integrated over simulated time, and the families of the session as of the last observation."""

    def __init__(self) -> None:
        self.t: float | None = None
        self.requests: dict[tuple[str, str, str, str], float] = {}
        """(service, zone, version, code) -> requests."""
        self.latency_sum: dict[str, float] = {}
        """service -> estimated seconds spent (the summary's ``_sum``)."""
        self.retries: dict[str, float] = {}
        self.cpu_seconds: dict[Labels, float] = {}
        self._totals: dict[str, tuple[float, float]] = {}
        """service -> the engine's (req_total, err_total) at the last observation."""

    def observe(self, session: SessionReader) -> None:
        """Integrate the counters from the last observation up to ``session.now``."""
        now = session.now
        dt = 0.0 if self.t is None else max(now - self.t, 0.0)
        if self.t is not None and dt == 0.0:
            return
        self.t = now
        services = session.services()
        by_service: dict[str, list[InstanceView]] = {s.name: [] for s in services}
        instances = session.instances()
        for inst in instances:
            by_service.setdefault(inst.service, []).append(inst)
        for s in services:
            self._count_requests(session, s, by_service[s.name])
            retry = _latest(session, s.name, "retry_rate")
            self.retries[s.name] = self.retries.get(s.name, 0.0) + (retry * dt if math.isfinite(retry) else 0.0)
        alive: dict[Labels, float] = {}
        for inst in instances:
            key = _instance_labels(inst)
            alive[key] = self.cpu_seconds.get(key, 0.0) + max(inst.cpu, 0.0) * dt
        # Instances that are gone drop out (Prometheus marks their series stale): memory stays bounded.
        self.cpu_seconds = alive

    def _count_requests(self, session: SessionReader, s: ServiceView, instances: list[InstanceView]) -> None:
        req, err = _latest(session, s.name, "req_total"), _latest(session, s.name, "err_total")
        if not (math.isfinite(req) and math.isfinite(err)):
            return
        last_req, last_err = self._totals.get(s.name, (0.0, 0.0))
        self._totals[s.name] = (req, err)
        d_req, d_err = max(req - last_req, 0.0), max(err - last_err, 0.0)
        d_ok = max(d_req - d_err, 0.0)
        ok_share: dict[tuple[str, str], float] = {}
        err_share: dict[tuple[str, str], float] = {}
        for i in instances:
            if i.rate > 0:
                key = (i.zone, i.version)
                ok_share[key] = ok_share.get(key, 0.0) + i.rate * (1.0 - i.error_ratio)
                err_share[key] = err_share.get(key, 0.0) + i.rate * i.error_ratio
        self._split(s.name, CODE_OK, d_ok, ok_share)
        self._split(s.name, CODE_ERROR, d_err, err_share)
        self.latency_sum[s.name] = self.latency_sum.get(s.name, 0.0) + d_req * log_normal_mean(s.p50_ms, s.p99_ms) / 1e3

    def _split(self, service: str, code: str, amount: float, shares: dict[tuple[str, str], float]) -> None:
        total = sum(shares.values())
        if amount <= 0 and (service, "", "", code) not in self.requests and total <= 0:
            return
        if total <= 0:
            # Requests no instance served (the whole service is down): counted without zone or version.
            shares, total = {("", ""): 1.0}, 1.0
        for (zone, version), share in shares.items():
            key = (service, zone, version, code)
            self.requests[key] = self.requests.get(key, 0.0) + amount * share / total

    # --- the families ----------------------------------------------------------------------------

    def families(self, session: SessionReader) -> tuple[Family, ...]:
        """Every family's current value (call :meth:`observe` first)."""
        services = session.services()
        instances = session.instances()
        out: list[Family] = []
        out.append(
            Family(
                "http_requests",
                "counter",
                "HTTP requests served, by service, zone, version and status class (2xx or 5xx).",
                tuple(
                    Sample("http_requests_total", _req_labels(key), value)
                    for key, value in sorted(self.requests.items())
                ),
            )
        )
        out.append(self._latency(services))
        out += _service_gauges(session, services)
        out.append(
            Family(
                "service_restarts",
                "counter",
                "Container restarts of the service's instances (crashes, OOM kills, restarts).",
                tuple(Sample("service_restarts_total", _labels(service=s.name), float(s.restarts)) for s in services),
            )
        )
        out.append(
            Family(
                "http_client_retries",
                "counter",
                "Retried calls the service made to its dependencies.",
                tuple(
                    Sample("http_client_retries_total", _labels(service=name), value)
                    for name, value in sorted(self.retries.items())
                ),
            )
        )
        out += _instance_families(instances, self.cpu_seconds)
        out.append(_changes(session))
        sli = session.sli_status()
        out.append(
            Family(
                "slo_sli_availability_ratio",
                "gauge",
                "Availability of the user-facing SLI over its window (the in-app SLI).",
                (
                    Sample(
                        "slo_sli_availability_ratio", _labels(service=str(sli["service"])), _num(sli["availability"])
                    ),
                ),
            )
        )
        out.append(
            Family(
                "misfortune_simulated_time_seconds",
                "gauge",
                "Simulated seconds since the scenario started.",
                (Sample("misfortune_simulated_time_seconds", (), float(session.now)),),
            )
        )
        return tuple(f for f in out if f.samples)

    def _latency(self, services: list[ServiceView]) -> Family:
        samples: list[Sample] = []
        for s in services:
            count = sum(v for k, v in self.requests.items() if k[0] == s.name)
            for q, ms in (("0.5", s.p50_ms), ("0.95", s.p95_ms), ("0.99", s.p99_ms)):
                samples.append(
                    Sample("http_request_duration_seconds", _labels(service=s.name, quantile=q), _num(ms) / 1e3)
                )
            samples.append(Sample("http_request_duration_seconds_count", _labels(service=s.name), count))
            samples.append(
                Sample("http_request_duration_seconds_sum", _labels(service=s.name), self.latency_sum.get(s.name, 0.0))
            )
        return Family(
            "http_request_duration_seconds",
            "summary",
            "Server latency quantiles of the service (the in-app p50/p95/p99); _sum is estimated from them.",
            tuple(samples),
        )


def _req_labels(key: tuple[str, str, str, str]) -> Labels:
    service, zone, version, code = key
    return _labels(service=service, zone=zone, version=version, code=code)


def _num(value: Any) -> float:
    v = float(value)
    return v if math.isfinite(v) else 0.0


SERVICE_SERIES = (
    ("cache_hit_ratio", "hit_ratio", 1.0, "Share of cache lookups that hit (cache services only)."),
    ("filesystem_usage_ratio", "disk_ratio", 1.0, "Share of the service's disk in use (fullest instance)."),
    ("probe_success", "probe_success", 1.0, "Synthetic probe of the service succeeding (1) or failing (0)."),
    ("ssl_certificate_expiry_seconds", "cert_days", 86400.0, "Seconds until the service's TLS certificate expires."),
    ("pg_stat_activity_count", "connections", 1.0, "Client connections the database holds (databases only)."),
    ("pg_settings_max_connections", "conn_limit", 1.0, "Connections the database accepts (databases only)."),
    ("runtime_gc_time_ratio", "gc_ratio", 1.0, "Share of time the service's busiest instances spend in GC."),
)
"""(family, engine series, scale, help) of service gauges read from the slow series."""


def _service_gauges(session: SessionReader, services: list[ServiceView]) -> list[Family]:
    def gauge(name: str, help_text: str, values: list[tuple[Labels, float]]) -> Family:
        return Family(name, "gauge", help_text, tuple(Sample(name, lab, _num(v)) for lab, v in values))

    def per_service(attr: str) -> list[tuple[Labels, float]]:
        return [(_labels(service=s.name), getattr(s, attr)) for s in services]

    out = [
        gauge("service_cpu_utilization_ratio", "Mean CPU use of the service's instances, 0-1.", per_service("cpu")),
        gauge(
            "service_memory_utilization_ratio",
            "Memory use against the limit of the service's fullest instance, 0-1.",
            per_service("memory_ratio"),
        ),
        gauge(
            "db_client_connection_pool_utilization_ratio",
            "Share of the service's connection pool in use, 0-1.",
            per_service("pool_ratio"),
        ),
        gauge("kube_deployment_spec_replicas", "Replicas the service should run.", per_service("desired")),
        gauge(
            "kube_deployment_status_replicas_available",
            "Replicas ready and in rotation (passing health checks).",
            per_service("ready"),
        ),
        gauge(
            "service_version_info",
            "Instances of the service per version.",
            [(_labels(service=s.name, version=v), n) for s in services for v, n in sorted(s.versions.items())],
        ),
    ]
    for family, series, scale, help_text in SERVICE_SERIES:
        values = []
        for s in services:
            v = _latest(session, s.name, series)
            if math.isfinite(v):
                values.append((_labels(service=s.name), v * scale))
        out.append(gauge(family, help_text, values))
    return out


def _instance_families(instances: list[InstanceView], cpu_seconds: dict[Labels, float]) -> list[Family]:
    def family(name: str, kind: str, help_text: str, sample: str, value) -> Family:
        return Family(name, kind, help_text, tuple(Sample(sample, _instance_labels(i), value(i)) for i in instances))

    return [
        family(
            "up",
            "gauge",
            "1 when the instance runs and passes its health checks, else 0.",
            "up",
            lambda i: 1.0 if i.state == "running" and i.healthy else 0.0,
        ),
        family(
            "kube_pod_status_ready",
            "gauge",
            "1 when the instance is ready and in the load balancer's rotation.",
            "kube_pod_status_ready",
            lambda i: 1.0 if i.in_rotation else 0.0,
        ),
        family(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the instance.",
            "process_resident_memory_bytes",
            lambda i: _num(i.memory_mb) * MB,
        ),
        family(
            "container_spec_memory_limit_bytes",
            "gauge",
            "Memory limit of the instance's container (OOM-killed beyond it).",
            "container_spec_memory_limit_bytes",
            lambda i: _num(i.memory_limit_mb) * MB,
        ),
        family(
            "kube_pod_container_status_restarts",
            "counter",
            "Restarts of the instance's container.",
            "kube_pod_container_status_restarts_total",
            lambda i: float(i.restarts),
        ),
        Family(
            "process_cpu_seconds",
            "counter",
            "CPU seconds the instance used (one core allocated: rate() is its utilisation).",
            tuple(
                Sample("process_cpu_seconds_total", _instance_labels(i), cpu_seconds.get(_instance_labels(i), 0.0))
                for i in instances
            ),
        ),
    ]


def _changes(session: SessionReader) -> Family:
    now = session.now
    counts: dict[tuple[str, str], int] = {}
    for change in session.change_log():
        if change.t <= now:
            key = (change.service, change.kind)
            counts[key] = counts.get(key, 0) + 1
    return Family(
        "misfortune_changes",
        "counter",
        "Changes in the change log (deploys, config pushes, flag flips, scaling, drains): annotations.",
        tuple(
            Sample("misfortune_changes_total", _labels(service=service, kind=kind), float(n))
            for (service, kind), n in sorted(counts.items())
        ),
    )
