"""A text filter's fast passes (a chunk's hits located one by one, in C-level passes over its lowered blob,
or row by row) find exactly the lines a plain scan of the rendered rows finds: random rows and needles
over a small alphabet (so hits are dense and straddle rows and chunks), case folding and non-ASCII text,
multi-line entries, hostile fields with line breaks, chunks in memory and in the cold file, and windows
that start and end inside chunks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.views import LogRecord
from tui.widgets import log_buffer
from tui.widgets.log_buffer import LogBuffer, LogQuery, _DenseRows, render_record, summary_of
from tui.widgets.log_matches import Matches

ALPHABET = "ab AB2İıΣσςẞßé⏎\n"
"""Few characters, so needles hit often: cases, characters whose lowercase differs in length (İ) or by
context (Σ), non-ASCII, the row's own ``⏎``, and line breaks (multi-line entries)."""

SMALL = {"CHUNK": 8, "RARE_HITS": 2, "SAMPLE_ROWS": 3}
"""Tiny chunks and thresholds: every path (hits located one by one, a match a row, each row tested) is
taken by a few dozen rows."""


def _record(i: int, message: str, trace: str) -> LogRecord:
    return LogRecord(float(i), "INFO", "svc", "v1", "z", "i-1", message, trace)


def _reference(records: list[LogRecord], needle: str, lo: int, hi: int) -> list[int]:
    """Lines in [lo, hi) whose rendered row, or whole body when it has several lines, holds ``needle``,
    case-insensitively, row by row (a row's text never meets the next row's; a line break in a field, a
    hostile trace id's, is searched as a space)."""
    needle = needle.lower()
    out = []
    for i in range(lo, hi):
        rec = records[i]
        multi = "\n" in rec.message or "\r" in rec.message
        row = render_record(rec, summary_of(rec.message)[0] if multi else None).replace("\n", " ")
        body = summary_of(rec.message)[1] if multi else ""
        if ("\n" not in needle and needle in row.lower()) or (multi and needle in body.lower()):
            out.append(i)
    return out


def _same(matches: Matches, expected: list[int]) -> None:
    """``matches`` (what the log view reads) holds ``expected``: its count, each rank (newest first, so
    chunks are listed again after the kept ones are forgotten), and the whole."""
    assert len(matches) == len(expected)
    assert [matches[r] for r in reversed(range(len(expected)))] == expected[::-1]
    assert list(matches) == expected
    if expected:
        assert matches[-1] == expected[-1]
    with pytest.raises(IndexError):
        matches[len(expected)]


def _newest_first(buffer: LogBuffer, query: LogQuery, step: int) -> Matches:
    """The slices ``filter_newest_first`` yields, joined oldest first as the log view joins them."""
    whole = Matches()
    for _lo, part in reversed(list(buffer.filter_newest_first(query, step=step))):
        whole.extend(part)
    return whole


messages = st.text(alphabet=ALPHABET, max_size=12)
traces = st.one_of(st.just(""), st.text(alphabet="ab2\nΣ", min_size=1, max_size=4))
needles = st.text(alphabet=ALPHABET, min_size=1, max_size=4)


