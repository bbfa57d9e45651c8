"""Split brain: a partition that cuts a database's primary off from its failover agent's quorum.

The agent promotes a replica outside the cut once the cut outlasts ``auto_failover``, while callers keep
writing to the old primary until the cut heals; then they follow the new primary, and the old one is
diverged, holding the writes it took that no other copy has (``Host.unique``). Failing back to it strands
the new primary's writes instead; a procedure that ``reconciles`` replays them onto the primary so that
rebuilding the copy loses nothing. Functions over the data plane (a small Protocol), called by it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

import simpy

from simulator.world.data_store import DIVERGED, ISOLATED, PRIMARY, REPLICA, DataStore, Host, Split, first_time
from simulator.world.events import Timeline
from simulator.world.state import ServiceState


class DataPlaneView(Protocol):
    """What the split-brain mechanics need of the data plane."""

    env: simpy.Environment
    timeline: Timeline
    faults: Any  # the fault book: its cluster records the failover in the change log
    stores: dict[str, DataStore]

    def emit(self, store: DataStore, host: Host, level: str, message: str) -> None: ...

    def readmit(self, store: DataStore, host: Host) -> None: ...

    def store_of(self, s: ServiceState) -> DataStore: ...


def partition(plane: DataPlaneView, store: DataStore, cut: set[str], t: float) -> None:
    """A cut that holds the primary: after ``auto_failover`` a replica outside is promoted while the
    old primary keeps its callers (a split brain); when the cut heals, the old primary diverges."""
    s = store.s
    writer = store.split.old if store.split is not None else store.primary
    if writer is not None and writer.zone in cut and not s.primary_down:
        if store.cut_since is None:
            store.cut_since = t
            for h in store.hosts:
                if h.role == REPLICA and h.zone not in cut:
                    plane.emit(
                        store,
                        h,
                        "ERROR",
                        f"could not receive data from WAL stream: {writer.name}: connection timed out "
                        f"({h.name} cannot reach the primary)",
                    )
        wait = s.spec.auto_failover
        if store.split is None and wait is not None and t - store.cut_since >= wait:
            _promote_outside(plane, store, writer, cut, t)
        return
    if store.cut_since is None:
        return
    store.cut_since = None
    split = store.split
    if split is None:
        return
    store.split = None
    old = split.old
    old.role = DIVERGED
    old.unique = store.writes_between(split.since, t)
    old.unique_window = t - split.since
    old.behind_from = t
    plane.emit(
        store,
        old,
        "ERROR",
        f"FATAL: {old.name}: requested timeline is not a child of this server's history; it holds "
        f"{old.unique:,.0f} writes (the last {old.unique_window:.0f} s before the network came back) "
        f"that never reached the new primary {split.new.name}",
    )
    plane.timeline(
        t,
        "system",
        f"{s.name}: split brain: {old.name} holds {old.unique:,.0f} writes that {split.new.name}, "
        "the primary now, lacks",
    )


def _promote_outside(plane: DataPlaneView, store: DataStore, old: Host, cut: set[str], t: float) -> None:
    outside = sorted((h for h in store.hosts if h.role == REPLICA and h.zone not in cut), key=lambda h: h.lag)
    if not outside:
        return
    new = outside[0]
    s = store.s
    store.split = Split(old, new, t - new.lag)
    old.role = ISOLATED
    new.role = PRIMARY
    new.lag = 0.0
    s.primary_zone = new.zone
    s.dirty = True
    plane.faults.cluster.record_change(
        "failover",
        s.name,
        f"automatic failover: {s.name} primary {old.zone} -> {new.zone} ({old.name} unreachable from the quorum)",
        "patroni",
        old.zone,
        new.zone,
    )
    plane.emit(
        store,
        new,
        "WARN",
        f"LOG: {new.name} promoted to primary (new timeline); {old.name} is unreachable from the failover "
        f"quorum and was not fenced",
    )


def has_own_timeline(plane: DataPlaneView, s: ServiceState, name: str) -> bool:
    """Whether host ``name`` is a diverged copy that kept its own writes (a split brain's old primary)."""
    store = plane.stores.get(s.name)
    host = store.host(name) if store is not None else None
    return host is not None and host.role == DIVERGED and host.behind_from is not None


def fail_back_later(plane: DataPlaneView, s: ServiceState, zone: str, delay: float) -> Host:
    """Make the diverged copy in ``zone`` (a split brain's old primary) primary again while the current
    one is healthy: writes pause for ``delay``, and what the current primary took since the split, which
    the promoted copy lacks, then sits only on the demoted one."""
    store = plane.stores[s.name]
    host = next(h for h in store.hosts if h.zone == zone)
    s.primary_down = True  # read-only while the roles change
    s.dirty = True

    def run() -> Generator:
        yield plane.env.timeout(delay)
        current = store.primary
        if current is None or host.role != DIVERGED or host.behind_from is None:
            s.primary_down = current is None
            return
        now = plane.env.now
        stopped = first_time(store.down_at, now)
        current.role = DIVERGED
        current.unique += store.writes_between(host.behind_from, stopped)
        current.unique_window = max(current.unique_window, stopped - host.behind_from)
        current.behind_from = now
        plane.emit(
            store,
            current,
            "ERROR",
            f"FATAL: {current.name}: demoted, but {current.unique:,.0f} writes it took are not on "
            f"{host.name}; this copy has diverged from the new primary and holds them alone",
        )
        store.reconciled += host.unique  # the promoted copy's own writes are the primary's now
        host.unique = 0.0
        host.unique_window = 0.0
        host.behind_from = None
        host.role = PRIMARY
        host.lag = 0.0
        before = s.primary_zone
        s.primary_zone = host.zone
        s.primary_down = False
        s.dirty = True
        plane.readmit(store, host)
        plane.faults.cluster.record_change(
            "failover", s.name, f"fail back: {s.name} primary {before} -> {host.zone}", "you", before, host.zone
        )
        plane.emit(store, host, "WARN", f"LOG: {host.name} promoted to primary again (failed back from {current.name})")

    plane.env.process(run())
    return host


def reconcile(plane: DataPlaneView, s: ServiceState) -> str:
    """Replay the writes only diverged copies hold onto the primary (a split brain's reconciliation)."""
    store = plane.store_of(s)
    primary = store.primary
    holders = [h for h in store.hosts if h.unique > 0.0 and h is not primary and h.role == DIVERGED]
    if primary is None or s.primary_down:
        return f"{s.name} has no primary to replay writes onto; nothing was reconciled"
    if not holders:
        return f"no copy of {s.name} holds writes the primary lacks; nothing to reconcile"
    done = []
    for h in holders:
        store.reconciled += h.unique
        done.append(f"{h.name}'s {h.unique:,.0f}")
        plane.emit(
            store,
            primary,
            "INFO",
            f"replayed {h.unique:,.0f} writes from {h.name}'s WAL onto primary {primary.name} (reconciled)",
        )
        h.unique = 0.0
        h.unique_window = 0.0
    plane.timeline(plane.env.now, "operation", f"{s.name}: reconciled {', '.join(done)} writes onto {primary.name}")
    return f"replayed {', '.join(done)} writes onto {primary.name}; those copies can be rebuilt safely now"
