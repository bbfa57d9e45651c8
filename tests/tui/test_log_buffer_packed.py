"""The log buffer packs each full chunk (compressed rows, a lowered blob, sorted trace keys): every row still
reads back whole, and every filter still agrees with a plain scan of the rows, across packed and filling
chunks, ASCII and non-ASCII chunks, and hostile trace ids."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

import pytest

from simulator.telemetry.cold import ColdChunk
from simulator.views import LogRecord
from tui.widgets import log_buffer
from tui.widgets.log_buffer import CHUNK, LEVEL_RANK, LogBuffer, LogQuery, render_record, summary_of


@pytest.fixture(autouse=True, params=["hot", "cold"])
def chunks_kept(request, monkeypatch) -> str:
    """Every test twice: every packed chunk's blobs in memory, and every one in the cold file at once."""
    monkeypatch.setattr(log_buffer, "HOT", 10**9 if request.param == "hot" else 0)
    return request.param


def record(i: int, message: str = "", trace: str = "", instance: str = "") -> LogRecord:
    service = ("cart", "checkout", "payments")[i % 3]
    return LogRecord(
        float(i),
        ("INFO", "WARN", "ERROR")[i % 3],
        service,
        "v1",
        "zone-a",
        instance or f"{service}-abc-{i % 5}",
        message or f"GET /api/Products/{i} 200 {i % 97}ms",
        trace,
    )


def mixed_records(n: int) -> list[LogRecord]:
    """Plain rows, then (from the second chunk) rows whose lowering changes their length (İ) and non-ASCII
    rows; traced rows, and trace ids that differ only in case or hold ' trace=' themselves."""
    out = []
    for i in range(n):
        message, trace = "", ""
        if i < CHUNK:
            pass  # an ASCII chunk: its lowered rows are kept as str, the others' as UTF-8
        elif i % 11 == 0:
            message = f"İstanbul order {i} accepted"  # 'İ'.lower() is two characters
        elif i % 13 == 0:
            message = f"café {i} — résumé ✓"
        if i % 3 == 0:
            trace = f"{i % 700:032x}"
        elif i % 17 == 0:
            trace = f"{i % 700:032X}"  # the same id as a lowercase one, but for case
        elif i % 29 == 0:
            trace = f"x trace=y{i % 4}"
        out.append(record(i, message, trace))
    return out


def test_rows_read_back_whole_from_packed_and_filling_chunks():
    records = mixed_records(2 * CHUNK + 123)
    buffer = LogBuffer()
    buffer.extend(records)
    assert len(buffer._packed) == 2 and len(buffer._open) == 123
    expected = [render_record(rec) for rec in records]
    # Read out of order: the last few decompressed chunks are cached, and a wrong cache hit would show.
    for i in [5, 2 * CHUNK + 7, CHUNK + 3, 9, CHUNK - 1, CHUNK, 2 * CHUNK - 1, 2 * CHUNK, len(records) - 1]:
        assert buffer.line(i) == expected[i], i
        assert buffer.trace_id(i) == records[i].trace_id, i
    assert list(buffer.lines) == expected
    assert buffer.lines[-1] == expected[-1] and buffer.lines[CHUNK : CHUNK + 3] == expected[CHUNK : CHUNK + 3]


