"""The log store as it was before sealed blocks were packed (main at 904c1ba, simulator/telemetry/logs.py, its
store alone): the reference the packed store is compared with (tests/simulator/test_log_packed.py). Every
line it keeps is a row of its columns; only the messages and attributes are packed per block."""

# ruff: noqa
from __future__ import annotations

import marshal
import random
import zlib
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass


from simulator.views import LogRecord

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}

# Error lines per second per service at most: beyond that the pipeline samples.
_ERROR_LINES_CAP = 1.0
# Share of requests that get an access-log line, and the cap per service.
_ACCESS_SAMPLE = 0.004
_ACCESS_CAP = 0.3

_RUNTIME_GC = "GC pause (G1 Young Generation) {ms}ms"
"""Background chatter a JVM or Go service writes as its own GC line (see LogGenerator._gc_line)."""
_BACKGROUND = {
    "service": [
        ("INFO", _RUNTIME_GC),
        ("INFO", "refreshed service discovery: {n} endpoints"),
        ("WARN", "slow request: {ms}ms exceeded 500ms budget"),
        ("INFO", "metrics flushed to collector"),
        ("WARN", "retrying request to token service (attempt 2)"),
    ],
    "edge": [
        ("INFO", "config reloaded: 0 changes"),
        ("WARN", "client sent invalid Host header; rejected"),
        ("INFO", "TLS session cache hit ratio {pct}%"),
    ],
    "database": [
        ("INFO", "checkpoint complete: wrote {n} buffers"),
        ("WARN", "duration: {ms} ms  statement: SELECT * FROM orders WHERE customer_id = $1"),
        ("INFO", 'automatic vacuum of table "orders": index scans: 1'),
    ],
    "cache": [
        ("INFO", "evicted {n} keys (maxmemory-policy allkeys-lru)"),
        ("INFO", "background saving terminated with success"),
    ],
    "queue": [
        ("INFO", "consumer group rebalanced: {n} partitions"),
        ("WARN", "consumer lag {n} messages on partition 3"),
    ],
}


def trace_id(rng: random.Random) -> str:
    """A W3C trace id: 32 hex digits."""
    return f"{rng.getrandbits(128):032x}"


def span_id(rng: random.Random) -> str:
    """A W3C span id: 16 hex digits."""
    return f"{rng.getrandbits(64):016x}"


_ATTR_KEYS = ("http.route", "http.response.status_code", "error.type", "duration_ms", "probe", "client")
_USER_AGENTS = ("web-chrome", "web-safari", "web-firefox", "ios-7.3.2", "android-7.3.1")


_ATTR_SET = frozenset(_ATTR_KEYS)
_MASK64 = (1 << 64) - 1
_SHARED_MAX = 50_000


def _pack(attributes: dict | None) -> tuple | dict | None:
    """Attributes as a small tuple when they use only the common keys (a dict per line costs ~4x)."""
    if not attributes:
        return None
    if attributes.keys() <= _ATTR_SET:
        get = attributes.get
        return (get("http.route"), get("http.response.status_code"), get("error.type"), get("duration_ms"),
                get("probe"), get("client"))  # fmt: skip
    return dict(attributes)


def _unpack(packed: tuple | dict | None) -> dict:
    if packed is None:
        return {}
    if isinstance(packed, dict):
        return dict(packed)
    return {k: v for k, v in zip(_ATTR_KEYS, packed, strict=True) if v is not None}


_SPLIT_FROM = 400
"""Messages longer than this (stack traces) are kept as (first line, the rest): a JVM service's timed-out
calls each name another request id in the first line above the same 1.3 KB of frames (23,000 of them in
an 8-hour session read along cost 30 MB as whole strings)."""
_HEAD_MAX = 1024
"""A first line is looked for this far (a longer one: the message is kept whole)."""


def _text(message: str | tuple[str, str]) -> str:
    """A stored message as written (:meth:`LogStore.add` keeps a stack trace in two parts)."""
    return message if type(message) is str else message[0] + "\n" + message[1]


_BLOCK = 1024
"""Lines whose messages are compressed together once they are all written (:class:`_Block`)."""


