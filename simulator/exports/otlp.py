"""Sampled traces and log lines as OpenTelemetry spans and log records, sent over OTLP/HTTP.

Uses the OpenTelemetry SDK's own records (``ReadableSpan``, ``ReadWriteLogRecord``) and its OTLP/HTTP
exporters, so what arrives at a collector is exactly what an instrumented service would send.
Simulated time t is stamped ``epoch + t``. Ids are the engine's W3C ids, so a log line and the span it
was written for share the trace id (and the span id). Attribute names follow the OpenTelemetry
semantic conventions (``service.name``, ``http.route``, ``http.response.status_code``, ``error.type``...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from simulator.exports.errors import ExportUnavailable
from simulator.views import LogRecord, Span, Trace

SCOPE = "misfortune.simulator"
"""Instrumentation scope of every span and log record."""
BATCH = 512
"""Records per export request."""
SEVERITY = {"DEBUG": 5, "INFO": 9, "WARN": 13, "WARNING": 13, "ERROR": 17, "FATAL": 21}
"""Log levels -> OpenTelemetry severity numbers."""
_LOG_ATTRIBUTES = {
    "http.route": "http.route",
    "http.response.status_code": "http.response.status_code",
    "error.type": "error.type",
    "duration_ms": "misfortune.duration_ms",
    "probe": "misfortune.probe",
    "client": "user_agent.original",
}
"""Engine log attributes -> semantic-convention names (``misfortune.*`` where none exists)."""
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _sdk() -> dict[str, Any]:
    try:
        from opentelemetry import trace as api_trace
        from opentelemetry._logs import LogRecord as ApiLogRecord
        from opentelemetry._logs import SeverityNumber
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk._logs import ReadWriteLogRecord
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import ReadableSpan
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    except ImportError as err:
        raise ExportUnavailable("OTLP export", err.name or "opentelemetry-sdk") from err
    return {
        "trace": api_trace,
        "ApiLogRecord": ApiLogRecord,
        "SeverityNumber": SeverityNumber,
        "OTLPLogExporter": OTLPLogExporter,
        "OTLPSpanExporter": OTLPSpanExporter,
        "ReadWriteLogRecord": ReadWriteLogRecord,
        "Resource": Resource,
        "ReadableSpan": ReadableSpan,
        "scope": InstrumentationScope(SCOPE),
    }


def _ns(epoch: float, t: float) -> int:
    return int(round((epoch + t) * 1e9))


class OtlpConverter:
    """Builds SDK records; remembers each instance's zone and version (from instances and log lines)."""

    def __init__(self, scenario_id: str) -> None:
        self.sdk = _sdk()
        self.scenario_id = scenario_id
        self.placement: dict[str, tuple[str, str]] = {}
        """instance -> (zone, version)."""
        self._resources: dict[tuple[str, str], Any] = {}

    def learn(self, instances: Iterable[Any] = (), logs: Iterable[LogRecord] = ()) -> None:
        """Record where instances run (InstanceView or LogRecord: both have zone and version)."""
        for item in (*instances, *logs):
            inst = getattr(item, "id", None) or getattr(item, "instance", "")
            if inst and item.zone:
                self.placement[inst] = (item.zone, item.version)

    def resource(self, service: str, instance: str) -> Any:
        """The OpenTelemetry resource of an instance (cached)."""
        key = (service, instance)
        res = self._resources.get(key)
        if res is None:
            attrs = {
                "service.name": service,
                "service.namespace": self.scenario_id,
                "service.instance.id": instance,
                "deployment.environment.name": "misfortune",
            }
            zone, version = self.placement.get(instance, ("", ""))
            if version:
                attrs["service.version"] = version
            if zone:
                attrs["cloud.availability_zone"] = zone
            res = self._resources[key] = self.sdk["Resource"].create(attrs)
        return res

    def spans(self, trace: Trace, epoch: float) -> list[Any]:
        """The trace's spans as SDK ReadableSpans (parents before children)."""
        sdk = self.sdk
        api = sdk["trace"]
        tid = int(trace.trace_id, 16)
        out = []
        for sp in trace.spans:
            context = api.SpanContext(tid, int(sp.span_id, 16), False, api.TraceFlags(api.TraceFlags.SAMPLED))
            parent = (
                api.SpanContext(tid, int(sp.parent_id, 16), False, api.TraceFlags(api.TraceFlags.SAMPLED))
                if sp.parent_id
                else None
            )
            start = trace.t + sp.start_ms / 1000.0
            status = (
                api.Status(api.StatusCode.ERROR, sp.error_type or f"HTTP {sp.status_code}")
                if sp.status == "ERROR"
                else api.Status(api.StatusCode.UNSET)
            )
            out.append(
                sdk["ReadableSpan"](
                    name=sp.name,
                    context=context,
                    parent=parent,
                    resource=self.resource(sp.service, sp.instance),
                    attributes=span_attributes(sp),
                    kind=api.SpanKind.SERVER if sp.kind == "SERVER" else api.SpanKind.CLIENT,
                    status=status,
                    start_time=_ns(epoch, start),
                    end_time=_ns(epoch, start + sp.duration_ms / 1000.0),
                    instrumentation_scope=sdk["scope"],
                )
            )
        return out

    def log_record(self, line: LogRecord, epoch: float) -> Any:
        """A log line as an SDK log record (with its trace and span ids, if it has them)."""
        sdk = self.sdk
        api = sdk["trace"]
        severity = SEVERITY.get(line.level.upper(), 9)
        attributes: dict[str, Any] = {}
        for key, value in line.attributes.items():
            if value is None or value == "":
                continue
            if key == "http.route" and isinstance(value, str) and value.partition(" ")[0] in HTTP_METHODS:
                attributes["http.request.method"], value = value.split(" ", 1)
            attributes[_LOG_ATTRIBUTES.get(key, f"misfortune.{key}")] = (
                value if isinstance(value, int | float) else str(value)
            )
        record = sdk["ApiLogRecord"](
            timestamp=_ns(epoch, line.t),
            observed_timestamp=_ns(epoch, line.t),
            trace_id=int(line.trace_id, 16) if line.trace_id else None,
            span_id=int(line.span_id, 16) if line.span_id else None,
            trace_flags=api.TraceFlags(api.TraceFlags.SAMPLED) if line.trace_id else None,
            severity_text=line.level.upper(),
            severity_number=sdk["SeverityNumber"](severity),
            body=line.message,
            attributes=attributes,
        )
        return sdk["ReadWriteLogRecord"](
            record, resource=self.resource(line.service, line.instance), instrumentation_scope=sdk["scope"]
        )


