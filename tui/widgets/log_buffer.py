"""The log view's own store: up to a million rendered lines, filtered fast; imports nothing from Textual.

Lines are kept as rendered text with compact columns (level rank, service code, place). The chunk still
filling keeps its rows as strings and its columns as arrays; a full chunk of 4,000 is packed (``_Chunk``):
its rows compressed (only shown rows are read back), a lowercased blob a text query searches (a rare needle
over 1,000,000 lines costs a few tens of milliseconds), sorted 4-byte keys of its trace ids, and its
columns compressed (~1.3-1.7 bytes a line for the three, where they took 7: a filter by service, place or
level decompresses those of the chunks it reads, ~4-24 KB each). A line costs
~170-240 bytes where it cost 650-1,200 as strings (bench/tui_memory.py). Past the ``HOT`` newest chunks,
a chunk's compressed rows and lowercased blob move to the buffer's cold file (simulator/telemetry/cold.py:
a temporary file the page cache holds, not this process), leaving ~9-12 bytes a line in memory.

A multi-line entry (a JVM stack trace) stays one row: the row shows its first line and how many follow;
its whole body, line breaks kept, is readable beside it (``body``) for the detail view, and a text query
matches any of its lines. The body's first line is read from its row; the rest (the tail) is interned: a
service's traces repeat their frames (the same exception from the same handler) with varying first lines,
so 40,000 traces of a dozen kinds cost a dozen tails, and a query tests each distinct tail once.
"""

from __future__ import annotations

import re
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, compress, islice, repeat

from scenarios.durations import format_clock
from scenarios.text import clean
from simulator.telemetry import ColdChunk, ColdFile
from simulator.views import LogRecord
from tui.widgets.log_matches import Matches

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
LEVELS_COLUMN, SERVICES_COLUMN, PLACES_COLUMN = range(3)
COLUMN_TYPES = ("B", "H", "I")
"""Per line: its level's rank, its service's code and its place's code (array type codes, by column)."""
CHUNK = 4000
"""Lines per search chunk."""
RARE_HITS = 64
"""Up to this many hits in a chunk, each is located in its blob by ``find``; beyond, in C-level passes."""
SAMPLE_ROWS = 128
ROW_BY_ROW = 0.6
"""Beyond RARE_HITS, when more than this share of a chunk's first SAMPLE_ROWS rows hold the needle, each row
is tested (``e``); otherwise each holding row's first match is located (a pass a match costs ~1.3x a pass a
row, bench/tui_console.py)."""
CAPACITY = 1_000_000
"""Lines the view keeps at least; the oldest chunk is dropped once a whole chunk more has arrived."""
HOT = 0
"""Packed chunks (the newest) whose blobs stay in memory; older ones are in the cold file. None: a text query
reads the newest chunk's blob from the file as it reads the 15 older ones of its first slice, and shown rows
come through ``_Unpacked`` either way; one hot chunk held ~0.7-0.8 MB all session (bench/tui_memory.py)."""
COLD_SLACK = 64 * 1024 * 1024
"""Bytes of dropped chunks the cold file may hold beyond what is kept before it is copied afresh."""
CONTINUED = " ⏎ "
"""After the first line of a multi-line entry in its row, before how many lines follow (``⏎ +14 lines``)."""
QUERY_TEXT_MAX = 200
"""Characters the Logs panel's text and trace id fields take (a game-day seat's look carries up to 200)."""
INTERNED = 2_000
"""Distinct tails (a body's lines after the first) remembered for sharing; past that the memory starts
afresh (kept tails stay). The simulator shares a trace's frames between entries, not its first line."""


@dataclass(frozen=True, slots=True)
class LogQuery:
    """What the trainee filters by; empty fields match everything."""

    service: str = ""
    level: str = ""
    """A minimum: WARN shows WARN, ERROR and FATAL."""
    text: str = ""
    """Case-insensitive substring of the rendered line."""
    trace_id: str = ""
    where: str = ""
    """``zone=…``, ``version=…`` or ``instance=…``: where the line was written."""

    @property
    def empty(self) -> bool:
        return not (self.service or self.level or self.text or self.trace_id or self.where)


def message_lines(message: str) -> list[str]:
    """A message's lines, cleaned (escapes and control characters gone, tabs as spaces), blank ones dropped."""
    return [part.rstrip() for part in clean(message, keep_newlines=True).split("\n") if part.strip()]


def summary_of(message: str) -> tuple[str, str]:
    """A multi-line message's row text (its first line and ``⏎ +N lines``) and its whole body, cleaned."""
    first, *rest = message_lines(message) or [""]
    row = f"{first}{CONTINUED}+{len(rest)} line{'s' if len(rest) != 1 else ''}" if rest else first
    return row, "\n".join([first, *rest])


