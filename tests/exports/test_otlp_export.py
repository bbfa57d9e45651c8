"""Spans and log records over OTLP/HTTP, decoded by an in-test receiver with opentelemetry-proto's classes."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from realtools import OtlpReceiver, free_port, journal

from simulator.session.journal_session import replay_journal
from tui.cli import main
from tui.live_exports import LiveExports
from tui.session import LocalSession

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs pip install 'misfortune[export]'")

START = "2026-01-05T09:00:00Z"
EPOCH = datetime.fromisoformat("2026-01-05T09:00:00+00:00").timestamp()


@pytest.fixture
def receiver():
    r = OtlpReceiver()
    yield r
    r.close()


def test_an_exported_session_arrives_as_linked_spans_and_logs_with_simulated_timestamps(tmp_path, receiver, capsys):
    path = journal(tmp_path, until=900.0)
    assert main(["export", str(path), "--otlp", receiver.url, "--start", START]) == 0
    assert "spans and" in capsys.readouterr().out
    sim, _ = replay_journal(path)
    traces = {tr.trace_id: tr for tr in sim.traces(limit=10**9)}
    assert len(receiver.spans) == sum(len(tr.spans) for tr in traces.values())
    by_trace: dict[str, dict[str, object]] = {}
    for _attrs, sp in receiver.spans:
        by_trace.setdefault(sp.trace_id.hex(), {})[sp.span_id.hex()] = sp
    assert set(by_trace) == set(traces)
    for tid, spans in by_trace.items():
        trace = traces[tid]
        roots = [sp for sp in spans.values() if not sp.parent_span_id]
        assert len(roots) == 1, "one root span per trace"
        for sp in spans.values():
            assert not sp.parent_span_id or sp.parent_span_id.hex() in spans, "parents are in the same trace"
        for original in trace.spans:
            got = spans[original.span_id]
            start = EPOCH + trace.t + original.start_ms / 1000.0
            assert got.start_time_unix_nano == pytest.approx(start * 1e9, abs=2e3)
            assert (got.end_time_unix_nano - got.start_time_unix_nano) / 1e6 == pytest.approx(
                original.duration_ms, abs=1e-3
            )
            assert (got.status.code == 2) == (original.status == "ERROR")
    attrs, server = next((a, sp) for a, sp in receiver.spans if sp.kind == 2)
    assert attrs["service.name"] and attrs["service.instance.id"]
    keys = {kv.key for kv in server.attributes}
    assert {"http.request.method", "http.route", "http.response.status_code"} <= keys
    # A failed request's error line carries the trace and span ids of the span it was written for.
    linked = [lr for _a, lr in receiver.logs if lr.trace_id]
    assert linked, "error lines of failed traces carry their trace ids"
    matched = [lr for lr in linked if lr.trace_id.hex() in by_trace and lr.span_id.hex() in by_trace[lr.trace_id.hex()]]
    assert matched
    lines = sim.logs()
    assert len(receiver.logs) == len(lines)
    first = min(lr.time_unix_nano for _a, lr in receiver.logs)
    assert first == pytest.approx((EPOCH + lines[0].t) * 1e9, abs=2e3)
    severities = {lr.severity_text for _a, lr in receiver.logs}
    assert "ERROR" in severities and "INFO" in severities
    # A stack trace is one record whose body is the whole trace, line breaks and all, linked like any line.
    traces_sent = [lr for _a, lr in receiver.logs if "\n\tat " in lr.body.string_value]
    assert traces_sent, "the JVM's stack traces arrive"
    assert {lr.body.string_value for lr in traces_sent} == {r.message for r in lines if "\n\tat " in r.message}
    assert [lr for lr in traces_sent if lr.trace_id.hex() in by_trace], "a stack trace links to its trace"


def test_a_live_session_streams_new_spans_and_logs(receiver):
    session = LocalSession.start("checkout-oom-leak", 3, journal=False)
    live = LiveExports(otlp=receiver.url)
    live.start()
    try:
        for _ in range(30):
            session.sim.advance(10.0)
            live.update(session)
    finally:
        live.stop()  # flushes the batch processors
    assert receiver.spans and receiver.logs
    sent = {sp.trace_id.hex() for _a, sp in receiver.spans}
    assert sent == {tr.trace_id for tr in session.traces(limit=10**9)}, "every trace once, none twice"
    assert len(receiver.spans) == sum(len(tr.spans) for tr in session.traces(limit=10**9))
    stamps = [lr.time_unix_nano / 1e9 for _a, lr in receiver.logs]
    assert live.epoch <= min(stamps) and max(stamps) <= live.epoch + session.now + 1e-3


def test_export_to_a_collector_that_is_not_there_fails_clearly(tmp_path, capsys):
    path = journal(tmp_path, until=60.0)
    url = f"http://127.0.0.1:{free_port()}"
    began = time.monotonic()
    assert main(["export", str(path), "--otlp", url, "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "is a collector listening there?" in err and "Traceback" not in err
    assert time.monotonic() - began < 20
