"""The log view's own store: up to a million rendered lines, filtered fast; imports nothing from Textual.

Lines are kept as rendered text with parallel compact columns (level rank, service code) and an index
of trace ids. A lowercased blob per full chunk lets a text query skip chunks that cannot match, so a
rare needle over 1,000,000 lines costs a few tens of milliseconds.

A multi-line entry (a JVM stack trace) stays one row: the row shows its first line and how many follow;
its whole body, line breaks kept, is kept beside it (``body``) for the detail view, and a text query
matches any of its lines. Bodies are interned: a service's traces repeat (the same exception from the same
handler), so 40,000 traces of a dozen kinds cost a dozen bodies, and a query tests each distinct body once.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate, compress, repeat

from scenarios.durations import format_clock
from scenarios.text import clean
from simulator.views import LogRecord

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
CHUNK = 4000
"""Lines per search chunk."""
RARE_HITS = 64
"""Up to this many hits in a chunk, matches are located in its blob; beyond, its lines are scanned."""
CAPACITY = 1_000_000
"""Lines the view keeps at least; the oldest chunk is dropped once a whole chunk more has arrived."""
CONTINUED = " ⏎ "
"""After the first line of a multi-line entry in its row, before how many lines follow (``⏎ +14 lines``)."""
INTERNED = 20_000
"""Distinct bodies remembered for sharing; past that the memory starts afresh (kept bodies stay)."""


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


def render_record(rec: LogRecord, message: str | None = None, clock: str | None = None) -> str:
    """One display row: clock, level, service, instance, message (of a multi-line one its first line and
    ``⏎ +N lines``; ``message`` when the caller has it already), trace id. ``clock``: ``format_clock(rec.t)``
    when the caller has it already."""
    trace = f" trace={rec.trace_id}" if rec.trace_id else ""
    if message is None:
        message = summary_of(rec.message)[0] if "\n" in rec.message or "\r" in rec.message else clean(rec.message)
    if clock is None:
        clock = format_clock(rec.t)
    return f"{clock} {rec.level:<5} {rec.service:<10} {rec.instance} {message}{trace}"


class LogBuffer:
    """Append-only (bounded) store of log lines with fast filtering.

    Indices are absolute line numbers since the buffer was created (``base`` is the first retained
    one), so a filter result stays valid while lines keep arriving.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        assert capacity % CHUNK == 0
        self.capacity = capacity
        self.base = 0
        self.lines: list[str] = []
        self.levels = bytearray()
        self.services = array("H")
        self.places = array("I")
        """Per line, the code of its (zone, version, instance) in ``place_codes``."""
        self.place_codes: dict[tuple[str, str, str], int] = {}
        self.trace_ids: list[str] = []
        self._multi_at: list[int] = []
        """Absolute indices of the multi-line entries, ascending; their bodies in ``_multi_body``."""
        self._multi_body: list[str] = []
        self._interned: dict[str, tuple[str, str]] = {}  # message -> (row text, cleaned body), one per message
        self._lowered: dict[str, str] = {}  # body -> lowercased, for queries
        self._service_codes: dict[str, int] = {}
        self._by_trace: dict[str, list[int]] = {}
        self._blobs: list[str] = []  # lowercased text of each full chunk
        self._starts: list[array] = []  # offset of each line in its chunk's blob

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def end(self) -> int:
        """Absolute index after the last line."""
        return self.base + len(self.lines)

    def line(self, index: int) -> str:
        return self.lines[index - self.base]

    def level(self, index: int) -> int:
        return self.levels[index - self.base]

    def trace_id(self, index: int) -> str:
        return self.trace_ids[index - self.base]

    def body(self, index: int) -> str | None:
        """The whole message of a multi-line entry, line breaks kept and cleaned (None for a one-line entry:
        its row says it all)."""
        at = self._multi_at
        i = bisect_left(at, index)
        return self._multi_body[i] if i < len(at) and at[i] == index else None

    @property
    def multi_line_count(self) -> int:
        """How many of the kept entries have several lines."""
        return len(self._multi_at)

    def _keep_body(self, index: int, message: str) -> str:
        """Keep a multi-line entry's body (shared with every entry of the same message); its row text."""
        known = self._interned.get(message)
        if known is None:
            if len(self._interned) >= INTERNED:
                self._interned.clear()
                self._lowered.clear()
            known = self._interned[message] = summary_of(message)
        self._multi_at.append(index)
        self._multi_body.append(known[1])
        return known[0]

    def extend(self, records: Iterable[LogRecord]) -> int:
        """Append records; returns how many were added.

        Lines come in time order, many in the same second: each second's clock is written once.
        """
        added = 0
        codes = self._service_codes
        place_codes = self.place_codes
        lines, levels, services, places, trace_ids = self.lines, self.levels, self.services, self.places, self.trace_ids
        second, clock = -1, ""
        for rec in records:
            code = codes.get(rec.service)
            if code is None:
                code = codes[rec.service] = len(codes)
            idx = self.base + len(lines)
            t = rec.t
            if t < 0:
                text = format_clock(t)
            else:
                if int(t) != second:
                    second, clock = int(t), format_clock(t)
                text = clock
            message = rec.message
            if "\n" in message or "\r" in message:
                lines.append(render_record(rec, self._keep_body(idx, message), text))
            else:
                lines.append(render_record(rec, clean(message), text))
            levels.append(LEVEL_RANK.get(rec.level, 1))
            services.append(code)
            place = (rec.zone, rec.version, rec.instance)
            where = place_codes.get(place)
            if where is None:
                where = place_codes[place] = len(place_codes)
            places.append(where)
            trace_ids.append(rec.trace_id)
            if rec.trace_id:
                self._by_trace.setdefault(rec.trace_id, []).append(idx)
            added += 1
            if len(lines) % CHUNK == 0:
                start = len(self.lines) - CHUNK
                chunk_lines = [x.lower() for x in self.lines[start:]]  # lowering may change a length
                self._blobs.append("\n".join(chunk_lines))
                self._starts.append(array("I", accumulate((len(x) + 1 for x in chunk_lines[:-1]), initial=0)))
                if len(self.lines) >= self.capacity + CHUNK:
                    self._drop_chunk()
        return added

    def _drop_chunk(self) -> None:
        dropped = self.trace_ids[:CHUNK]
        del self.lines[:CHUNK], self.levels[:CHUNK], self.services[:CHUNK], self.trace_ids[:CHUNK]
        del self.places[:CHUNK]
        del self._blobs[0], self._starts[0]
        self.base += CHUNK
        gone = bisect_left(self._multi_at, self.base)
        del self._multi_at[:gone], self._multi_body[:gone]
        for tid in set(dropped):
            if tid:
                kept = [i for i in self._by_trace.get(tid, ()) if i >= self.base]
                if kept:
                    self._by_trace[tid] = kept
                else:
                    self._by_trace.pop(tid, None)

    def filter(self, query: LogQuery, start: int | None = None, end: int | None = None) -> list[int]:
        """Absolute indices of lines in [start, end) matching ``query``, oldest first."""
        lo = max(self.base if start is None else start, self.base)
        hi = min(self.end if end is None else end, self.end)
        if hi <= lo:
            return []
        base = self.base
        if query.trace_id:
            candidates: Iterable[int] | None = [i for i in self._by_trace.get(query.trace_id, ()) if lo <= i < hi]
        else:
            candidates = None
        if query.text:
            candidates = self._text_matches(query.text.lower(), lo, hi, candidates)
        if query.service:
            code = self._service_codes.get(query.service)
            if code is None:
                return []
            svc = self.services
            if candidates is None:
                candidates = list(compress(range(lo, hi), map(code.__eq__, svc[lo - base : hi - base])))
            else:
                candidates = [i for i in candidates if svc[i - base] == code]
        if query.where:
            allowed = self.places_where(query.where)
            places = self.places
            if candidates is None:
                candidates = list(compress(range(lo, hi), map(allowed.__contains__, places[lo - base : hi - base])))
            else:
                candidates = [i for i in candidates if places[i - base] in allowed]
        if query.level:
            rank = LEVEL_RANK.get(query.level.upper(), 0)
            levels = self.levels
            if candidates is None:
                candidates = list(compress(range(lo, hi), map(rank.__le__, levels[lo - base : hi - base])))
            else:
                candidates = [i for i in candidates if levels[i - base] >= rank]
        if candidates is None:
            return list(range(lo, hi))
        return list(candidates)

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

        Each item is ``(slice_start, indices)`` with the indices oldest first; the view shows the
        newest matches at once and prepends older ones as the scan goes on.
        """
        hi = self.end if end is None else min(end, self.end)
        while hi > self.base:
            lo = max(self.base, (hi - 1) // step * step if hi % step else hi - step)
            yield lo, self.filter(query, lo, hi)
            hi = lo

    def _text_matches(self, needle: str, lo: int, hi: int, candidates: Iterable[int] | None) -> list[int]:
        """Lines whose row, or whose body when it has several lines, contains ``needle`` (lowercase)."""
        in_bodies = self._body_matches(needle, lo, hi)
        if candidates is not None:
            lines, base, hits = self.lines, self.base, set(in_bodies)
            return [i for i in candidates if i in hits or needle in lines[i - base].lower()]
        in_rows = self._row_matches(needle, lo, hi)
        if not in_bodies:
            return in_rows
        return sorted(set(in_rows).union(in_bodies))

    def _body_matches(self, needle: str, lo: int, hi: int) -> list[int]:
        """Multi-line entries in [lo, hi) whose body contains ``needle``: each distinct body is tested once."""
        at = self._multi_at
        a, b = bisect_left(at, lo), bisect_left(at, hi)
        if a == b:
            return []
        lowered, verdict = self._lowered, {}
        out: list[int] = []
        for index, body in zip(at[a:b], self._multi_body[a:b], strict=True):
            hit = verdict.get(body)
            if hit is None:
                low = lowered.get(body)
                if low is None:
                    low = lowered[body] = body.lower()
                hit = verdict[body] = needle in low
            if hit:
                out.append(index)
        return out

    def _row_matches(self, needle: str, lo: int, hi: int) -> list[int]:
        base = self.base
        lines = self.lines
        out: list[int] = []
        first_chunk = (lo - base) // CHUNK
        last_chunk = (hi - 1 - base) // CHUNK
        blobs = self._blobs
        for chunk in range(first_chunk, last_chunk + 1):
            a = max(chunk * CHUNK, lo - base)
            b = min((chunk + 1) * CHUNK, hi - base)
            if chunk >= len(blobs):  # the chunk still filling has no blob yet
                lowered = [text.lower() for text in lines[a:b]]
                out.extend(compress(range(a + base, b + base), map(str.__contains__, lowered, repeat(needle))))
                continue
            blob = blobs[chunk]
            hits = _count_up_to(blob, needle, RARE_HITS + 1)
            if hits == 0:
                continue
            first = chunk * CHUNK
            if hits <= RARE_HITS:
                starts = self._starts[chunk]
                found: list[int] = []
                pos = blob.find(needle)
                while pos >= 0:
                    row = bisect_right(starts, pos) - 1
                    if not found or found[-1] != row:
                        found.append(row)
                    pos = blob.find(needle, starts[row + 1] if row + 1 < len(starts) else len(blob))
                out.extend(first + r + base for r in found if a <= first + r < b)
            else:
                # Dense hits: one C-level pass (str.__contains__ mapped over the chunk's lowered lines).
                lowered = blob.split("\n")[a - first : b - first]
                out.extend(compress(range(a + base, b + base), map(str.__contains__, lowered, repeat(needle))))
        return out


def _count_up_to(text: str, needle: str, limit: int) -> int:
    """Occurrences of ``needle`` in ``text``, counting no further than ``limit`` (a dense chunk stops early)."""
    found = 0
    pos = text.find(needle)
    while pos >= 0 and found < limit:
        found += 1
        pos = text.find(needle, pos + 1)
    return found
