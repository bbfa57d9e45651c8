"""Helpers for tests against real tools: a short journalled session, an OTLP/HTTP receiver, Prometheus.

Imported by module name (pytest puts tests/exports on sys.path), like tests/simulator/simkit.py.
"""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scenarios.catalog import load_by_ref
from simulator.session.runner import run_session

SCENARIO = "checkout-oom-leak"
UNTIL = 1200.0
"""A 20-minute session: the leak's first OOM kills and their 5xx bursts are in it."""


def journal(tmp: Path, scenario: str = SCENARIO, until: float = UNTIL, seed: int = 3) -> Path:
    """A journalled headless session (no actions) of ``until`` simulated seconds."""
    sc, path = load_by_ref(scenario)
    out = tmp / f"{scenario}.jsonl"
    run_session(sc, seed, (), until=until, journal_path=out, scenario_path=path)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(tool: str) -> str:
    """The tool's path, or skip the test saying how to get it."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install prometheus; .ci/run installs it as root)")
    return path


class OtlpReceiver:
    """An OTLP/HTTP receiver on loopback that decodes what it gets with opentelemetry-proto's classes."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        self.spans: list = []
        """(resource attributes dict, span) pairs."""
        self.logs: list = []
        """(resource attributes dict, log record) pairs."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    req = ExportTraceServiceRequest.FromString(body)
                    for rs in req.resource_spans:
                        attrs = attributes(rs.resource.attributes)
                        receiver.spans += [(attrs, sp) for ss in rs.scope_spans for sp in ss.spans]
                elif self.path == "/v1/logs":
                    req = ExportLogsServiceRequest.FromString(body)
                    for rl in req.resource_logs:
                        attrs = attributes(rl.resource.attributes)
                        receiver.logs += [(attrs, lr) for sl in rl.scope_logs for lr in sl.log_records]
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def attributes(kvs) -> dict:
    """OTLP KeyValues as a dict of plain values."""
    out = {}
    for kv in kvs:
        v = kv.value
        out[kv.key] = getattr(v, v.WhichOneof("value")) if v.WhichOneof("value") else None
    return out


class Prometheus:
    """A real ``prometheus`` process on loopback with a temporary config and data directory."""

    def __init__(self, tmp: Path, config: str | None = None, tsdb: Path | None = None, extra=()) -> None:
        binary = need("prometheus")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = tmp / "prometheus.yml"
        cfg.write_text(config or "global: {}\n")
        self.log = open(tmp / "prometheus.log", "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={cfg}",
                f"--storage.tsdb.path={tsdb or tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=100y",
                *extra,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("prometheus did not become ready")

    def query(self, expr: str, at: float | None = None) -> list:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as r:
            data = json.load(r)
        assert data["status"] == "success", data
        return data["data"]["result"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