def _prefix(rec: LogRecord, clock: str | None = None) -> str:
    """A row's text before its message: clock (``clock`` when the caller has it already), level, service,
    instance."""
    return f"{clock or format_clock(rec.t)} {rec.level:<5} {rec.service:<10} {rec.instance} "


def _row_message(first: str, tail: str) -> str:
    """A multi-line entry's row message: its first line, and ``⏎ +N lines`` when its tail has lines."""
    if not tail:
        return first
    count = tail.count("\n") + 1
    return f"{first}{CONTINUED}+{count} line{'s' if count != 1 else ''}"


def render_record(rec: LogRecord, message: str | None = None, clock: str | None = None) -> str:
    """One display row: clock, level, service, instance, message (of a multi-line one its first line and
    ``⏎ +N lines``), trace id; ``message`` and ``clock`` when the caller has them already."""
    trace = f" trace={rec.trace_id}" if rec.trace_id else ""
    if message is None:
        message = summary_of(rec.message)[0] if "\n" in rec.message or "\r" in rec.message else clean(rec.message)
    return f"{_prefix(rec, clock)}{message}{trace}"


class _Chunk:
    """A full chunk of CHUNK rows, packed: the rows as one UTF-8 blob (original case, zlib-compressed: only
    shown rows are read from it) and offsets, the lowercased blob a text query searches (with its own
    offsets only when lowering changed a length), each traced row's trace id as a 4-byte key (sorted, with
    the row), every row's trace id length (the id itself ends the row), and the rows' level, service and
    place codes (``columns``: each column's bytes, zlib-compressed; ~1.3 bytes a row where they took 7)."""

    __slots__ = ("columns", "key_rows", "keys", "low", "low_starts", "long_traces", "starts", "text", "trace_lengths")

    # ``text`` and ``low`` are bytes (``low`` a str for an ASCII chunk) until :meth:`chill` moves them to a
    # cold file; a cold ``low`` reads back as UTF-8 bytes (ASCII: the same offsets), which every reader takes.

    def __init__(self, rows: list[str], trace_ids: list[str], columns: Sequence[bytes]) -> None:
        self.columns = tuple(zlib.compress(column, 1) for column in columns)
        # Whole-chunk strings, not a bytes object per row: the per-row temporaries of a chunk (~1 MB of small
        # objects) left the heap fragmented and the peak higher.
        joined = "\n".join(rows)
        ascii_rows = joined.isascii()
        self.text = zlib.compress(joined.encode(), 1)
        self.starts = _offsets(rows, ascii_rows)
        low_rows = [row.lower() for row in rows]  # row by row: lowering may change a length
        if joined.count("\n") >= len(rows):
            # A field with a line break (a remote seat's trace id is data): the searched blob keeps one line
            # a row, which a text query's passes count on (a needle never matches across two rows).
            low_rows = [row.replace("\n", " ") for row in low_rows]
        lowered = "\n".join(low_rows)
        self.low: str | bytes = lowered if ascii_rows else lowered.encode()
        """An ASCII chunk's lowered rows as str (as compact as bytes, and str tests are faster); others as
        UTF-8 (a str would take two or four bytes a character for one ``⏎``)."""
        low_starts = self.starts if ascii_rows else _offsets(low_rows, False)
        self.low_starts = self.starts if low_starts == self.starts else low_starts
        traced = [r for r, tid in enumerate(trace_ids) if tid]
        keys = [trace_key(trace_ids[r]) for r in traced]
        order = sorted(range(len(traced)), key=keys.__getitem__)
        self.keys = array("I", [keys[i] for i in order])
        """The traced rows' keys, sorted (a trace's rows are found by bisection), and their rows."""
        self.key_rows = array("H", [traced[i] for i in order])
        self.trace_lengths = bytes(min(len(tid), 255) for tid in trace_ids)
        self.long_traces = {r: tid for r, tid in enumerate(trace_ids) if len(tid) >= 255} or None
        """Trace ids too long for a length byte, by row (hostile input: a remote seat's ids are data)."""

    def column(self, which: int) -> bytes:
        """The rows' codes of column ``which`` (``LEVELS_COLUMN``, ``SERVICES_COLUMN``, ``PLACES_COLUMN``), as
        the bytes of its array."""
        return zlib.decompress(self.columns[which])

    def row(self, r: int, text: bytes) -> str:
        """Row ``r`` from ``text``, this chunk's rows decompressed."""
        starts = self.starts
        end = starts[r + 1] - 1 if r + 1 < len(starts) else len(text)
        return text[starts[r] : end].decode()

    def has_trace(self, r: int, trace_id: str) -> bool:
        """Whether row ``r`` is of ``trace_id``: length, key (a hash of the exact id) and the lowered row's
        end agree (so the compressed text is not read)."""
        length = self.trace_lengths[r]
        if length == 255 and self.long_traces:
            return self.long_traces.get(r) == trace_id
        return length == len(trace_id) and self.low_row(r).endswith(trace_id.lower().replace("\n", " "))

    def low_row(self, r: int) -> str:
        starts = self.low_starts
        low = self.low
        end = starts[r + 1] - 1 if r + 1 < len(starts) else len(low)
        row = low.read_range(starts[r], end) if type(low) is ColdChunk else low[starts[r] : end]
        return row if isinstance(row, str) else row.decode()

    def low_blob(self) -> str | bytes:
        """The lowercased rows joined by line breaks (bytes once cold)."""
        low = self.low
        return low.read() if type(low) is ColdChunk else low

    def packed_rows(self) -> bytes:
        """The compressed rows."""
        text = self.text
        return text.read() if type(text) is ColdChunk else text

    def chill(self, cold: ColdFile) -> int:
        """Move the blobs to ``cold`` (from wherever they are); the bytes they take there."""
        low = self.low_blob()
        self.text = cold.put(self.packed_rows())
        self.low = cold.put(low.encode() if isinstance(low, str) else low)
        return len(self.text) + len(self.low)

    def trace_id(self, r: int, text: bytes) -> str:
        length = self.trace_lengths[r]
        if length == 255 and self.long_traces:
            return self.long_traces[r]
        return self.row(r, text)[-length:] if length else ""

    def rows_with_key(self, key: int) -> list[int]:
        """Rows whose trace key is ``key`` (a hash: the caller checks the id itself), ascending."""
        keys = self.keys
        i = bisect_left(keys, key)
        out = []
        while i < len(keys) and keys[i] == key:
            out.append(self.key_rows[i])
            i += 1
        return sorted(out)


