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

EXTRA_HINT = "pip install 'misfortune[export]'"
"""What to run when the optional export packages are missing."""


class ExportUnavailable(RuntimeError):
    """An export needs the optional ``misfortune[export]`` packages, which are not installed."""

    def __init__(self, what: str, missing: str) -> None:
        super().__init__(f"{what} needs the optional package {missing!r}: {EXTRA_HINT}")
        self.missing = missing