@dataclass(frozen=True, slots=True)
class _Block:
    """The messages of up to ``_BLOCK`` consecutive lines, compressed: each of those lines' message slot holds
    this one object. Most lines' text is unique (an nginx access line names its client, path and timings:
    ~270 bytes a line, ~10 MB in an 8-hour session read along); zlib at level 6 keeps about a thirtieth
    of the text (level 1: twice as much) for 2 ms a block. Immutable: a session's snapshots and restored
    copies share it."""

    first: int
    """The line number (lines ever kept, counting those cut off: ``LogStore.dropped``) of its first line."""
    packed: bytes
    """zlib of: how many messages (4 bytes), each one's length in bytes (``array('I')``), their UTF-8."""

    def texts(self) -> list[str]:
        """The messages, in line order (unpacked a piece at a time, see :data:`_PIECE`)."""
        stream = zlib.decompressobj()
        left, buffered, at = self.packed, b"", 0

        def take(size: int) -> bytes:
            nonlocal left, buffered, at
            while len(buffered) - at < size:
                piece = stream.decompress(left, _PIECE) if left else stream.flush()
                left = stream.unconsumed_tail
                if not piece:
                    raise ValueError("a log message block ends early")
                buffered, at = buffered[at:] + piece, 0
            at += size
            return buffered[at - size : at]

        count = int.from_bytes(take(4), "little")
        lengths = array("I")
        lengths.frombytes(take(4 * count))
        return [take(length).decode("utf-8", "surrogatepass") for length in lengths]

    @staticmethod
    def of(first: int, texts: list[str]) -> _Block:
        """A block of ``texts`` (the messages of the lines from ``first`` on)."""
        data = [text.encode("utf-8", "surrogatepass") for text in texts]
        stream = zlib.compressobj(6)
        # The lengths are packed too: a block of repeated lines compresses to little more than them.
        packed = [stream.compress(len(data).to_bytes(4, "little")), stream.compress(array("I", map(len, data)))]
        packed += [stream.compress(chunk) for chunk in data]
        packed.append(stream.flush())
        return _Block(first, b"".join(packed))


@dataclass(frozen=True, slots=True)
class _AttrBlock:
    """The attributes of the same lines as a :class:`_Block`, compressed: most lines' attributes are their own
    (an access line's duration, an error line's type and route), ~100 bytes a line as tuples. Immutable:
    shared by a session's snapshots and restored copies like a message block."""

    first: int
    """The line number of its first line (as :attr:`_Block.first`)."""
    packed: bytes
    """zlib of the lines' packed attributes (:func:`_pack`) as one ``marshal`` list, format version 0: no
    references between equal objects and no interning, so equal attributes pack to equal bytes however
    they are shared (a restored copy shares differently), and a float is written to round-trip exactly."""

    def values(self) -> list[tuple | dict | None]:
        """The lines' packed attributes, in line order."""
        return marshal.loads(zlib.decompress(self.packed))

    @staticmethod
    def of(first: int, values: list[tuple | dict | None]) -> _AttrBlock | None:
        """A block of ``values`` (None when one holds what marshal cannot write: those stay as they are)."""
        try:
            data = marshal.dumps(values, 0)
        except ValueError:
            return None
        return _AttrBlock(first, zlib.compress(data, 1))


_PIECE = 32_768
"""Bytes unpacked at a time. A block's text is up to ~550 KB: one buffer that size, made and freed at every
block, moved glibc's mmap threshold up and the session's heap fragmented (+4 MB RSS in 8 hours)."""


def _hex_id(value: str | int) -> int:
    """Trace and span ids are kept as integers (a 32-digit string costs twice as much)."""
    if isinstance(value, int):
        return value
    return int(value, 16) if value else 0