@pytest.mark.parametrize("kept", ["hot", "cold"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(messages, traces), min_size=1, max_size=60),
    picked=st.one_of(needles, st.tuples(st.integers(0, 10**6), st.integers(1, 12), st.booleans())),
    window=st.tuples(st.integers(0, 60), st.integers(0, 60)),
)
def test_text_filter_agrees_with_a_plain_scan(kept, rows, picked, window):
    records = [_record(i, message, trace) for i, (message, trace) in enumerate(rows)]
    if isinstance(picked, str):
        needle = picked
    else:  # a piece of the rows' text as the buffer joins them (from a row's start, or anywhere: it may
        # reach across a row's end)
        text = "\n".join(render_record(rec) for rec in records)
        start, length, from_row_start = picked
        start %= len(text)
        if from_row_start:
            start = text.rfind("\n", 0, start) + 1
        needle = text[start : start + length]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in SMALL.items():
            mp.setattr(log_buffer, name, value)
        mp.setattr(log_buffer, "HOT", 10**9 if kept == "hot" else 0)
        buffer = LogBuffer(capacity=log_buffer.CHUNK * 1000)
        buffer.extend(records)
        query = LogQuery(text=needle)
        expected = _reference(records, needle, 0, len(records))
        assert buffer.filter(query) == expected
        _same(buffer.matches(query), expected)  # dense chunks counted, listed when read
        _same(_newest_first(buffer, query, 2 * log_buffer.CHUNK), expected)
        lo, hi = sorted(window)
        assert buffer.filter(query, lo, hi) == _reference(records, needle, lo, min(hi, len(records)))
        _same(buffer.matches(query, lo, hi), _reference(records, needle, lo, min(hi, len(records))))
        upper = LogQuery(text=needle.upper())  # the query folds case as the rows do
        assert buffer.filter(upper) == _reference(records, needle.upper(), 0, len(records))
        _same(buffer.matches(upper), _reference(records, needle.upper(), 0, len(records)))


@pytest.mark.parametrize("kept", ["hot", "cold"])
@pytest.mark.parametrize("needle", ["a", "A", "ab", "2 a", "a2", "0 i", "n", "00:00:1"])
def test_dense_chunks_at_real_sizes_agree_with_a_plain_scan(monkeypatch, kept, needle):
    """Real chunk sizes. Per chunk: rows with one hit, several, none, hits at a row's start (the clock) and
    end and at a chunk's; sparse hits, then more hits than rows (a match a row), or dense hits from the
    start (each row tested); an ASCII chunk (kept as str when hot) and non-ASCII ones; multi-line entries
    whose body alone holds the needle."""
    monkeypatch.setattr(log_buffer, "HOT", 10**9 if kept == "hot" else 0)
    chunk = log_buffer.CHUNK
    n = 3 * chunk + 77
    shapes = ["a", "x a2 a", "b", "ab ab ab a", "2 a", "zz"]

    def message(i: int) -> str:
        r = i % chunk
        if r > chunk // 2 or i >= 2 * chunk:  # dense: past CHUNK hits of ``a`` (the third chunk: throughout)
            return "ab a2 " * 3 + ("é" if i >= chunk else "")
        return shapes[(i * 7 + i // 5) % len(shapes)] if r % 8 == 0 else "b"  # sparse: the first hits

    records = [_record(i, message(i), "a2" if i % chunk > chunk // 2 else "") for i in range(n)]
    records[chunk] = _record(chunk, "a", "")
    records[2 * chunk - 1] = _record(2 * chunk - 1, "zz", "a2")
    # Multi-line entries whose body alone holds the needle, in dense chunks (not the first: it stays ASCII),
    # among rows that hold it and at a chunk's first line.
    for i in [*range(chunk + chunk // 2 + 3, n, 97), 2 * chunk, 3 * chunk]:
        records[i] = _record(i, "zz\nab a2 at\n2 a", "")
    buffer = LogBuffer()
    buffer.extend(records)
    assert len(buffer._packed) == 3
    if kept == "hot":
        assert [type(c.low) for c in buffer._packed] == [str, bytes, bytes]
    assert buffer.filter(LogQuery(text=needle)) == _reference(records, needle, 0, n)
    lo, hi = chunk - 5, 2 * chunk + 9
    assert buffer.filter(LogQuery(text=needle), lo, hi) == _reference(records, needle, lo, hi)
    matches = buffer.matches(LogQuery(text=needle))
    if needle in ("a", "A", "ab", "a2"):  # every chunk dense (past its half at least): counted, not listed
        assert [type(part) for part in matches._parts] == [_DenseRows] * 3 + [list]
    _same(matches, _reference(records, needle, 0, n))
    _same(buffer.matches(LogQuery(text=needle), lo, hi), _reference(records, needle, lo, hi))