def span_attributes(sp: Span) -> dict[str, Any]:
    """Semantic-convention attributes of a span."""
    attrs: dict[str, Any] = {"http.response.status_code": int(sp.status_code)}
    method, _, rest = sp.name.partition(" ")
    if sp.kind == "SERVER":
        if method in HTTP_METHODS:
            attrs["http.request.method"] = method
            attrs["http.route"] = rest
    else:
        peer = rest or sp.name
        attrs["server.address"] = peer
        attrs["peer.service"] = peer
        if method == "query":
            attrs["db.operation.name"] = "query"
    if sp.error_type:
        attrs["error.type"] = sp.error_type
    if sp.culprit:
        attrs["misfortune.culprit"] = True
    return attrs


def endpoints(url: str) -> tuple[str, str]:
    """The traces and logs endpoints of an OTLP/HTTP base URL (``http://host:4318``)."""
    base = url.rstrip("/")
    for suffix in ("/v1/traces", "/v1/logs"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return f"{base}/v1/traces", f"{base}/v1/logs"


class OtlpSender:
    """Sends batches straight through the OTLP/HTTP exporters (after the fact: ``misfortune export``)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        sdk = _sdk()
        traces, logs = endpoints(url)
        self.span_exporter = sdk["OTLPSpanExporter"](endpoint=traces, timeout=timeout)
        self.log_exporter = sdk["OTLPLogExporter"](endpoint=logs, timeout=timeout)

    def send(self, spans: Sequence[Any], logs: Sequence[Any]) -> list[str]:
        """Export everything in batches; returns the problems (empty when the collector took it all)."""
        problems = []
        for i in range(0, len(spans), BATCH):
            if self.span_exporter.export(spans[i : i + BATCH]).name != "SUCCESS":
                problems.append(f"the collector did not accept spans {i}-{min(i + BATCH, len(spans)) - 1}")
                break
        for i in range(0, len(logs), BATCH):
            if self.log_exporter.export(logs[i : i + BATCH]).name != "SUCCESS":
                problems.append(f"the collector did not accept log records {i}-{min(i + BATCH, len(logs)) - 1}")
                break
        self.span_exporter.shutdown()
        self.log_exporter.shutdown()
        return problems


def session_records(sim: Any, epoch: float) -> tuple[list[Any], list[Any]]:
    """Every retained trace's spans and every retained log line of a finished session, oldest first."""
    converter = OtlpConverter(sim.scenario.id)
    logs = sim.logs()
    converter.learn(sim.instances(), logs)
    traces = sorted(sim.traces(limit=10**9), key=lambda tr: tr.t)
    spans = [sp for tr in traces for sp in converter.spans(tr, epoch)]
    return spans, [converter.log_record(line, epoch) for line in logs]


class OtlpStream:
    """Live: new traces and log lines of a running session, through the SDK's batch processors.

    The batch processors queue records and export them from their own threads, so the clock's thread
    only converts the few records each pump brings.
    """

    def __init__(self, url: str) -> None:
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        sender = OtlpSender(url)
        self.spans = BatchSpanProcessor(sender.span_exporter)
        self.logs = BatchLogRecordProcessor(sender.log_exporter)
        self.converter: OtlpConverter | None = None
        self._log_index = 0
        self._sent: dict[str, float] = {}
        """Trace ids already sent -> their time (pruned once well behind the clock)."""

    def send_new(self, session: Any, epoch: float) -> None:
        """Queue the traces and log lines that appeared since the last call."""
        if self.converter is None:
            self.converter = OtlpConverter(session.briefing().scenario_id)
        lines, self._log_index = session.log_tail(self._log_index)
        self.converter.learn(session.instances(), lines)
        for line in lines:
            self.logs.on_emit(self.converter.log_record(line, epoch))
        now = session.now
        for trace in reversed(session.traces(since=now - 60.0, limit=10_000)):
            if trace.trace_id in self._sent:
                continue
            self._sent[trace.trace_id] = trace.t
            for span in self.converter.spans(trace, epoch):
                self.spans.on_end(span)
        if len(self._sent) > 5_000:
            self._sent = {k: t for k, t in self._sent.items() if t >= now - 120.0}

    def shutdown(self) -> None:
        """Flush what is queued and stop the processors' threads."""
        self.spans.shutdown()
        self.logs.shutdown()
