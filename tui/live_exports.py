"""Real tools beside a live session: ``--metrics ADDR`` (a Prometheus endpoint) and ``--otlp URL``.

The clock's thread calls :meth:`LiveExports.update` after pumping the session: it integrates the
counters and publishes a fresh, immutable snapshot of the metric families at most every
``PUBLISH_EVERY`` wall seconds. Scrapes are answered by prometheus_client's HTTP server in its own
thread from the last published snapshot, so a scrape never blocks the TUI and never reads the
simulation while it moves. New spans and log lines go to the OTLP exporter's own background thread.
"""

from __future__ import annotations

import argparse
import sys
from time import monotonic, time
from typing import Any

PUBLISH_EVERY = 0.5
"""Wall seconds between metric snapshots (Prometheus scrapes every few seconds at most)."""
EXIT_INVALID = 2


def add_live_options(cmd: argparse.ArgumentParser) -> None:
    """``--metrics ADDR`` and ``--otlp URL`` on play and host."""
    cmd.add_argument(
        "--metrics",
        metavar="HOST:PORT",
        help="serve the simulated metrics for Prometheus at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464); "
        "needs pip install 'misfortune[export]'",
    )
    cmd.add_argument(
        "--otlp",
        metavar="URL",
        help="send spans and log records to an OTLP/HTTP collector (e.g. http://127.0.0.1:4318); "
        "needs pip install 'misfortune[export]'",
    )


def parse_address(text: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (IPv6 in brackets) or None."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        return None
    return host.strip("[]"), int(port)


class LiveExports:
    """The endpoints asked for on the command line, fed by the session's clock."""

    def __init__(self, metrics: tuple[str, int] | None = None, otlp: str | None = None) -> None:
        self.metrics_address = metrics
        self.otlp_url = otlp
        self.epoch = time()
        """Wall-clock time of simulated 0s (set on the first update, when the clock starts)."""
        self._started = False
        self._accumulator = None
        self._collector = None
        self._server = None
        self._thread = None
        self._otlp = None
        self._published = -1.0e9

    def start(self) -> None:
        """Open the endpoints (raises ExportUnavailable without the extra, OSError for a busy port)."""
        if self.metrics_address is not None:
            import prometheus_client

            from simulator.exports import MetricsAccumulator, SnapshotCollector

            self._accumulator = MetricsAccumulator()
            self._collector = SnapshotCollector()
            registry = prometheus_client.CollectorRegistry(auto_describe=False)
            registry.register(self._collector)
            host, port = self.metrics_address
            self._server, self._thread = prometheus_client.start_http_server(port, host, registry=registry)
            self.metrics_address = (host, self._server.server_address[1])
        if self.otlp_url is not None:
            from simulator.exports import OtlpStream

            self._otlp = OtlpStream(self.otlp_url)

    @property
    def metrics_url(self) -> str | None:
        """Where Prometheus scrapes (the port is the real one when 0 was asked for)."""
        if self.metrics_address is None:
            return None
        host, port = self.metrics_address
        return f"http://{host}:{port}/metrics"

    def update(self, session: Any, force: bool = False) -> None:
        """After a clock pump (the clock's thread): integrate, publish a snapshot, send new spans and logs."""
        if not self._started:
            self._started = True
            self.epoch = time() - session.now  # simulated 0s, in wall time, as the clock starts
        if self._accumulator is not None:
            self._accumulator.observe(session)
            wall = monotonic()
            if force or wall - self._published >= PUBLISH_EVERY:
                self._published = wall
                self._collector.publish(self._accumulator.families(session))
        if self._otlp is not None:
            self._otlp.send_new(session, self.epoch)

    def stop(self) -> None:
        """Close the endpoint and flush what the OTLP exporter still holds."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._otlp is not None:
            self._otlp.shutdown()
            self._otlp = None


def live_from_args(args: argparse.Namespace, command: str) -> tuple[LiveExports | None, int]:
    """The live exports asked for (started), or (None, exit code 2) after printing why not."""
    if getattr(args, "metrics", None) is None and getattr(args, "otlp", None) is None:
        return None, 0
    address = None
    if args.metrics is not None:
        address = parse_address(args.metrics)
        if address is None:
            print(
                f"misfortune {command}: --metrics {args.metrics!r} is not HOST:PORT (e.g. 127.0.0.1:9464)",
                file=sys.stderr,
            )
            return None, EXIT_INVALID
    if args.otlp is not None and not args.otlp.startswith(("http://", "https://")):
        print(
            f"misfortune {command}: --otlp {args.otlp!r} is not an http(s) URL (e.g. http://127.0.0.1:4318)",
            file=sys.stderr,
        )
        return None, EXIT_INVALID
    from simulator.exports import ExportUnavailable  # here: `misfortune play` without exports paints sooner

    live = LiveExports(address, args.otlp)
    try:
        live.start()
    except (ExportUnavailable, ImportError) as err:
        missing = err.missing if isinstance(err, ExportUnavailable) else err.name
        print(
            f"misfortune {command}: --metrics/--otlp need the optional package {missing!r}: "
            "pip install 'misfortune[export]'",
            file=sys.stderr,
        )
        return None, EXIT_INVALID
    except OSError as err:
        print(f"misfortune {command}: cannot listen on {args.metrics}: {err.strerror or err}", file=sys.stderr)
        return None, EXIT_INVALID
    if live.metrics_url:
        print(f"Prometheus metrics at {live.metrics_url}")
    if args.otlp:
        print(f"Sending spans and logs to {args.otlp}")
    return live, 0
