"""Structured logs generated from the same state as the metrics.

Lines are kept by column, then packed a block at a time (:class:`LogStore`), and turned into
:class:`LogRecord` on query. Volume follows the model: access lines are a small sample of requests,
error lines follow each error cause (capped, as real log pipelines rate-limit), events (OOM kills,
back-off, rollouts) are logged when they happen, and every service has its own background chatter.
"""

from __future__ import annotations

import copy
import hashlib
import marshal
import random
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import simulator.telemetry.jvm as jvm
import simulator.telemetry.nginx as nginx
from simulator.telemetry.causes import LB_CAUSES, FailedRequest, error_text, weighted
from simulator.telemetry.cold import ColdChunk, ColdFile, as_bytes
from simulator.telemetry.native import access_message, gc_message, language_of, server_line, too_many_clients
from simulator.views import LogRecord
from simulator.world.state import Instance, ServiceState, World

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
    """The messages of up to ``_BLOCK`` consecutive lines, compressed (a sealed block's, :class:`_Lines`).
    Most lines' text is unique (an nginx access line names its client, path and timings:
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


@dataclass(frozen=True, slots=True, eq=False)
class _Lines:
    """A sealed block: the ``_BLOCK`` consecutive lines from line number ``first`` on, packed once they are all
    written. As columns they cost ~52 bytes a line (time 8, where 4, the ids 24, the message and attribute
    slots 16): ~9 MB in an 8-hour session's 175,000 lines. Packed, the times and where-codes compress to
    ~2 bytes a line, the ids stay 24 bytes (random: they do not compress) and go to the cold file, and the
    message and attribute slots go (one :class:`_Block` and one attribute block for all). Immutable: a
    session's snapshots and restored copies share it (see :meth:`__deepcopy__`)."""

    first: int
    """The line number (lines ever kept, counting those cut off) of its first line: a multiple of ``_BLOCK``."""
    columns: bytes
    """zlib of the times (``array('d')``) then the where-codes (``array('I')``), ``_BLOCK`` of each."""
    ids: bytes | ColdChunk
    """``array('Q')``: the trace ids' high halves, then their low halves, then the span ids, ``_BLOCK`` of each
    (kept as they are: random, they do not compress; copied in one go, a seal stays cheap). In the store's
    cold file (simulator/telemetry/cold.py) from the seal on: 24 KB a block, 4.2 MB of an 8-hour session's
    175,000 lines, read back only when the block is unpacked (a read of its lines)."""
    messages: _Block
    attrs: _AttrBlock | tuple
    """The lines' packed attributes: a tuple until the next block seals, then an :class:`_AttrBlock` (a live
    tail reads the newest lines, so it seldom unpacks these), a tuple still if marshal cannot write them."""

    def __deepcopy__(self, memo: dict) -> _Lines:
        if type(self.attrs) is tuple and any(type(a) is dict for a in self.attrs):
            # A line's attributes outside the common keys are a dict: a copy gets its own.
            return replace(self, attrs=copy.deepcopy(self.attrs, memo))
        return self


class _Unpacked:
    """A sealed block's columns as arrays, during one read (a cache: see ``LogStore._unpacked_lines``)."""

    __slots__ = ("block", "t", "where", "ids")

    def __init__(self, block: _Lines) -> None:
        raw = zlib.decompress(block.columns)
        self.block = block
        self.t = array("d")
        self.t.frombytes(raw[: 8 * _BLOCK])
        self.where = array("I")
        self.where.frombytes(raw[8 * _BLOCK :])
        self.ids = array("Q")
        """The trace ids' high halves, low halves and the span ids, one after the other (see ``_Lines.ids``)."""
        self.ids.frombytes(as_bytes(block.ids))


