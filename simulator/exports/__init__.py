"""The exports wing: a session's telemetry in the formats real tools read.

Owns the Prometheus metric families of a running or finished session (``metrics``), the OpenMetrics
history and the scenario's alert rules as a Prometheus rule file (``openmetrics``, ``rules``), Grafana
provisioning (``grafana``), spans and log records for OpenTelemetry (``otlp``) and profiles as pprof
and speedscope (``profiles``).

Reads a session only through its public read-only queries (``now``, ``services()``, ``instances()``,
``metric()``, ``traces()``, ``logs()``, ...), so the same code serves a local ``Simulation`` and the
TUI's session object. Holds no simulation logic. May import every other wing; imports
``prometheus_client`` and ``opentelemetry`` (the optional ``misfortune[export]`` extra) lazily, inside
the functions that need them, and never reads the wall clock: callers pass the wall-clock epoch that
simulated time 0 maps to.
"""

from simulator.exports.errors import EXTRA_HINT, ExportUnavailable
from simulator.exports.exposition import SnapshotCollector
from simulator.exports.grafana import dashboards as grafana_dashboards
from simulator.exports.grafana import dashboards_yaml as grafana_dashboards_yaml
from simulator.exports.grafana import datasource_yaml as grafana_datasource_yaml
from simulator.exports.grafana import dump as grafana_dump
from simulator.exports.metrics import MetricsAccumulator
from simulator.exports.otlp import OtlpSender, OtlpStream, session_records
from simulator.exports.profiles import to_pprof, to_speedscope
from simulator.exports.rules import rule_file
from simulator.exports.session_export import SessionExport

__all__ = [
    "EXTRA_HINT",
    "ExportUnavailable",
    "MetricsAccumulator",
    "OtlpSender",
    "OtlpStream",
    "SessionExport",
    "SnapshotCollector",
    "grafana_dashboards",
    "grafana_dashboards_yaml",
    "grafana_datasource_yaml",
    "grafana_dump",
    "rule_file",
    "session_records",
    "to_pprof",
    "to_speedscope",
]