def test_levels_read_back_from_packed_and_filling_chunks():
    """A packed chunk keeps its rows' levels compressed; the view reads one line's at a time (the last chunk
    read is remembered: a wrong hit would show)."""
    levels = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL", "TRACE")  # (an unknown level ranks as INFO)
    records = [replace(rec, level=levels[(i * 7 + i // 5) % 6]) for i, rec in enumerate(mixed_records(2 * CHUNK + 50))]
    buffer = LogBuffer()
    buffer.extend(records)
    expected = [LEVEL_RANK.get(rec.level, 1) for rec in records]
    order = [3, CHUNK + 3, 4, 2 * CHUNK + 1, CHUNK + 4, 5, CHUNK - 1, CHUNK, 2 * CHUNK - 1, 2 * CHUNK]
    assert [buffer.level(i) for i in order] == [expected[i] for i in order]
    assert [buffer.level(i) for i in range(len(records))] == expected
    for level in ("INFO", "error", "FATAL"):
        rank = LEVEL_RANK[level.upper()]
        window = [i for i in range(CHUNK - 9, 2 * CHUNK + 9) if expected[i] >= rank]
        assert buffer.filter(LogQuery(level=level), CHUNK - 9, 2 * CHUNK + 9) == window, level


def test_text_queries_agree_with_a_scan_of_the_rows(chunks_kept):
    records = mixed_records(3 * CHUNK + 500)
    buffer = LogBuffer()
    buffer.extend(records)
    kept = [ColdChunk] * 3 if chunks_kept == "cold" else [str, bytes, bytes]
    assert [type(chunk.low) for chunk in buffer._packed] == kept
    rows = [render_record(rec) for rec in records]
    for needle in ("istanbul", "i̇stanbul order 1", "résumé", "✓", "/api/products/40", " 200 ", "zzz", "trace=y"):
        expected = [i for i, row in enumerate(rows) if needle in row.lower()]
        assert buffer.filter(LogQuery(text=needle)) == expected, needle
        # Over a window that starts and ends inside chunks, and with another filter first (candidates).
        window = [i for i in expected if CHUNK // 2 <= i < 2 * CHUNK + 100]
        assert buffer.filter(LogQuery(text=needle), CHUNK // 2, 2 * CHUNK + 100) == window, needle
        in_cart = [i for i in expected if records[i].service == "cart"]
        assert buffer.filter(LogQuery(text=needle, service="cart")) == in_cart, needle


def test_trace_queries_find_exactly_the_rows_of_the_id():
    records = mixed_records(3 * CHUNK + 500)
    buffer = LogBuffer()
    buffer.extend(records)
    ids = {rec.trace_id for rec in records if rec.trace_id}
    assert f"{300:032x}" in ids and f"{300:032X}" in ids and "x trace=y1" in ids
    for tid in sorted(ids):
        expected = [i for i, rec in enumerate(records) if rec.trace_id == tid]
        assert buffer.filter(LogQuery(trace_id=tid)) == expected, tid
        with_text = [i for i in expected if "ms" in render_record(records[i]).lower()]
        assert buffer.filter(LogQuery(trace_id=tid, text="MS")) == with_text, tid
    assert buffer.filter(LogQuery(trace_id="y1")) == []


def test_trace_ids_whose_keys_collide_are_told_apart(monkeypatch):
    """The key is a hash: rows found by it are checked against the id itself."""
    import tui.widgets.log_buffer as log_buffer

    monkeypatch.setattr(log_buffer, "trace_key", lambda tid: 7 if tid else 0)
    records = [record(i, trace=str(i % 50) if i % 2 else "") for i in range(CHUNK + 300)]
    buffer = LogBuffer()
    buffer.extend(records)
    for tid in ("1", "49"):  # "1" ends "11", "21", ...
        assert buffer.filter(LogQuery(trace_id=tid)) == [i for i, rec in enumerate(records) if rec.trace_id == tid]


def test_a_trace_id_too_long_for_its_length_byte_reads_back_and_filters():
    long_id = "t" * 300
    records = [record(i, trace=long_id if i % 2 else "") for i in range(CHUNK + 5)]
    buffer = LogBuffer()
    buffer.extend(records)
    assert buffer.trace_id(1) == long_id and buffer.trace_id(0) == ""
    assert buffer.filter(LogQuery(trace_id=long_id)) == list(range(1, CHUNK + 5, 2))


def test_bodies_whose_first_line_needs_cleaning_read_back_as_before():
    messages = [
        "\x1b]0;title\nstill the title\x07 first\n\tat a.B.c(B.java:1)",  # an escape reaching past a break
        "   \n\n  real first line\n\tat x.Y.z(Y.java:2)\r\n",  # a blank first line
        "boom   \r\n\tat p.Q.r(Q.java:3)\n\n",  # trailing spaces, CRLF, blank lines after
        "only\n   \n",  # a break, but one line
    ]
    records = [record(i, messages[i % 4]) for i in range(CHUNK + 8)]
    buffer = LogBuffer()
    buffer.extend(records)
    for i in (1, 2, 3, CHUNK + 4, CHUNK + 5, CHUNK + 6, CHUNK + 7):
        row, body = summary_of(records[i].message)
        assert buffer.line(i) == render_record(records[i], row), i
        assert buffer.body(i) == body, i


def test_a_query_with_a_line_break_matches_across_a_bodys_first_line():
    records = [record(i, "Boom: disk full\n\tat a.B.c(B.java:1)" if i % 2 else "") for i in range(CHUNK + 10)]
    buffer = LogBuffer()
    buffer.extend(records)
    assert buffer.filter(LogQuery(text="full\n    at a.b")) == list(range(1, CHUNK + 10, 2))
    assert buffer.filter(LogQuery(text="b.java:1")) == list(range(1, CHUNK + 10, 2))


def test_a_kept_line_costs_a_fraction_of_its_text():
    """Rows like a real service's: ~100 characters. As strings with a lowered copy and a trace index they
    cost ~600 bytes each; packed, about 150."""
    records = [record(i, trace=f"{i:032x}" if i % 2 else "") for i in range(10 * CHUNK)]
    text = sum(len(render_record(rec)) for rec in records) / len(records)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        buffer = LogBuffer()
        buffer.extend(records)
        per_line = (tracemalloc.get_traced_memory()[0] - before) / len(buffer)
    finally:
        tracemalloc.stop()
    assert 90 <= text <= 130
    assert per_line < 1.6 * text, f"{per_line:.0f} bytes a line for {text:.0f} characters"


def test_a_bounded_buffer_keeps_its_cold_file_bounded_and_reads_right(monkeypatch, chunks_kept):
    monkeypatch.setattr(log_buffer, "COLD_SLACK", 0)
    records = mixed_records(9 * CHUNK + 77)
    buffer = LogBuffer(capacity=3 * CHUNK)
    files = set()
    for start in range(0, len(records), 1000):
        buffer.extend(records[start : start + 1000])
        files.add(id(buffer._cold))
        kept = sum(len(c.text) + len(c.low) for c in buffer._packed if type(c.text) is ColdChunk)
        assert buffer._cold_live == kept
        assert buffer._cold.size <= 2 * kept + 2 * 600_000  # (a dropped chunk's blobs, before the copy)
    if chunks_kept == "cold":
        assert len(files) > 1, "copied afresh as chunks were dropped"
    rows = [render_record(rec) for rec in records]
    assert list(buffer.lines) == rows[buffer.base :]
    kept = range(buffer.base, buffer.end)
    assert [buffer.level(i) for i in kept] == [LEVEL_RANK[records[i].level] for i in kept]
    assert buffer.filter(LogQuery(level="WARN")) == [i for i in kept if records[i].level != "INFO"]
    assert buffer.filter(LogQuery(service="payments")) == [i for i in kept if records[i].service == "payments"]
    expected = [i for i, row in enumerate(rows) if "résumé" in row.lower() and i >= buffer.base]
    assert buffer.filter(LogQuery(text="résumé")) == expected
    tid = records[-3].trace_id or records[-1].trace_id
    assert buffer.filter(LogQuery(trace_id=tid)) == [
        i for i, rec in enumerate(records) if rec.trace_id == tid and i >= buffer.base
    ]
