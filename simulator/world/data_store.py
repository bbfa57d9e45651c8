"""A database's copies and its writes: the records the data plane (``simulator/world/data.py``) and the
split-brain mechanics (``simulator/world/split_brain.py``) share. Roles of a copy, its lag and the writes
only it holds; the store's write history, so a window of time can be turned into a number of writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from scenarios.language.data import DataSpec
from simulator.world.state import ServiceState

PRIMARY = "primary"
REPLICA = "replica"
DIVERGED = "diverged"
"""Holds writes the primary lacks (an old primary after a failover): serves nothing until resynced."""
WIPED = "wiped"
RESYNCING = "resyncing"
RESTORING = "restoring"
ISOLATED = "primary (cut off)"
"""A primary cut off by a partition after another copy was promoted: its old callers still write to it."""
SERVING = frozenset({PRIMARY, REPLICA, ISOLATED})
LAG_LOG_EVERY = 30.0
LAG_LOG_FROM = 5.0
"""A replica lagging more than this many seconds logs a warning every LAG_LOG_EVERY seconds."""
RATE_SAMPLE_EVERY = 60.0


class DataRefused(Exception):
    """A data operation the world refuses; the message says why and what would work."""


@dataclass
class Host:
    """One copy of a database's data."""

    name: str
    zone: str
    role: str
    lag: float = 0.0
    """Seconds of writes it has not applied yet (a replica)."""
    busy_until: float = 0.0
    """End of the resync or restore running on it."""
    unique: float = 0.0
    """Records only this copy holds (a split brain's writes that never reached the primary)."""
    unique_window: float = 0.0
    """Seconds of writes ``unique`` spans."""
    behind_from: float | None = None
    """A diverged copy with its own timeline: from when it lacks the primary's writes."""


@dataclass
class Split:
    """A split brain: a replica promoted while the primary, cut off, kept taking writes."""

    old: Host
    new: Host
    since: float
    """The promoted copy holds the old primary's writes up to here."""


@dataclass
class DataStore:
    """One database's copies, its writes and the data it lost."""

    s: ServiceState
    spec: DataSpec
    hosts: list[Host]
    written: float = 0.0
    """Records written since t=0."""
    samples: list[tuple[float, float]] = field(default_factory=list)
    """(t, written) once a minute: how many writes a window of time held."""
    first_rate: float | None = None
    """Write rate of the first tick, taken for the time before t=0 (backups are older than the run)."""
    lost_records: float = 0.0
    lost_window_s: float = 0.0
    pending: tuple[float, float] | None = None
    """Loss that stands unless a better recovery comes: (records, window) since the primary's copy
    was destroyed."""
    wiped_at: float | None = None
    """When the primary's current copy was destroyed (None while it holds one)."""
    down_at: float | None = None
    """When the primary stopped taking writes (unreachable, wiped or restoring), None while it takes them."""
    restores: dict[str, str] = field(default_factory=dict)
    """Backup name -> what its last restore did (shown in the data view)."""
    last_lag_log: float = -1e9
    cut_since: float | None = None
    """When a partition cut the primary off from the failover agent's quorum (None while it is not)."""
    split: Split | None = None
    """The split brain in progress (promotion done, the cut not yet healed)."""
    reconciled: float = 0.0
    """Records replayed from diverged copies onto the primary."""

    def host(self, name: str) -> Host | None:
        """The host called ``name``."""
        return next((h for h in self.hosts if h.name == name), None)

    @property
    def primary(self) -> Host | None:
        """The host that takes writes now (None while there is none)."""
        return next((h for h in self.hosts if h.role == PRIMARY), None)

    def written_at(self, t: float) -> float:
        """Records written up to ``t`` (negative before t=0, at the first tick's rate)."""
        if t <= 0.0:
            return t * (self.first_rate or 0.0)
        before = (0.0, 0.0)
        for sample in self.samples:
            if sample[0] >= t:
                t0, w0 = before
                t1, w1 = sample
                return w0 + (w1 - w0) * (t - t0) / (t1 - t0) if t1 > t0 else w1
            before = sample
        return self.written

    def mark(self, t: float) -> None:
        """Keep the write count at ``t`` exactly: a loss estimated now and settled later (a wipe, then a
        promotion) must read the same count, which interpolating across a coarse sample would not."""
        if self.samples and self.samples[-1][0] >= t:
            if self.samples[-1][0] == t:
                self.samples[-1] = (t, self.written)
            return
        self.samples.append((t, self.written))

    def writes_between(self, start: float, end: float) -> float:
        """Records written from ``start`` to ``end``."""
        return max(self.written_at(end) - self.written_at(start), 0.0)


def first_time(*times: float | None) -> float:
    """The first time given (None: not given)."""
    return next(t for t in times if t is not None)