class LogStore:
    """Bounded store of log lines, oldest dropped first: the newest ``capacity`` are retained.

    The newest lines (fewer than ``_BLOCK``, the *tail*) are kept by column: time, a shared index for
    level/service/version/zone/instance, the trace id's two halves, the span id, the message and the packed
    attributes. Every ``_BLOCK`` lines, the tail is sealed into one packed :class:`_Lines` and a new tail
    begins (new columns: the old ones are never written again, see below). A sealed line costs ~2 bytes in
    memory (its ids are in the cold file) plus its compressed message and attributes; a tuple per line cost
    about 240.

    Sealed blocks are only appended to (not a ring): once ``capacity`` lines and a quarter more are kept,
    the lines no longer retained are cut off in one go (:meth:`_compact`: the blocks that hold none of the
    retained lines go). So a session's snapshot keeps no copy of them: what the blocks and the tail held
    when it was taken is still there, as their prefix, until the next cut (simulator/session/snapshots.py).
    """

    def __init__(self, capacity: int = 150_000) -> None:
        self.capacity = capacity
        self.cut_at = capacity + capacity // 4
        """How many lines are kept at most: reaching it cuts them back to ``capacity``."""
        self.total = 0
        self.gate: Callable[[float], bool] | None = None
        """True for a time the log pipeline was down (observability that shares fate): lines of that time are
        lost. A function of the line's time, not of now: lines may be written after their tick (on demand)."""
        self.lost = 0
        """Lines lost while the pipeline was down."""
        self._blocks: list[_Lines] = []
        """The sealed blocks, oldest first, contiguous: the first holds line ``_blocks[0].first``."""
        self._tail_first = 0
        """The line number of the tail's first line (lines sealed so far: a multiple of ``_BLOCK``)."""
        self._t = array("d")
        self._where = array("I")
        self._trace_hi = array("Q")
        self._trace_lo = array("Q")
        self._span = array("Q")
        self._message: list[str | tuple[str, str]] = []
        """Messages, a long multi-line one as (first line, the rest) (see :func:`_text`)."""
        self._attrs: list[tuple | dict | None] = []
        """Packed attributes (:func:`_pack`)."""
        self._unpacked: tuple[_Block, list[str]] | None = None
        """The block last unpacked and its messages, during one read (a cache, no state: not copied)."""
        self._unpacked_attrs: tuple[_AttrBlock, list] | None = None
        """The attribute block last unpacked and its values, during one read (a cache, as ``_unpacked``)."""
        self._unpacked_lines: _Unpacked | None = None
        """The sealed block last unpacked, during one read (a cache, as ``_unpacked``)."""
        self._size = 0
        """Lines retained (at most ``capacity``): the newest ``_size`` kept."""
        self.dropped = 0
        """Lines cut off so far (:meth:`_compact`): the line numbers below it are gone."""
        self._wheres: list[tuple[str, str, str, str, str]] = []
        self._where_index: dict[tuple[str, str, str, str, str], int] = {}
        self._shared: dict = {}
        """Messages and packed attributes by value: a line shares them with an earlier one that had the same
        (error lines repeat; ~17,000 distinct in an 8-hour session's 110,000 lines)."""
        self._odd_t: dict[int, object] = {}
        """Times that are not floats, by line number."""
        self._big: dict[int, tuple[int, int]] = {}
        """Ids too long for the columns, by line number (never from the generators; kept rather than cut)."""
        self._cold = ColdFile(cache=0)
        """Where the sealed blocks' ids are kept (shared by every copy of the store). No cache of its own: a
        read unpacks a block once (``_unpacked_lines``), and 64 cached blocks would hold 1.5 MB."""

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
        state["_unpacked_lines"] = None
        return state

    def checkpoint_state(self) -> dict:
        """The store's state as a checkpoint captures it (simulator/session/checkpoint.py): its lines by what
        they hold, not how they are kept (a restored copy may hold a block packed where the original still
        has it as columns, or share its strings differently)."""
        state = self.__getstate__()
        for name in ("_blocks", "_tail_first", "_t", "_where", "_trace_hi", "_trace_lo", "_span", "_message",
                     "_attrs", "_odd_t", "_big", "_cold"):  # fmt: skip
            del state[name]
        digest = hashlib.sha256()
        line, kept = self._line, self._tail_first + len(self._t)
        for start in range(self.dropped, kept, _BLOCK):  # (a block's worth at a time: the same bytes hashed)
            text = "".join([f"{line(n)!r}\n" for n in range(start, min(start + _BLOCK, kept))])
            digest.update(text.encode("utf-8", "surrogatepass"))
        self._clear_caches()
        state["lines"] = (self._tail_first + len(self._t) - self.dropped, digest.hexdigest())
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
        n = self._tail_first + len(self._t)
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
            self._big[n] = (trace_id, span_id)
        if type(t) is not float:
            self._odd_t[n] = t  # an integer time (SimPy's clock before any float delay): kept as given
        self.total += 1
        if len(self._t) == _BLOCK:
            self._seal()
        if n + 1 - self.dropped >= self.cut_at:
            self._compact()

    def _seal(self) -> None:
        """Pack the tail into one :class:`_Lines` and start a new tail (new columns: a snapshot may still read
        the old ones), and pack the attributes of the block before."""
        first = self._tail_first
        hi, lo, sp = self._trace_hi, self._trace_lo, self._span
        ids = self._cold.put(hi.tobytes() + lo.tobytes() + sp.tobytes())
        columns = zlib.compress(self._t.tobytes() + self._where.tobytes(), 1)
        messages = _Block.of(first, [_text(m) for m in self._message])
        shared = self._shared
        for message in self._message:
            # The sharing cache lets the packed messages go (a later equal one is shared anew).
            if type(message) is tuple:
                shared.pop(message[1], None)
            shared.pop(message, None)
        blocks = self._blocks
        if blocks and type(blocks[-1].attrs) is tuple:
            before = blocks[-1]
            attrs = _AttrBlock.of(before.first, list(before.attrs))
            if attrs is not None:
                for packed in before.attrs:
                    if type(packed) is tuple:
                        shared.pop(packed, None)
                blocks[-1] = _Lines(before.first, before.columns, before.ids, before.messages, attrs)
        blocks.append(_Lines(first, columns, ids, messages, tuple(self._attrs)))
        self._tail_first = first + _BLOCK
        self._t, self._where = array("d"), array("I")
        self._trace_hi, self._trace_lo, self._span = array("Q"), array("Q"), array("Q")
        self._message, self._attrs = [], []
        self._clear_caches()

    def _clear_caches(self) -> None:
        # The caches serve one read: between reads they would keep a block unpacked.
        self._unpacked = self._unpacked_attrs = self._unpacked_lines = None

    def _sealed(self, n: int) -> _Unpacked:
        """The sealed block holding line ``n``, unpacked."""
        blocks = self._blocks
        block = blocks[(n - blocks[0].first) // _BLOCK]
        unpacked = self._unpacked_lines
        if unpacked is None or unpacked.block is not block:
            unpacked = self._unpacked_lines = _Unpacked(block)
        return unpacked

    def _attrs_of(self, block: _Lines) -> tuple | list:
        attrs = block.attrs
        if type(attrs) is not _AttrBlock:
            return attrs
        unpacked = self._unpacked_attrs
        if unpacked is None or unpacked[0] is not attrs:
            unpacked = self._unpacked_attrs = (attrs, attrs.values())
        return unpacked[1]

    def _texts(self, block: _Block) -> list[str]:
        unpacked = self._unpacked
        if unpacked is None or unpacked[0] is not block:
            unpacked = self._unpacked = (block, block.texts())
        return unpacked[1]

    def _compact(self) -> None:
        """Cut the lines no longer retained: ``dropped`` moves up to the oldest retained line and the sealed
        blocks below it go, in one go (a snapshot reading the blocks' prefix sees ``dropped`` change and
        refuses to restore)."""
        kept = self._tail_first + len(self._t)
        dropped = kept - self._size
        if dropped <= self.dropped:
            return
        self.dropped = dropped
        blocks = self._blocks
        gone = 0
        while gone < len(blocks) and blocks[gone].first + _BLOCK <= dropped:
            gone += 1
        del blocks[:gone]
        self._big = {n: ids for n, ids in self._big.items() if n >= dropped}
        self._odd_t = {n: t for n, t in self._odd_t.items() if n >= dropped}

    def _line(self, n: int) -> tuple:
        """Line ``n`` as (t, level, service, version, zone, instance, message, trace, span, attributes)."""
        s = n - self._tail_first
        if s >= 0:
            t, code, message, attrs = self._t[s], self._where[s], _text(self._message[s]), self._attrs[s]
            trace, span = (self._trace_hi[s] << 64) | self._trace_lo[s], self._span[s]
        else:
            unpacked = self._unpacked_lines
            block = unpacked.block if unpacked is not None else None
            o = n - block.first if block is not None else -1
            if not 0 <= o < _BLOCK:
                unpacked = self._sealed(n)
                block = unpacked.block
                o = n - block.first
            t, code = unpacked.t[o], unpacked.where[o]
            ids = unpacked.ids
            trace, span = (ids[o] << 64) | ids[_BLOCK + o], ids[2 * _BLOCK + o]
            message, attrs = self._texts(block.messages)[o], self._attrs_of(block)[o]
        if self._big:
            trace, span = self._big.get(n, (trace, span))
        if self._odd_t:
            t = self._odd_t.get(n, t)
        return (t, *self._wheres[code], message, trace, span, attrs)

    def _segments(self) -> Iterator[tuple[int, array, array, int, _Unpacked | None]]:
        """The retained lines by where they are kept, newest first: (the first's line number, times,
        where-codes, offset of the oldest retained, the sealed block unpacked or None for the tail)."""
        oldest = self._tail_first + len(self._t) - self._size
        if self._t:
            yield self._tail_first, self._t, self._where, max(oldest - self._tail_first, 0), None
        for block in reversed(self._blocks):
            if block.first + _BLOCK <= oldest:
                break
            unpacked = self._sealed(block.first)
            yield block.first, unpacked.t, unpacked.where, max(oldest - block.first, 0), unpacked

    def _with_trace(self, first: int, unpacked: _Unpacked | None, wanted: int) -> set[int]:
        """The offsets of the lines of a segment (see :meth:`_segments`) whose trace id is ``wanted``."""
        if unpacked is None:
            his, los = self._trace_hi, self._trace_lo
        else:
            his, los = unpacked.ids[:_BLOCK], unpacked.ids[_BLOCK : 2 * _BLOCK]
        want_hi, want_lo = (wanted >> 64, wanted & _MASK64) if wanted >> 128 == 0 else (-1, -1)
        found = {o for o, (hi, lo) in enumerate(zip(his, los, strict=True)) if lo == want_lo and hi == want_hi}
        for n, (trace, _) in self._big.items():  # (their columns hold zeros)
            if 0 <= n - first < len(his):
                found.discard(n - first)
                if trace == wanted:
                    found.add(n - first)
        return found

    def _lowered(self, unpacked: _Unpacked | None, needle: str) -> list[str]:
        """A segment's messages in lower case (see :meth:`_segments`; None: the tail), or none when a sealed
        block has not ``needle`` at all (most blocks lack a rare one)."""
        if unpacked is None:
            return [_text(message).lower() for message in self._message]
        lowered = [text.lower() for text in self._texts(unpacked.block.messages)]
        return lowered if any(needle in text for text in lowered) else []

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
        out: list[int] = []
        done = False
        for first, times, wheres, oldest, unpacked in self._segments():
            lowered = self._lowered(unpacked, needle) if needle else None
            if lowered is not None and not lowered and since is None:
                continue  # no line here has the text, and none can end the scan by its time
            traced = self._with_trace(first, unpacked, wanted_trace) if trace_id else None
            for o in range(len(times) - 1, oldest - 1, -1):
                t = times[o]  # (an integer time as the float the column holds, as before blocks)
                if until is not None and t > until:
                    continue
                if since is not None and t < since:
                    done = True
                    break
                if not passes[wheres[o]]:
                    continue
                if traced is not None and o not in traced:
                    continue
                if lowered is not None and (not lowered or needle not in lowered[o]):
                    continue
                out.append(first + o)
                if limit is not None and len(out) >= limit:
                    done = True
                    break
            if done:
                break
        out.reverse()
        records = [_record(self._line(n)) for n in out]
        self._clear_caches()
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
        oldest = self._tail_first + len(self._t) - size
        records = [_record(self._line(oldest + i)) for i in range(start, stop)]
        self._clear_caches()
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


class LogGenerator:
    """Writes the lines one tick of the model implies."""

    def __init__(self, world: World, store: LogStore, rng: random.Random, entry: str = "") -> None:
        self.world = world
        self.entry = entry
        self.surge_routes: dict[str, str] = {}
        """Route each surge client hammers (set by the simulation)."""
        self.source_routes: dict[str, str] = {}
        """Route each internal source (job, consumer, client, probe) calls (set by the simulation)."""
        self.store = store
        self.rng = rng
        self._debt: dict[str, dict[str, float]] = {}

    def tick(self, t: float, dt: float) -> None:
        """Access samples, error lines by cause, and background chatter for every service."""
        rng = self.rng
        background = dt / 45.0
        for s in self.world.services.values():
            rate = s.rate
            if rate <= 0.0:
                continue
            debt = self._debt.get(s.name)
            if debt is None:
                debt = self._debt[s.name] = {}
            owed = (
                debt.get("", 0.0) + (rate * _ACCESS_SAMPLE if rate * _ACCESS_SAMPLE < _ACCESS_CAP else _ACCESS_CAP) * dt
            )
            while owed >= 1.0:
                owed -= 1.0
                self._access_line(t, s)
            debt[""] = owed
            causes = s.causes
            total = s.errors
            if causes and total > 0:
                # At most _ERROR_LINES_CAP lines a second per service, shared by cause in proportion.
                scale = _ERROR_LINES_CAP / total if total > _ERROR_LINES_CAP else 1.0
                for cause, cause_rate in causes.items():
                    owed = debt.get(cause, 0.0) + cause_rate * scale * dt
                    while owed >= 1.0 - 1e-9:
                        owed -= 1.0
                        # Ids as integers: a line no trace was sampled for needs no hex string.
                        self.error_line(t, s, cause, rng.getrandbits(128), rng.getrandbits(64))
                    debt[cause] = owed
            if rng.random() < background:
                self._background(t, s)
            if s.gc_ratio or (s.max_connections is not None and s.conn_demand > s.max_connections):
                self._runtime_lines(t, dt, s)

    def _pick(self, s: ServiceState, want_fault: bool = False) -> Instance | None:
        """A random live instance in rotation (with a fault effect, if asked)."""
        rotation = s.rotation
        if not rotation:
            return None
        inst = rotation[int(self.rng.random() * len(rotation))]
        if inst.broken_since is None and (inst.fx_err > 0 or not want_fault):
            return inst
        pool = [i for i in rotation if i.broken_since is None and (i.fx_err > 0 or not want_fault)]
        return pool[int(self.rng.random() * len(pool))] if pool else None

    def _access_line(self, t: float, s: ServiceState) -> None:
        inst = self._pick(s)
        if inst is None:
            return
        routes = routes_of(s)
        route = routes[int(self.rng.random() * len(routes))]
        ms = round(s.p50 * (0.5 + self.rng.random()), 1)
        attributes = {"http.route": route, "http.response.status_code": 200, "duration_ms": ms}
        client = self._client_of(s)
        internal = self.world.internal_clients.get(s.name)
        if internal and self.rng.random() * s.rate < sum(internal.values()):
            client = weighted(internal, self.rng)  # a job's, consumer's or probe's request
            route = attributes["http.route"] = self.source_routes.get(client, route)
        elif client is not None:
            # At the entry, the client (user agent) is visible: a surging client shows in the sample.
            surge_route = self.surge_routes.get(client)
            if surge_route:
                route = attributes["http.route"] = surge_route
        if client is not None:
            attributes["client"] = client
        language = language_of(s.spec)
        if language == "nginx":
            message = self._nginx_access(t, s, inst, route, ms, client)
        else:
            message = access_message(language, route, 200, ms, client, inst.pid)
        if message is not None:
            self.emit(t, "INFO", inst, message, attributes=attributes)

    def _nginx_access(
        self, t: float, s: ServiceState, inst: Instance, route: str, ms: float, client: str | None
    ) -> str:
        """An nginx access line for a sampled request, proxied to an instance of the service it calls most."""
        key = int(t * 1000.0) * 7919 + int(ms * 10.0) + inst.pid  # no trace id: its own stable number
        calls = s.spec.calls
        dep = max(calls, key=calls.get) if calls else ""
        members = self.world.services[dep].rotation if dep else ()
        addr = None
        if members:
            target = members[key % len(members)]
            addr = nginx.address_of(target.id, target.zone)
        method, _, path = route.partition(" ")
        request = nginx.NginxRequest(s.name, inst.pid, key, method, path or "/", dep or "backend", addr)
        upstream_s = ms * 0.9 / 1000.0 if dep else None
        return nginx.access_line(request, 200, client or "-", ms / 1000.0, upstream_s, 200 if dep else None)

    def _client_of(self, s: ServiceState) -> str | None:
        """The client of a sampled entry request, drawn by traffic share (None when not the entry)."""
        world = self.world
        if s.name != self.entry:
            return None
        r = self.rng.random() * (world.user_rate + sum(world.surges.values()))
        if r < world.user_rate or not world.surges:
            return self.rng.choice(_USER_AGENTS)
        r -= world.user_rate
        for client, rps in world.surges.items():
            r -= rps
            if r < 0:
                return client
        return client

    def _runtime_lines(self, t: float, dt: float, s: ServiceState) -> None:
        """What the runtime itself logs under strain: collections when the heap is tight (more often
        the more time goes to GC), PostgreSQL refusing connections past max_connections."""
        debt = self._debt[s.name]
        if s.gc_ratio:
            owed = debt.get("gc", 0.0) + dt * (0.05 + 2.0 * s.gc_ratio)
            while owed >= 1.0:
                owed -= 1.0
                inst = self._pick(s)
                if inst is not None:
                    message, strained = self._gc_line(t, s, inst)
                    self.emit(t, "WARN" if strained else "INFO", inst, message)
            debt["gc"] = owed
        if s.max_connections is not None and s.conn_demand > s.max_connections:
            refused = 1.0 - s.max_connections / s.conn_demand
            owed = debt.get("conn", 0.0) + dt * min(refused * 5.0, _ERROR_LINES_CAP)
            while owed >= 1.0:
                owed -= 1.0
                inst = self._pick(s)
                if inst is not None:
                    self.emit(t, "FATAL", inst, too_many_clients(inst.pid))
            debt["conn"] = owed

    def _gc_line(self, t: float, s: ServiceState, inst: Instance) -> tuple[str, bool]:
        """The instance's latest collection as its runtime logs it, from the model's heap and GC share;
        and whether the collector is struggling (full collections)."""
        gc = s.gc_of(inst) if hasattr(s, "gc_of") else s.gc_ratio
        pressure = s.pressure_of(inst) if hasattr(s, "pressure_of") else 1.0
        heap_mb = s.tuning.heap_mb if s.tuning is not None else None
        live = jvm.live_set(s.spec.memory.base, pressure)
        language = language_of(s.spec)
        if language == "java":
            return jvm.gc_line(t - inst.started_at, gc, jvm.heap_of(heap_mb, s.spec.memory.limit), live)
        seq = int(max(t - inst.started_at, 0.0) / 0.7)
        return gc_message(language, gc, heap_mb, live, seq), gc > jvm.FULL_GC_FROM

    def _background(self, t: float, s: ServiceState) -> None:
        inst = self._pick(s)
        if inst is None:
            return
        level, template = self.rng.choice(_BACKGROUND.get(s.spec.kind, _BACKGROUND["service"]))
        message = template.format(
            ms=self.rng.randint(12, 900), n=self.rng.randint(3, 4000), pct=self.rng.randint(80, 99)
        )
        language = language_of(s.spec)
        if template is _RUNTIME_GC and language in ("java", "go"):
            message, strained = self._gc_line(t, s, inst)  # the runtime's own GC line, figures from the model
            level = "WARN" if strained else "INFO"
        elif language == "nginx":
            level, message = nginx.background(template, inst.pid, int(t * 1000.0) + inst.pid, s.name)
        self.emit(t, level, inst, server_line(language, inst.pid, message))

    def error_line(
        self, t: float, s: ServiceState, cause: str, trace: str | int, span: str | int, route: str | None = None
    ) -> None:
        """One line for a failed request of ``cause`` at service ``s`` (also used for sampled traces), in the
        words of the service's runtime (simulator.telemetry.causes)."""
        route = route or routes_of(s)[0]
        inst = self._pick(s, want_fault=(cause == "fault"))
        language = language_of(s.spec)
        if inst is None:
            if cause not in LB_CAUSES:
                return
            language = ""  # no instance left: the load balancer in front answers
        timeout_ms = int(s.tuning.timeout_s * 1000)
        request = FailedRequest(self.world, s, inst, route, _hex_id(trace), timeout_ms, self.rng)
        text = error_text(language, cause, request)
        attributes = {"http.route": route, "http.response.status_code": text.status, "error.type": text.etype}
        if text.component:
            zone = inst.zone if inst else "-"
            self.store.add(t, text.level, s.name, s.version, zone, f"{s.name}-lb", text.message, trace, span,
                           attributes)  # fmt: skip
            return
        self.emit(t, text.level, inst, text.message, trace, span, attributes)

    def emit(
        self,
        t: float,
        level: str,
        inst: Instance,
        message: str,
        trace: str = "",
        span: str = "",
        attributes: dict | None = None,
    ) -> None:
        """Write one line from an instance."""
        self.store.add(t, level, inst.service, inst.version, inst.zone, inst.id, message, trace, span, attributes)

    def emit_many(self, t: float, level: str, insts: Iterable[Instance], message: str) -> None:
        """The same line from several instances."""
        for inst in insts:
            self.emit(t, level, inst, message)

    def emit_component(
        self,
        t: float,
        level: str,
        service: str,
        version: str,
        zone: str,
        component: str,
        message: str,
        attributes: dict | None = None,
    ) -> None:
        """One line from a component that is not an instance (a load balancer, a synthetic probe)."""
        self.store.add(t, level, service, version, zone, component, message, attributes=attributes)


def routes_of(s: ServiceState) -> list[str]:
    """HTTP routes (span and log names) of a service: its declared routes or defaults by kind."""
    if s.spec.routes:
        return s.spec.routes
    key = (s.spec.kind, s.name)
    routes = _DEFAULT_ROUTES.get(key)
    if routes is None:
        if len(_DEFAULT_ROUTES) > 10_000:
            _DEFAULT_ROUTES.clear()
        routes = _DEFAULT_ROUTES[key] = _default_routes(*key)
    return routes


_DEFAULT_ROUTES: dict[tuple[str, str], list[str]] = {}
"""Default routes by (kind, service): made once, so every line and span of a service shares its route strings
(a new string per access line and span cost 1.5 MB in an 8-hour session read along). Read-only lists."""


def _default_routes(kind: str, name: str) -> list[str]:
    if kind == "database":
        return [f"SELECT {name}", f"UPDATE {name}"]
    if kind == "cache":
        return [f"GET {name}"]
    if kind == "queue":
        return [f"publish {name}"]
    return [f"GET /api/{name}", f"POST /api/{name}"]
