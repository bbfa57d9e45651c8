"""Bounded time series in fixed-size ``array('d')`` ring buffers.

All series of a store share one clock: a sample is written for every recorded step, so a series holds
``capacity`` points at most and memory stays flat however long a session runs.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass


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
    """Named ring-buffer series sampled every ``interval`` simulated seconds.

    The recorder writes every series it created at every step (NaN where a group has no data), so no
    slot is ever stale; a series created later reads NaN before its creation.
    """

    def __init__(self, interval: float, capacity: int) -> None:
        self.interval = interval
        self.capacity = capacity
        self.steps = 0  # samples written so far
        self.t0: float | None = None
        self._series: dict[str, array] = {}
        self._by_names: dict[tuple[str, ...], list[array]] = {}
        """The buffers of a tuple of names :meth:`changes_since` was asked for (the SLI's, every tick)."""

    def names(self) -> list[str]:
        """Every series name, sorted."""
        return sorted(self._series)

    def __contains__(self, name: str) -> bool:
        return name in self._series

    def writer(self, name: str) -> array:
        """The buffer of ``name`` (created on first use), for the recorder's hot loop."""
        buf = self._series.get(name)
        if buf is None:
            buf = self._series[name] = array("d", [math.nan]) * self.capacity
        return buf

    def begin_step(self, t: float) -> int:
        """Start a new sample at time ``t``; returns the ring index to write at."""
        if self.t0 is None:
            self.t0 = t
        idx = self.steps % self.capacity
        self.steps += 1
        return idx

    def time_of(self, step: int) -> float:
        """Simulated time of sample number ``step``."""
        assert self.t0 is not None
        return self.t0 + step * self.interval

    def window(self, name: str, start: float | None = None, end: float | None = None) -> Series:
        """Samples of ``name`` with start <= time <= end (all retained ones by default)."""
        series = self._series.get(name)
        if series is None or self.t0 is None:
            return Series(name, (), ())
        first = max(0, self.steps - self.capacity)
        lo, hi = first, self.steps - 1
        if start is not None:
            lo = max(lo, math.ceil((start - self.t0) / self.interval - 1e-9))
        if end is not None:
            hi = min(hi, math.floor((end - self.t0) / self.interval + 1e-9))
        if hi < lo:
            return Series(name, (), ())
        buf, cap = series, self.capacity
        times = tuple(self.t0 + k * self.interval for k in range(lo, hi + 1))
        values = tuple(buf[k % cap] for k in range(lo, hi + 1))
        return Series(name, times, values)

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
        buf = self._series.get(name)
        if buf is None or self.t0 is None:
            return None
        lo = max(max(0, self.steps - self.capacity), math.ceil((start - self.t0) / self.interval - 1e-9))
        hi = min(self.steps - 1, math.floor((end - self.t0) / self.interval + 1e-9))
        if hi < lo:
            return None
        cap = self.capacity
        a, b = lo % cap, hi % cap
        return buf[a : b + 1] if a <= b else buf[a:] + buf[: b + 1]

    def latest(self, name: str) -> float:
        """Newest sample of ``name`` (NaN when absent)."""
        series = self._series.get(name)
        if series is None or self.steps == 0:
            return math.nan
        return series[(self.steps - 1) % self.capacity]

    def changes_since(self, names: tuple[str, ...], t: float) -> list[float] | None:
        """For each of ``names``, its newest sample minus its sample at or just before ``t``; None when
        the sample at ``t`` is not retained (or missing). One index computation for all of them: the SLI
        reads four counters this way every tick."""
        if self.t0 is None or self.steps == 0:
            return None
        k = math.floor((t - self.t0) / self.interval + 1e-9)
        if k < max(0, self.steps - self.capacity) or k >= self.steps or k < 0:
            return None
        cap = self.capacity
        at, last = k % cap, (self.steps - 1) % cap
        buffers = self._by_names.get(names)
        if buffers is None:
            found = [self._series.get(name) for name in names]
            if None in found:
                return None
            buffers = self._by_names[names] = found  # series are never removed: the buffers stay theirs
        out = []
        for buf in buffers:  # (a loop: a list comprehension is a call of its own, and this runs every tick)
            out.append(buf[last] - buf[at])
        return out

    def value_at(self, name: str, t: float) -> float:
        """Sample of ``name`` at or just before time ``t`` (NaN if not retained)."""
        series = self._series.get(name)
        if series is None or self.t0 is None:
            return math.nan
        k = math.floor((t - self.t0) / self.interval + 1e-9)
        if k < max(0, self.steps - self.capacity) or k >= self.steps or k < 0:
            return math.nan
        return series[k % self.capacity]
