"""Bounded time series, kept in chunks: the chunk being written in an ``array('d')``, the others sealed.

All series of a store share one clock: a sample is written for every recorded step, so a series holds
``capacity`` points at most and memory stays flat however long a session runs. The samples are a ring
of ``capacity`` slots cut into chunks of ``chunk`` slots; each series writes into one array, its open
chunk, and when the clock moves into the next chunk the open one is sealed as immutable bytes. A
sealed chunk that holds one value throughout (a ready count, a limit, a series of a service at rest)
is stored once per store and value, so a series that stays put costs next to nothing. The other sealed
chunks stay in memory for ``HOT`` seals, then go to the store's cold file (:mod:`simulator.telemetry.cold`)
and are read back from there, bit for bit. ``HOT`` is 0: a chunk goes cold as it is sealed. What is read
every tick is recent and mostly in the open chunk; an alert's window that reaches into the chunk before
reads it through the cold file's cache of recent blobs, and the SLI reads it once as arrays.
"""

from __future__ import annotations

import math
import struct
from array import array
from dataclasses import dataclass

from simulator.telemetry.cold import ColdChunk, ColdFile, as_bytes

CHUNK = 512
"""Samples per chunk: 4 KB of a series (8.5 simulated minutes of the every-tick store)."""
HOT = 0
"""Sealed chunks (the newest) kept in memory as bytes; older ones are moved to the cold file. 0: none (the
console's 8 h peak is ~1 MB lower than with 2; the engine's speed is the same, bench/engine.py)."""

_read = struct.Struct("d").unpack_from
_NAN = array("d", [math.nan])


@dataclass(frozen=True, slots=True)
class Series:
    """A window of one series: parallel tuples of simulated times and values (NaN = no data)."""

    name: str
    times: tuple[float, ...]
    values: tuple[float, ...]

    def last(self, default: float = math.nan) -> float:
        """The newest value that is not NaN."""
        for v in reversed(self.values):
            if not math.isnan(v):
                return v
        return default