def _offsets(rows: list[str], ascii_rows: bool) -> array:
    """Where each row starts in the rows' UTF-8 joined by line breaks."""
    lengths = map(len, rows) if ascii_rows else (len(row.encode()) for row in rows)
    return array("I", accumulate((n + 1 for n in islice(lengths, len(rows) - 1)), initial=0))


class _Unpacked:
    """The rows of the last few chunks read, decompressed: the rows on screen come from one or two chunks
    (a sparse filter's from a few), and each repaint reads them again."""

    KEPT = 4

    def __init__(self) -> None:
        self._kept: list[tuple[_Chunk, bytes]] = []
        self._lock = threading.Lock()  # the filter thread may read a body too

    def __call__(self, chunk: _Chunk) -> bytes:
        with self._lock:
            for i, (known, text) in enumerate(self._kept):
                if known is chunk:
                    if i:
                        self._kept.insert(0, self._kept.pop(i))
                    return text
            text = zlib.decompress(chunk.packed_rows())
            self._kept.insert(0, (chunk, text))
            del self._kept[self.KEPT :]
            return text


def trace_key(trace_id: str) -> int:
    """A trace id's 4-byte key for the packed index (0 for none); equal ids, equal keys, within a process.

    A key only narrows the rows a trace is looked for in (each is checked against the id itself): two ids of
    one 4,000-row chunk share a key about once in a million chunks, and then cost one more check."""
    if not trace_id:
        return 0
    return (hash(trace_id) & 0xFFFF_FFFF) or 1


class _Rows(Sequence[str]):
    """The kept rows as a read-only sequence, oldest first (``LogBuffer.lines``)."""

    def __init__(self, buffer: LogBuffer) -> None:
        self._buffer = buffer

    def __len__(self) -> int:
        return len(self._buffer)

    def __getitem__(self, i):  # type: ignore[override]
        buffer = self._buffer
        if isinstance(i, slice):
            return [buffer.line(buffer.base + j) for j in range(*i.indices(len(buffer)))]
        if i < 0:
            i += len(buffer)
        if not 0 <= i < len(buffer):
            raise IndexError(i)
        return buffer.line(buffer.base + i)

    def __iter__(self):
        buffer = self._buffer
        for chunk in buffer._packed:
            text = zlib.decompress(chunk.packed_rows())
            yield from (chunk.row(r, text) for r in range(CHUNK))
        yield from list(buffer._open)