class LogStore:
    """Bounded store of log lines, oldest dropped first: the newest ``capacity`` are retained.

    Lines are kept by column (time, a shared index for level/service/version/zone/instance,
    the trace id's two halves, the span id, the message and the packed attributes): about 55 bytes a
    line plus what it does not share with other lines (its message when no other line has the same). A
    tuple per line cost about 240 (an 8-hour session read along kept ~30 MB of them).

    The columns are only appended to (not a ring): once they hold ``capacity`` lines and a quarter more, the
    lines no longer retained are cut off the front in one go (:meth:`_compact`). So a session's snapshot
    keeps no copy of them: what they held when it was taken is still there, as their prefix, until the next
    cut (simulator/session/snapshots.py). A ring overwrote its oldest slot with every line, so once full
    every snapshot had to copy all columns (10 MB each, 150,000 lines).
    """

    def __init__(self, capacity: int = 150_000) -> None:
        self.capacity = capacity
        self.cut_at = capacity + capacity // 4
        """How many lines the columns hold at most: reaching it cuts them back to ``capacity``."""
        self.total = 0
        self.gate: Callable[[float], bool] | None = None
        """True for a time the log pipeline was down (observability that shares fate): lines of that time are
        lost. A function of the line's time, not of now: lines may be written after their tick (on demand)."""
        self.lost = 0
        """Lines lost while the pipeline was down."""
        self._t = array("d")
        self._where = array("I")
        self._trace_hi = array("Q")
        self._trace_lo = array("Q")
        self._span = array("Q")
        self._message: list[str | tuple[str, str] | _Block] = []
        """Messages, a long multi-line one as (first line, the rest) (see :func:`_text`); every ``_BLOCK``
        lines, those lines' messages become one compressed :class:`_Block` (see :meth:`_message_at`)."""
        self._unpacked: tuple[_Block, list[str]] | None = None
        """The block last unpacked and its messages, during one read (a cache, no state: not copied)."""
        self._attrs: list[tuple | dict | _AttrBlock | None] = []
        """Packed attributes (:func:`_pack`); with the messages, a whole block's become one :class:`_AttrBlock`."""
        self._unpacked_attrs: tuple[_AttrBlock, list] | None = None
        """The attribute block last unpacked and its values, during one read (a cache, as ``_unpacked``)."""
        self._size = 0
        """Lines retained (at most ``capacity``): the columns' last ``_size``."""
        self.dropped = 0
        """Lines cut off the columns' front so far (:meth:`_compact`)."""
        self._wheres: list[tuple[str, str, str, str, str]] = []
        self._where_index: dict[tuple[str, str, str, str, str], int] = {}
        self._shared: dict = {}
        """Messages and packed attributes by value: a line shares them with an earlier one that had the same
        (error lines repeat; ~17,000 distinct in an 8-hour session's 110,000 lines)."""
        self._odd_t: dict[int, object] = {}
        """Times that are not floats, by slot (a slot: a line's index in the columns)."""
        self._big: dict[int, tuple[int, int]] = {}
        """Ids too long for the columns, by slot (never from the generators; kept rather than cut)."""

    def __len__(self) -> int:
        return self._size

    def __getstate__(self) -> dict:
        """The store as copied (a session's snapshot): without the sharing cache, which is no state (lines
        hold their own messages; a copy shares anew from its next line on). 27,000 entries in an 8-hour
        session: 1.3 MB in every snapshot kept."""
        state = self.__dict__.copy()
        state["_shared"] = {}
        state["_unpacked"] = None
        state["_unpacked_attrs"] = None
        return state

    def add(
        self,
        t: float,
        level: str,
        service: str,
        version: str,
        zone: str,
        instance: str,
        message: str,
        trace: str | int = "",
        span: str | int = "",
        attributes: dict | None = None,
    ) -> None:
        """Append one line (lost while the log pipeline is down)."""
        if self.gate is not None and self.gate(t):
            self.lost += 1
            return
        where = (level, service, version, zone, instance)
        code = self._where_index.get(where)
        if code is None:
            code = self._where_index[where] = len(self._wheres)
            self._wheres.append(where)
        shared = self._shared
        if len(shared) > _SHARED_MAX:
            shared.clear()  # bounded: lines keep what they share, later ones share anew
        stored: str | tuple[str, str]
        cut = message.find("\n", 0, _HEAD_MAX) if len(message) > _SPLIT_FROM else -1
        if cut > 0:
            # A stack trace: its first line (often unique: an id, a timeout) apart from its frames (shared
            # by every trace of the same exception and handler), joined again when read.
            rest = message[cut + 1 :]
            stored = (message[:cut], shared.setdefault(rest, rest))
            stored = shared.setdefault(stored, stored)
        else:
            stored = shared.setdefault(message, message)
        packed = _pack(attributes)
        if type(packed) is tuple:
            packed = shared.setdefault(packed, packed)
        trace_id, span_id = _hex_id(trace), _hex_id(span)
        big = trace_id >> 128 or span_id >> 64
        hi, lo, sp = (0, 0, 0) if big else (trace_id >> 64, trace_id & _MASK64, span_id)
        slot = len(self._t)
        self._t.append(t)
        self._where.append(code)
        self._trace_hi.append(hi)
        self._trace_lo.append(lo)
        self._span.append(sp)
        self._message.append(stored)
        self._attrs.append(packed)
        if self._size < self.capacity:
            self._size += 1
        if big:
            self._big[slot] = (trace_id, span_id)
        if type(t) is not float:
            self._odd_t[slot] = t  # an integer time (SimPy's clock before any float delay): kept as given
        self.total += 1
        if (self.dropped + slot + 1) % _BLOCK == 0:
            self._pack_block(max(0, slot + 1 - _BLOCK), slot + 1)
        if slot + 1 >= self.cut_at:
            self._compact()

    def _pack_block(self, start: int, stop: int) -> None:
        """Compress the messages of slots ``start``..``stop`` into one block (some may be in a block already:
        a restored copy's lines are those its snapshot read from the live columns), and the attributes of
        the ``_BLOCK`` slots before ``start`` into one :class:`_AttrBlock`."""
        block = _Block.of(self.dropped + start, [self._message_at(slot) for slot in range(start, stop)])
        shared = self._shared
        for message in self._message[start:stop]:
            # The sharing cache lets the packed messages and attributes go (a later equal one is shared anew).
            if type(message) is tuple:
                shared.pop(message[1], None)
            if type(message) is not _Block:
                shared.pop(message, None)
        self._message[start:stop] = [block] * (stop - start)
        # The attributes of the block before: a live tail reads the newest lines, so it seldom unpacks these.
        stop, start = start, max(0, start - _BLOCK)
        if stop > start and type(self._attrs[stop - 1]) is not _AttrBlock:  # (packed in order: the last says)
            attrs = _AttrBlock.of(self.dropped + start, [self._attrs_at(slot) for slot in range(start, stop)])
            if attrs is not None:
                for packed in self._attrs[start:stop]:
                    if type(packed) is tuple:
                        shared.pop(packed, None)
                self._attrs[start:stop] = [attrs] * (stop - start)
                self._unpacked_attrs = None

    def _attrs_at(self, slot: int) -> tuple | dict | None:
        """The packed attributes of the line in ``slot``."""
        attrs = self._attrs[slot]
        if type(attrs) is not _AttrBlock:
            return attrs
        unpacked = self._unpacked_attrs
        if unpacked is None or unpacked[0] is not attrs:
            unpacked = self._unpacked_attrs = (attrs, attrs.values())
        return unpacked[1][self.dropped + slot - attrs.first]

    def _message_at(self, slot: int) -> str:
        """The message of the line in ``slot`` as written."""
        message = self._message[slot]
        if type(message) is not _Block:
            return _text(message)
        return self._texts(message)[self.dropped + slot - message.first]

    def _texts(self, block: _Block) -> list[str]:
        unpacked = self._unpacked
        if unpacked is None or unpacked[0] is not block:
            unpacked = self._unpacked = (block, block.texts())
        return unpacked[1]

    def _compact(self) -> None:
        """Cut the lines no longer retained off the columns' front, in place (a snapshot reading the columns'
        prefix sees ``dropped`` change and refuses to restore)."""
        cut = len(self._t) - self._size
        if cut <= 0:
            return
        for name in ("_t", "_where", "_trace_hi", "_trace_lo", "_span", "_message", "_attrs"):
            del getattr(self, name)[:cut]
        self.dropped += cut
        self._big = {slot - cut: ids for slot, ids in self._big.items() if slot >= cut}
        self._odd_t = {slot - cut: t for slot, t in self._odd_t.items() if slot >= cut}

    def _slot(self, i: int) -> int:
        """Slot of the ``i``-th retained line (0: the oldest)."""
        return len(self._t) - self._size + i

    def _ids(self, slot: int) -> tuple[int, int]:
        big = self._big.get(slot) if self._big else None
        if big is not None:
            return big
        return (self._trace_hi[slot] << 64) | self._trace_lo[slot], self._span[slot]

    def _line(self, slot: int) -> tuple:
        """The line in ``slot`` as (t, level, service, version, zone, instance, message, trace, span, attributes)."""
        trace, span = self._ids(slot)
        t = self._odd_t.get(slot, self._t[slot]) if self._odd_t else self._t[slot]
        return (t, *self._wheres[self._where[slot]], self._message_at(slot), trace, span, self._attrs_at(slot))

    def query(
        self,
        service: str | None = None,
        level: str | None = None,
        text: str | None = None,
        trace_id: str | None = None,
        instance: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[LogRecord]:
        """Lines matching every given filter, oldest first; ``limit`` keeps the newest ones.

        ``level`` is a minimum (WARN gives WARN, ERROR and FATAL); ``text`` is a case-insensitive
        substring of the message.
        """
        min_rank = _LEVEL_RANK.get(level.upper(), 0) if level else 0
        needle = text.lower() if text else None
        if trace_id:
            try:
                wanted_trace = int(trace_id, 16)
            except ValueError:
                return []  # not a hex trace id: nothing can match
        # Which level/service/version/zone/instance codes pass (a handful of them, checked once).
        passes = [
            not (service and w[1] != service)
            and not (min_rank and _LEVEL_RANK[w[0]] < min_rank)
            and not (instance and w[4] != instance)
            for w in self._wheres
        ]
        times, wheres, messages = self._t, self._where, self._message
        out: list[int] = []
        in_block: dict[int, bool] = {}
        """Whether a packed block has the text at all (most blocks lack a rare one: skipped unpacked)."""
        first = len(times) - self._size
        for slot in range(len(times) - 1, first - 1, -1):
            t = times[slot]
            if until is not None and t > until:
                continue
            if since is not None and t < since:
                break
            if not passes[wheres[slot]]:
                continue
            if trace_id and self._ids(slot)[0] != wanted_trace:
                continue
            if needle:
                message = messages[slot]
                if type(message) is _Block:
                    found = in_block.get(id(message))
                    if found is None:
                        texts = self._texts(message)
                        found = in_block[id(message)] = any(needle in text.lower() for text in texts)
                    if not found or needle not in self._message_at(slot).lower():
                        continue
                elif needle not in _text(message).lower():
                    continue
            out.append(slot)
            if limit is not None and len(out) >= limit:
                break
        out.reverse()
        records = [_record(self._line(slot)) for slot in out]
        self._unpacked = self._unpacked_attrs = None  # the caches serve one read: between reads they would keep a block
        return records

    def since_index(self, index: int, limit: int | None = None) -> tuple[list[LogRecord], int]:
        """Lines appended after the ``index``-th line ever written, and the new index (for live tails).

        With ``limit``, at most that many of the oldest such lines, and the index just after them.
        """
        new = self.total - index
        if new <= 0:
            return [], self.total
        size = self._size
        new = min(new, size)
        start = size - new
        stop = size if limit is None else min(size, start + limit)
        records = [_record(self._line(self._slot(i))) for i in range(start, stop)]
        self._unpacked = self._unpacked_attrs = None  # (see query)
        return records, self.total - (size - stop)


def _record(line: tuple) -> LogRecord:
    t, level, service, version, zone, instance, message, trace, span, attrs = line
    return LogRecord(
        t,
        level,
        service,
        version,
        zone,
        instance,
        message,
        f"{trace:032x}" if trace else "",
        f"{span:016x}" if span else "",
        _unpack(attrs),
    )