class SeriesStore:
    """Named series sampled every ``interval`` simulated seconds, ``capacity`` samples kept, in chunks.

    The recorder writes every series it created at every step (NaN where a group has no data), so no
    slot is ever stale; a series created later reads NaN before its creation. Slot ``k % capacity``
    holds sample ``k`` as in one ring buffer: it is in chunk ``slot // chunk``, which is the open array
    of :meth:`writer` while it is being written (:attr:`open`) and sealed bytes otherwise.
    """

    def __init__(self, interval: float, capacity: int, chunk: int = CHUNK) -> None:
        self.interval = interval
        self.capacity = capacity
        self.chunk = min(chunk, capacity)
        self.steps = 0  # samples written so far
        self.t0: float | None = None
        self.open = 0
        """The chunk the open arrays hold (being written, or the last written)."""
        self.last = -1
        """Where the newest sample is in the open arrays (-1: none yet)."""
        self._end = self.chunk
        """Slots in the open chunk (the last chunk of the ring may be short)."""
        self.sealed_chunks = 0
        """How many chunks (from the first) have been sealed at least once: they hold samples."""
        self._series: dict[str, array] = {}
        """Each series' open chunk (its writer)."""
        self._sealed: dict[str, list[bytes | ColdChunk]] = {}
        """Each series' sealed chunks, by chunk number (``sealed_chunks`` of them): bytes, or in the cold
        file once ``HOT`` newer chunks are sealed."""
        self._cold = ColdFile()
        """Where sealed chunks older than the ``HOT`` newest are kept (shared by every copy of the store)."""
        self._constant: dict[tuple[bytes, int], bytes] = {}
        """The one copy of a sealed chunk that holds one value throughout, by (that value, chunk length)."""
        self._by_names: dict[tuple[str, ...], tuple[list[array], list[list[bytes]]]] = {}
        """The chunks of a tuple of names :meth:`changes_since` was asked for (the SLI's, every tick)."""
        self._reading: tuple | None = None
        """The sealed chunk :meth:`changes_since` last read, as arrays (a cache, no state: not copied)."""
        self.seals = 0
        """Chunks sealed so far (tells the cache above a chunk was sealed again)."""

    def __getstate__(self) -> dict:
        """The store as copied (a session's snapshot): without the read cache."""
        state = self.__dict__.copy()
        state["_reading"] = None
        return state

    def names(self) -> list[str]:
        """Every series name, sorted."""
        return sorted(self._series)

    def __contains__(self, name: str) -> bool:
        return name in self._series

    def writer(self, name: str) -> array:
        """The open chunk of ``name`` (created on first use, NaN before), for the recorder's hot loop: it
        writes the sample of a step at the index :meth:`begin_step` returned."""
        buf = self._series.get(name)
        if buf is None:
            buf = self._series[name] = _NAN * self.chunk
            nan = _NAN.tobytes()
            self._sealed[name] = [self._once(nan * self._length(j), nan) for j in range(self.sealed_chunks)]
        return buf

    def begin_step(self, t: float) -> int:
        """Start a new sample at time ``t``; returns the index to write at in every :meth:`writer`."""
        if self.t0 is None:
            self.t0 = t
        at = self.last + 1
        if at == self._end:  # the open chunk is full: the ring's next one
            self._seal()
            self._reopen((self.open + 1) % -(-self.capacity // self.chunk))
            at = 0
        self.last = at
        self.steps += 1
        return at

    def _length(self, chunk: int) -> int:
        """Slots in chunk number ``chunk`` (the last one may be short)."""
        return min(self.chunk, self.capacity - chunk * self.chunk)

    def _once(self, raw: bytes, first: bytes) -> bytes:
        """``raw``, or the store's one copy of it when it holds the value ``first`` throughout."""
        if raw != first * (len(raw) // 8):
            return raw
        key = (first, len(raw))
        return self._constant.setdefault(key, raw)

    def _seal(self) -> None:
        """Seal every series' open chunk (the clock moves on to the next)."""
        chunk, n = self.open, self._length(self.open)
        self.seals += 1
        for name, buf in self._series.items():
            raw = (buf if n == len(buf) else buf[:n]).tobytes()
            sealed = self._sealed[name]
            raw = self._once(raw, raw[:8])
            if chunk < len(sealed):
                sealed[chunk] = raw
            else:
                sealed.append(raw)
        self.sealed_chunks = max(self.sealed_chunks, chunk + 1)
        chunks = -(-self.capacity // self.chunk)
        if chunks > HOT + 1 and self.seals > HOT:
            self._chill((chunk - HOT) % chunks)
        if chunk + 1 == chunks:
            self._constant = {}  # a lap is done: the next one's constants again (the table stays small)

    def _chill(self, chunk: int) -> None:
        """Move chunk ``chunk`` of every series to the cold file, unless it is a shared constant one."""
        put = self._cold.put
        for sealed in self._sealed.values():
            raw = sealed[chunk]
            if type(raw) is bytes and raw[:8] * (len(raw) // 8) != raw:  # a constant one stays, shared
                sealed[chunk] = put(raw)

    def _reopen(self, chunk: int) -> None:
        """The open arrays take chunk ``chunk``: what it held a lap ago, or NaN on the first lap."""
        self.open = chunk
        self._end = self._length(chunk)
        if chunk < self.sealed_chunks:
            n = self._end
            for name, buf in self._series.items():
                buf[:n] = array("d", as_bytes(self._sealed[name][chunk]))
        else:
            nan = _NAN * self.chunk
            for buf in self._series.values():
                buf[:] = nan

    def sealed(self, name: str, chunk: int) -> bytes:
        """Sealed chunk number ``chunk`` of ``name`` (its samples as raw doubles)."""
        return as_bytes(self._sealed[name][chunk])

    def time_of(self, step: int) -> float:
        """Simulated time of sample number ``step``."""
        assert self.t0 is not None
        return self.t0 + step * self.interval

    def _span(self, name: str, lo: int, hi: int) -> array:
        """Samples ``lo`` to ``hi`` (both retained) of ``name``, in order."""
        buf, sealed, cap, size = self._series[name], self._sealed[name], self.capacity, self.chunk
        chunk, at = divmod(lo % cap, size)
        if chunk == self.open and hi - lo <= self.last - at:  # all in the open chunk (an alert's window)
            return buf[at : at + hi - lo + 1]
        out = array("d")
        step = lo
        while step <= hi:
            chunk, at = divmod(step % cap, size)
            end = min(self._length(chunk), at + hi - step + 1)
            if chunk == self.open:
                out += buf[at:end]
            else:
                out.frombytes(memoryview(as_bytes(sealed[chunk]))[at * 8 : end * 8])
            step += end - at
        return out

    def window(self, name: str, start: float | None = None, end: float | None = None) -> Series:
        """Samples of ``name`` with start <= time <= end (all retained ones by default)."""
        if name not in self._series or self.t0 is None:
            return Series(name, (), ())
        first = max(0, self.steps - self.capacity)
        lo, hi = first, self.steps - 1
        if start is not None:
            lo = max(lo, math.ceil((start - self.t0) / self.interval - 1e-9))
        if end is not None:
            hi = min(hi, math.floor((end - self.t0) / self.interval + 1e-9))
        if hi < lo:
            return Series(name, (), ())
        times = tuple(self.t0 + k * self.interval for k in range(lo, hi + 1))
        return Series(name, times, tuple(self._span(name, lo, hi)))

    def samples(self, name: str, first: int, last: int) -> list[float]:
        """Samples number ``first`` to ``last`` (both included, those retained) of ``name``, without their
        times: what :meth:`window` gives as values for the same steps, at a fraction of its cost (a
        game-day seat's snapshot reads ~10^5 of them per join)."""
        if name not in self._series or self.t0 is None:
            return []
        lo, hi = max(first, 0, self.steps - self.capacity), min(last, self.steps - 1)
        if hi < lo:
            return []
        return self._span(name, lo, hi).tolist()

    def values(self, name: str, start: float, end: float) -> list[float]:
        """Values (NaN dropped) of ``name`` with start <= time <= end, without building times."""
        chunk = self._chunk(name, start, end)
        if chunk is None:
            return []
        total = sum(chunk)
        if total == total:  # no NaN in the window (a NaN makes the sum NaN): every value, at C speed
            return chunk.tolist()
        return [v for v in chunk if v == v]  # v == v is False only for NaN

    def summary(self, name: str, start: float, end: float) -> tuple[int, float, float, float]:
        """(how many, sum, first, last) of :meth:`values` without the list when no value is NaN: what an
        alert rule reads of its window every evaluation. The sum is ``sum(values)``'s, bit for bit (the
        same additions in the same order)."""
        chunk = self._chunk(name, start, end)
        if chunk is None:
            return 0, 0.0, math.nan, math.nan
        total = sum(chunk)
        if total == total:
            return len(chunk), total, chunk[0], chunk[-1]
        values = [v for v in chunk if v == v]
        if not values:
            return 0, 0.0, math.nan, math.nan
        return len(values), sum(values), values[0], values[-1]

    def _chunk(self, name: str, start: float, end: float) -> array | None:
        """The samples of ``name`` with start <= time <= end, in order (None: no sample)."""
        if name not in self._series or self.t0 is None:
            return None
        lo = max(max(0, self.steps - self.capacity), math.ceil((start - self.t0) / self.interval - 1e-9))
        hi = min(self.steps - 1, math.floor((end - self.t0) / self.interval + 1e-9))
        if hi < lo:
            return None
        return self._span(name, lo, hi)

    def latest(self, name: str) -> float:
        """Newest sample of ``name`` (NaN when absent)."""
        buf = self._series.get(name)
        if buf is None or self.steps == 0:
            return math.nan
        return buf[self.last]  # the newest sample is in the open chunk

    def changes_since(self, names: tuple[str, ...], t: float) -> list[float] | None:
        """For each of ``names``, its newest sample minus its sample at or just before ``t``; None when
        the sample at ``t`` is not retained (or missing). One index computation for all of them: the SLI
        reads four counters this way every tick."""
        if self.t0 is None or self.steps == 0:
            return None
        k = math.floor((t - self.t0) / self.interval + 1e-9)
        if k < max(0, self.steps - self.capacity) or k >= self.steps or k < 0:
            return None
        found = self._by_names.get(names)
        if found is None:
            if any(name not in self._series for name in names):
                return None
            # Series are never removed: the open arrays and the lists of sealed chunks stay theirs.
            found = self._by_names[names] = (
                [self._series[name] for name in names],
                [self._sealed[name] for name in names],
            )
        buffers, last = found[0], self.last  # the newest sample is in the open chunk
        slot, size = k % self.capacity, self.chunk
        chunk, at = slot // size, slot % size  # (not divmod: its tuple costs more, every tick)
        if chunk == self.open:
            return [buf[last] - buf[at] for buf in buffers]
        stamp = self.seals * self.capacity + chunk
        reading = self._reading
        if reading is None or reading[0] is not buffers or reading[1] != stamp:
            # A sealed chunk read as arrays once: the SLI's window start stays in it for hundreds of ticks.
            reading = self._reading = (buffers, stamp, [array("d", as_bytes(sealed[chunk])) for sealed in found[1]])
        return [buf[last] - old[at] for buf, old in zip(buffers, reading[2], strict=True)]

    def value_at(self, name: str, t: float) -> float:
        """Sample of ``name`` at or just before time ``t`` (NaN if not retained)."""
        buf = self._series.get(name)
        if buf is None or self.t0 is None:
            return math.nan
        k = math.floor((t - self.t0) / self.interval + 1e-9)
        if k < max(0, self.steps - self.capacity) or k >= self.steps or k < 0:
            return math.nan
        slot, size = k % self.capacity, self.chunk
        chunk, at = slot // size, slot % size
        if chunk == self.open:
            return buf[at]
        return _read(as_bytes(self._sealed[name][chunk]), at * 8)[0]