class LogBuffer:
    """Append-only (bounded) store of log lines with fast filtering.

    Indices are absolute line numbers since the buffer was created (``base`` is the first retained
    one), so a filter result stays valid while lines keep arriving.

    Rows of the chunk still filling are kept as strings; a full chunk is packed (:class:`_Chunk`): a row
    costs about twice its UTF-8 length plus ~10 bytes, against ~600 bytes as strings with a str trace id,
    a lowercased copy in a UCS-2 blob and a dict entry per trace id (tui_memory bench).
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        assert capacity % CHUNK == 0
        self.capacity = capacity
        self.base = 0
        self._packed: list[_Chunk] = []
        self._open: list[str] = []
        """Rows of the chunk still filling."""
        self._open_traces: list[str] = []
        self._open_columns = tuple(array(code) for code in COLUMN_TYPES)
        """The level, service and place codes of the chunk still filling (a packed chunk keeps its own)."""
        self._levels_read: tuple[_Chunk | None, bytes] = (None, b"")
        """The packed chunk whose levels were read last, and its levels (the rows on screen read theirs)."""
        self.place_codes: dict[tuple[str, str, str], int] = {}
        self._multi_at = array("q")
        """Absolute indices of the multi-line entries, ascending (8 bytes each: a list's int objects took 36).
        An entry's body is its first line, which
        its row holds at ``_multi_first`` (start, length), then its tail in ``_multi_tail`` (shared)."""
        self._multi_first = array("I")
        self._multi_tail: list[str] = []
        self._interned: dict[str, str] = {}  # raw tail -> cleaned tail, one per distinct tail
        self._lowered: dict[str, str] = {}  # cleaned tail -> lowercased, for queries
        self._service_codes: dict[str, int] = {}
        self._unpacked = _Unpacked()
        self._cold = ColdFile(cache=0)  # (no cache: _Unpacked keeps the rows read, a query reads each blob once)
        self._cold_live = 0
        """Bytes of the kept chunks in the cold file (what dropped chunks left there: its size minus this)."""
        self._second, self._clock = -1, ""
        """The whole simulated second of the last line added at or after t=0, and its clock text."""

    def __len__(self) -> int:
        return len(self._packed) * CHUNK + len(self._open)

    @property
    def end(self) -> int:
        """Absolute index after the last line."""
        return self.base + len(self)

    @property
    def lines(self) -> Sequence[str]:
        """Every kept row, oldest first (a view: rows are decoded as they are read)."""
        return _Rows(self)

    def line(self, index: int) -> str:
        chunk, r = divmod(index - self.base, CHUNK)
        if chunk < len(self._packed):
            packed = self._packed[chunk]
            return packed.row(r, self._unpacked(packed))
        return self._open[r]

    def _low_line(self, index: int) -> str:
        chunk, r = divmod(index - self.base, CHUNK)
        if chunk < len(self._packed):
            return self._packed[chunk].low_row(r)
        return self._open[r].lower()

    def level(self, index: int) -> int:
        """The rank (in ``LEVELS``) of line ``index``'s level."""
        chunk, r = divmod(index - self.base, CHUNK)
        if chunk < len(self._packed):
            packed = self._packed[chunk]
            read, levels = self._levels_read
            if read is not packed:
                levels = packed.column(LEVELS_COLUMN)
                self._levels_read = (packed, levels)
            return levels[r]
        return self._open_columns[LEVELS_COLUMN][r]

    def _column(self, which: int, lo: int, hi: int) -> Sequence[int]:
        """Column ``which`` of lines [lo, hi) (kept lines), the codes in line order."""
        # The open columns before the packed chunks: a chunk sealed meanwhile (a filter thread reads while
        # lines arrive) is then read packed, and a seal gives the open chunk new columns (``extend``).
        opening = self._open_columns[which]
        base, packed = self.base, self._packed
        sealed = len(packed)
        first, last = (lo - base) // CHUNK, (hi - 1 - base) // CHUNK
        parts = [packed[k].column(which) if k < sealed else opening.tobytes() for k in range(first, last + 1)]
        column = array(COLUMN_TYPES[which])
        column.frombytes(b"".join(parts))
        start = lo - base - first * CHUNK
        return column[start : start + hi - lo]

    def trace_id(self, index: int) -> str:
        chunk, r = divmod(index - self.base, CHUNK)
        if chunk < len(self._packed):
            packed = self._packed[chunk]
            return packed.trace_id(r, self._unpacked(packed))
        return self._open_traces[r]

    def body(self, index: int) -> str | None:
        """The whole message of a multi-line entry, line breaks kept and cleaned (None for a one-line entry:
        its row says it all)."""
        at = self._multi_at
        i = bisect_left(at, index)
        if i == len(at) or at[i] != index:
            return None
        start, length = self._multi_first[2 * i], self._multi_first[2 * i + 1]
        first, tail = self.line(index)[start : start + length], self._multi_tail[i]
        return f"{first}\n{tail}" if tail else first

    @property
    def distinct_tails(self) -> int:
        """How many distinct tail strings the kept multi-line entries hold (entries share them)."""
        return len({id(tail) for tail in self._multi_tail})

    @property
    def multi_line_count(self) -> int:
        """How many of the kept entries have several lines."""
        return len(self._multi_at)

    def _clock_of(self, t: float) -> str:
        """``format_clock(t)``; a line of the same second as the last takes its text (lines come many to a
        simulated second, and formatting was ~30 % of adding a line)."""
        second = int(t)
        if second == self._second and t >= 0:
            return self._clock
        clock = format_clock(t)
        if t >= 0:
            self._second, self._clock = second, clock
        return clock

    def _multi_row(self, rec: LogRecord) -> str:
        """Keep a multi-line entry's body (its tail shared with every entry of the same tail); its row."""
        message = rec.message
        cut = min(i for i in (message.find("\n"), message.find("\r")) if i >= 0)
        head, raw_tail = message[:cut], message[cut:]
        if head.isprintable() and head.strip():
            # Cleaning never reaches across a line break from a printable first line: the tail cleans alone.
            first = head.rstrip()
            tail = self._interned.get(raw_tail)
            if tail is None:
                if len(self._interned) >= INTERNED:
                    self._interned.clear()
                    self._lowered.clear()
                tail = self._interned[raw_tail] = "\n".join(message_lines(raw_tail))
        else:
            first, *rest = message_lines(message) or [""]
            tail = "\n".join(rest)
            tail = self._interned.setdefault(tail, tail)
        prefix = _prefix(rec, self._clock_of(rec.t))
        self._multi_at.append(self.end)
        self._multi_first.extend((len(prefix), len(first)))
        self._multi_tail.append(tail)
        trace = f" trace={rec.trace_id}" if rec.trace_id else ""
        return f"{prefix}{_row_message(first, tail)}{trace}"

    def extend(self, records: Iterable[LogRecord]) -> int:
        """Append records; returns how many were added."""
        added = 0
        codes = self._service_codes
        rows, traces = self._open, self._open_traces
        levels, services, places = self._open_columns
        for rec in records:
            code = codes.get(rec.service)
            if code is None:
                code = codes[rec.service] = len(codes)
            if "\n" in rec.message or "\r" in rec.message:
                rows.append(self._multi_row(rec))
            else:
                rows.append(render_record(rec, clean(rec.message), self._clock_of(rec.t)))
            levels.append(LEVEL_RANK.get(rec.level, 1))
            services.append(code)
            place = (rec.zone, rec.version, rec.instance)
            where = self.place_codes.get(place)
            if where is None:
                where = self.place_codes[place] = len(self.place_codes)
            places.append(where)
            traces.append(rec.trace_id)
            added += 1
            if len(rows) == CHUNK:
                self._packed.append(_Chunk(rows, traces, [column.tobytes() for column in self._open_columns]))
                rows.clear()
                traces.clear()
                self._open_columns = levels, services, places = tuple(array(code) for code in COLUMN_TYPES)
                if len(self._packed) > HOT:
                    self._cold_live += self._packed[-HOT - 1].chill(self._cold)
                if len(self) >= self.capacity + CHUNK:
                    self._drop_chunk()
        return added

    def _drop_chunk(self) -> None:
        gone = self._packed[0]
        if type(gone.text) is ColdChunk:
            self._cold_live -= len(gone.text) + len(gone.low)
            if self._cold.size > 2 * self._cold_live + COLD_SLACK:
                self._recool()
        del self._packed[0]
        self.base += CHUNK
        gone = bisect_left(self._multi_at, self.base)
        del self._multi_at[:gone], self._multi_tail[:gone], self._multi_first[: 2 * gone]

    def _recool(self) -> None:
        """Copy the kept chunks' blobs to a new cold file (the old one, mostly dropped chunks, goes when no
        reader holds it): the file stays within twice what the buffer keeps."""
        fresh, live = ColdFile(cache=0), 0
        for chunk in self._packed[1:]:
            if type(chunk.text) is ColdChunk:
                live += chunk.chill(fresh)
        self._cold, self._cold_live = fresh, live

    def _trace_matches(self, trace_id: str, lo: int, hi: int) -> list[int]:
        """Lines in [lo, hi) of the trace: found by key in each packed chunk's keys, then checked."""
        key, base, out = trace_key(trace_id), self.base, []
        for k in range((lo - base) // CHUNK, min(len(self._packed), (hi - 1 - base) // CHUNK + 1)):
            chunk, first = self._packed[k], base + k * CHUNK
            out.extend(first + r for r in chunk.rows_with_key(key) if chunk.has_trace(r, trace_id))
        first = base + len(self._packed) * CHUNK
        out.extend(first + r for r, tid in enumerate(self._open_traces) if tid == trace_id)
        return [i for i in out if lo <= i < hi]

    def _window(self, start: int | None, end: int | None) -> tuple[int, int]:
        return max(self.base if start is None else start, self.base), min(self.end if end is None else end, self.end)

    def matches(self, query: LogQuery, start: int | None = None, end: int | None = None) -> Matches:
        """The lines ``filter`` gives, as the log view reads them: a text query's dense chunks are counted
        (C-level) and their rows found when first read, so no list of every match is built."""
        if query.text and not (query.service or query.level or query.where or query.trace_id):
            lo, hi = self._window(start, end)
            if hi <= lo:
                return Matches()
            return self._text_matches(query.text.lower(), lo, hi, None, lazy=True)
        return Matches(self.filter(query, start, end))

    def filter(self, query: LogQuery, start: int | None = None, end: int | None = None) -> list[int]:
        """Absolute indices of lines in [start, end) matching ``query``, oldest first."""
        lo, hi = self._window(start, end)
        if hi <= lo:
            return []
        if query.trace_id:
            candidates: Iterable[int] | None = self._trace_matches(query.trace_id, lo, hi)
        else:
            candidates = None
        if query.text:
            candidates = self._text_matches(query.text.lower(), lo, hi, candidates)
        if query.service:
            code = self._service_codes.get(query.service)
            if code is None:
                return []
            svc = self._column(SERVICES_COLUMN, lo, hi)
            if candidates is None:
                candidates = list(compress(range(lo, hi), map(code.__eq__, svc)))
            else:
                candidates = [i for i in candidates if svc[i - lo] == code]
        if query.where:
            allowed = self.places_where(query.where)
            places = self._column(PLACES_COLUMN, lo, hi)
            if candidates is None:
                candidates = list(compress(range(lo, hi), map(allowed.__contains__, places)))
            else:
                candidates = [i for i in candidates if places[i - lo] in allowed]
        if query.level:
            rank = LEVEL_RANK.get(query.level.upper(), 0)
            levels = self._column(LEVELS_COLUMN, lo, hi)
            if candidates is None:
                candidates = list(compress(range(lo, hi), map(rank.__le__, levels)))
            else:
                candidates = [i for i in candidates if levels[i - lo] >= rank]
        if candidates is None:
            return list(range(lo, hi))
        return candidates if type(candidates) is list else list(candidates)  # (a list is the caller's: no copy)

    def places_where(self, where: str) -> frozenset[int]:
        """Codes of the places matching ``zone=…``, ``version=…`` or ``instance=…`` (none for anything else)."""
        key, _, value = where.partition("=")
        column = {"zone": 0, "version": 1, "instance": 2}.get(key)
        if column is None:
            return frozenset()
        return frozenset(code for place, code in self.place_codes.items() if place[column] == value)

    def where_choices(self) -> list[str]:
        """Every ``zone=…``, ``version=…`` and ``instance=…`` seen in the lines so far, sorted per kind."""
        zones, versions, instances = (sorted({place[i] for place in self.place_codes} - {""}) for i in range(3))
        return [f"zone={z}" for z in zones] + [f"version={v}" for v in versions] + [f"instance={i}" for i in instances]

    def filter_newest_first(self, query: LogQuery, end: int | None = None, step: int = 16 * CHUNK):
        """Yield the matches of ``query`` below ``end`` slice by slice, newest slice first.

        Each item is ``(slice_start, matches)`` (:meth:`matches`, oldest first); the view shows the
        newest matches at once and prepends older ones as the scan goes on.
        """
        hi = self.end if end is None else min(end, self.end)
        while hi > self.base:
            lo = max(self.base, (hi - 1) // step * step if hi % step else hi - step)
            yield lo, self.matches(query, lo, hi)
            hi = lo

    def _text_matches(self, needle: str, lo: int, hi: int, candidates: Iterable[int] | None, lazy: bool = False):
        """Lines whose row, or whose body when it has several lines, contains ``needle`` (lowercase): a list,
        or ``lazy`` a Matches whose dense chunks are counted now and listed when read."""
        in_bodies = self._body_matches(needle, lo, hi)
        if candidates is not None:
            hits = set(in_bodies)
            return [i for i in candidates if i in hits or needle in self._low_line(i)]
        if lazy:
            return Matches(self._row_parts(needle, lo, hi, True, in_bodies))
        in_rows = list(chain.from_iterable(self._row_parts(needle, lo, hi, False)))
        if not in_bodies:
            return in_rows
        return sorted(set(in_rows).union(in_bodies))

    def _body_matches(self, needle: str, lo: int, hi: int) -> list[int]:
        """Multi-line entries in [lo, hi) whose tail contains ``needle``: each distinct tail is tested once.

        Its first line is in its row, which the caller searches; a needle reaching across the line break
        after it has a line break itself, and only then is the whole body tested."""
        at = self._multi_at
        a, b = bisect_left(at, lo), bisect_left(at, hi)
        if a == b:
            return []
        if "\n" in needle:
            return [at[i] for i in range(a, b) if needle in (self.body(at[i]) or "").lower()]
        lowered, verdict = self._lowered, {}
        out: list[int] = []
        for index, tail in zip(at[a:b], self._multi_tail[a:b], strict=True):
            hit = verdict.get(tail)
            if hit is None:
                low = lowered.get(tail)
                if low is None:
                    low = lowered[tail] = tail.lower()
                hit = verdict[tail] = needle in low
            if hit:
                out.append(index)
        return out

    def _row_parts(
        self, needle: str, lo: int, hi: int, lazy: bool, in_bodies: list[int] | None = None
    ) -> list[list[int] | _DenseRows]:
        """Lines in [lo, hi) whose row holds ``needle`` (and the lines ``in_bodies``, ascending, whose body
        does), a part a chunk with any: a list, or (``lazy``) a dense chunk wholly in the window counted
        now, its rows found when read (:class:`_DenseRows`)."""
        in_bodies = in_bodies or []
        if "\n" in needle:
            # A row has no line break: a needle with one would only match across two rows.
            return [in_bodies] if in_bodies else []
        base = self.base
        out: list[list[int] | _DenseRows] = []
        encoded = needle.encode()  # for a UTF-8 chunk: a substring of its bytes exactly when of its text
        counter = re.compile(re.escape(encoded) + rb"[^\n]*()") if lazy else None
        packed = self._packed
        for k in range((lo - base) // CHUNK, (hi - 1 - base) // CHUNK + 1):
            a = max(k * CHUNK, lo - base)
            b = min((k + 1) * CHUNK, hi - base)
            first = k * CHUNK
            extra = in_bodies[bisect_left(in_bodies, a + base) : bisect_left(in_bodies, b + base)]
            if k >= len(packed):  # the chunk still filling is not packed yet
                first = len(packed) * CHUNK
                lowered = [text.lower() for text in self._open[a - first : b - first]]
                found = list(compress(range(a + base, b + base), map(str.__contains__, lowered, repeat(needle))))
            else:
                found = self._packed_part(
                    packed[k], needle, encoded, (first + base, a + base, b + base), counter, extra
                )
                if type(found) is _DenseRows:
                    out.append(found)
                    continue
            if extra:
                found = sorted(set(found).union(extra))
            if found:
                out.append(found)
        return out

    @staticmethod
    def _packed_part(
        chunk: _Chunk,
        needle: str,
        encoded: bytes,
        lines: tuple[int, int, int],
        counter: re.Pattern | None,
        in_bodies: list[int],
    ) -> list[int] | _DenseRows:
        """Lines in [a, b) of the packed ``chunk`` (``lines``: its first line ``at``, a and b) whose row holds
        ``needle``; a dense chunk wholly in the window only counted when ``counter`` is given (with the
        lines ``in_bodies`` whose body holds it)."""
        at, a, b = lines
        blob = chunk.low_blob()
        find = needle if isinstance(blob, str) else encoded
        hits = _count_up_to(blob, find, RARE_HITS + 1)
        if hits == 0:
            return []
        whole = a == at and b == at + CHUNK
        if hits <= RARE_HITS:
            found = _rare_rows(blob, find, chunk.low_starts, at)
        elif counter is not None and whole:
            # One C-level pass counts the rows holding the needle (a match takes the rest of its row; the
            # empty group makes findall's items the one empty bytes, not a copy each).
            blob = blob if isinstance(blob, bytes) else blob.encode()
            return _DenseRows(chunk, at, needle, len(counter.findall(blob)), blob, in_bodies)
        else:
            found = _dense_rows(blob if isinstance(blob, bytes) else blob.encode(), needle, chunk.low_starts, at)
        if not whole:  # part of the chunk: its lines in [a, b)
            found = found[bisect_left(found, a) : bisect_left(found, b)]
        return found


class _DenseRows:
    """A dense chunk's lines holding a needle in their row or body, counted; listed (``_dense_rows``, ~1 ms)
    when first read (a :class:`~tui.widgets.log_matches.Matches` part)."""

    __slots__ = ("bodies", "chunk", "count", "first", "needle", "span")

    def __init__(self, chunk: _Chunk, first: int, needle: str, count: int, blob: bytes, in_bodies: list[int]) -> None:
        """``count`` rows of ``blob`` (the chunk's lowered rows, UTF-8) hold ``needle``; of the lines
        ``in_bodies`` (ascending, whose body holds it) those whose row does not are counted too."""
        self.chunk, self.first, self.needle = chunk, first, needle
        self.span = len(chunk.low_starts)
        """The chunk's lines: every one of them is in [first, first + span)."""
        starts, encoded = chunk.low_starts, needle.encode()
        self.bodies: list[int] = []
        """Lines whose body holds the needle and whose row does not, ascending."""
        for i in in_bodies:
            r = i - first
            end = starts[r + 1] - 1 if r + 1 < len(starts) else len(blob)
            if blob.find(encoded, starts[r], end) < 0:
                self.bodies.append(i)
        self.count = count + len(self.bodies)

    def rows(self) -> list[int]:
        blob = self.chunk.low_blob()
        blob = blob if isinstance(blob, bytes) else blob.encode()
        rows = _dense_rows(blob, self.needle, self.chunk.low_starts, self.first)
        return sorted(rows + self.bodies) if self.bodies else rows


def _rare_rows(blob: str | bytes, needle: str | bytes, starts: array, at: int) -> list[int]:
    """Lines (the chunk's first is ``at``) whose row in the chunk's lowered ``blob`` (row offsets ``starts``)
    holds ``needle``: each found by ``find`` and bisection, the search going on from the next row."""
    found: list[int] = []
    pos = blob.find(needle)
    while pos >= 0:
        row = bisect_right(starts, pos) - 1
        found.append(at + row)
        if row + 1 == len(starts):
            break
        pos = blob.find(needle, starts[row + 1])
    return found


def _dense_rows(blob: bytes, needle: str, starts: array, at: int) -> list[int]:
    """Lines (the chunk's first is ``at``) whose row in the chunk's lowered ``blob`` (UTF-8, row offsets
    ``starts``) holds ``needle`` (no line break), ascending, in C-level passes: where each row's first match
    starts (a regex of the needle, escaped: it is the trainee's text, then the rest of its row), the line
    breaks between one and the next, their running sum.

    The needle has no line break, so a match lies in one row; a match takes the rest of its row, so the
    next is in a later row. When most rows hold the needle (the first SAMPLE_ROWS tell), testing each row
    costs less than a match a row."""
    # On bytes even for an ASCII chunk kept as str: the regex and the counts on the str took ~1.5x as long
    # (' 200 ' over 1M lines: 331 against 218 ms CPU), and so did deciding on the str to spare the conversion.
    finder = re.compile(re.escape(needle.encode()) + rb"[^\n]*")
    if len(starts) > SAMPLE_ROWS and len(finder.findall(blob, 0, starts[SAMPLE_ROWS])) > SAMPLE_ROWS * ROW_BY_ROW:
        return _row_by_row(blob, needle, at)
    found_at = list(map(re.Match.start, finder.finditer(blob)))
    lines = list(accumulate(map(blob.count, repeat(b"\n"), chain((0,), found_at), found_at), initial=at))
    del lines[0]  # (``at`` itself: each match's line is ``at`` plus the line breaks before it)
    return lines


def _row_by_row(blob: str | bytes, needle: str, at: int) -> list[int]:
    """Lines (from ``at``) whose row in ``blob`` (lowered rows) holds ``needle``, each row tested: one
    C-level pass of ``str.__contains__`` (on bytes each test acquires a buffer, 1.3x as long)."""
    rows = (blob if isinstance(blob, str) else blob.decode()).split("\n")
    return list(compress(range(at, at + len(rows)), map(str.__contains__, rows, repeat(needle))))


def _count_up_to(text: str | bytes, needle: str | bytes, limit: int) -> int:
    """Occurrences of ``needle`` in ``text``, counting no further than ``limit`` (a dense chunk stops early)."""
    found = 0
    pos = text.find(needle)
    while pos >= 0 and found < limit:
        found += 1
        pos = text.find(needle, pos + 1)
    return found
