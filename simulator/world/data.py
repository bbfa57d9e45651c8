"""Data: a database's copies, replication lag, failovers that lose writes, resyncs, restores, data loss.

A database with ``data`` keeps one copy per zone it runs in (a StatefulSet volume per zone): a primary
and replicas, named ``<service>-<n>`` in the order of the zones. Each tick the primary takes the writes
(the service's successful requests x ``write_share``) and each replica applies them ``lag`` seconds
late. What happens to the data follows from that:

- A failover promotes a replica; the writes in its lag exist only on the old primary, so they are lost
  (the RPO of that failover). The old primary, and any replica that was ahead of the promoted one, has
  history the new primary lacks: it is *diverged* and serves nothing until it is resynced.
- ``resync_replica`` wipes a host's data directory and clones it from the primary. Run on the primary
  itself, it destroys the only current copy: writes stop, and the data comes back only from a replica
  (losing its lag) or a backup (losing everything since the backup was taken).
- ``restore_backup`` replaces the primary's data with a backup at the data set's restore throughput; a
  broken backup fails at the end of the restore.

- A ``partition`` cuts a zone off: replication across the cut stops. With the primary inside, the
  failover agent (its quorum outside) promotes a replica outside once the cut outlasts ``auto_failover``
  while callers keep writing to the old primary until the cut heals: a split brain. When it heals,
  callers follow the new primary; the old one is diverged and holds the writes it took that no other
  copy has (``Host.unique``). They are lost only if that copy is wiped (resynced) before a procedure
  that ``reconciles`` the database replays them onto the primary. Failing back to it (``failover`` to
  the diverged host) makes it primary and leaves the writes taken since on the demoted copy instead.
- A primary in a far zone (``data.primary_rtt_ms``) adds its round trip to the calls that need it.

``World.data_lost_records`` and ``World.data_lost_s`` hold the data lost so far (records, and the
widest window of writes lost, in seconds): the report's ``data_lost`` reads them.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from scenarios.language.data import Backup
from scenarios.language.events import Partition, ReplicationLag
from simulator.world.data_store import (
    DIVERGED,
    LAG_LOG_EVERY,
    LAG_LOG_FROM,
    PRIMARY,
    RATE_SAMPLE_EVERY,
    REPLICA,
    RESTORING,
    RESYNCING,
    SERVING,
    WIPED,
    DataRefused,
    DataStore,
    Host,
)
from simulator.world.data_store import first_time as _first
from simulator.world.events import EventLog, Timeline
from simulator.world.split_brain import fail_back_later as _fail_back_later
from simulator.world.split_brain import has_own_timeline as _has_own_timeline
from simulator.world.split_brain import partition as _partition
from simulator.world.split_brain import reconcile as _reconcile
from simulator.world.state import RUNNING, ServiceState, World

__all__ = ["PRIMARY", "DataPlane", "DataRefused", "DataStore", "Host"]


class DataPlane:
    """Every database with ``data`` in a world: stepped once a tick, and the data actions' effects."""

    def __init__(self, env: simpy.Environment, world: World, logs: EventLog, timeline: Timeline, faults) -> None:
        self.env = env
        self.world = world
        self.logs = logs
        self.timeline = timeline
        self.faults = faults
        self.pacer = None
        """The scenario's recovery paces (``recovery.restore`` / ``recovery.resync``), set by the session."""
        self.operations = None
        """Where restores and resyncs show as operations in progress, set by the session."""
        self.stores: dict[str, DataStore] = {}
        for s in world.services.values():
            spec = s.spec.data
            if spec is None:
                continue
            zones = [z for z in world.zones if any(i.zone == z for i in s.instances)] or [s.primary_zone]
            hosts = [
                Host(
                    f"{s.name}-{n}",
                    z,
                    PRIMARY if z == s.primary_zone else REPLICA,
                    0.0 if z == s.primary_zone else spec.replication_lag,
                )
                for n, z in enumerate(zones)
            ]
            self.stores[s.name] = DataStore(s, spec, hosts)

    @classmethod
    def build(cls, env, world: World, logs: EventLog, timeline: Timeline, faults) -> DataPlane | None:
        """The data plane of a world, or None when no database has ``data`` (nothing to step)."""
        if not any(s.spec.data is not None for s in world.services.values()):
            return None
        return cls(env, world, logs, timeline, faults)

    # --- the tick ----------------------------------------------------------------------------

    def step(self, t: float, dt: float) -> None:
        """Writes, replication lag, rotation of hosts that cannot serve, and the world's loss figures."""
        lagging = [f for f in self.faults.active if isinstance(f, ReplicationLag)]
        cut = {f.zone for f in self.faults.active if isinstance(f, Partition)}
        for store in self.stores.values():
            s = store.s
            rate = s.rate * (1.0 - s.error_ratio) * s.spec.write_share if not s.primary_down else 0.0
            if store.first_rate is None:
                store.first_rate = rate
            store.written += rate * dt
            if not store.samples or t - store.samples[-1][0] >= RATE_SAMPLE_EVERY:
                store.samples.append((t, store.written))
            if not s.primary_down:
                store.down_at = None
                self._replicate(store, lagging, dt, cut)
            elif store.down_at is None:
                store.down_at = t - dt  # its last writes were in the previous tick
                store.mark(t)  # writes stopped: no later sample may spread them past this tick
            if cut or store.cut_since is not None:
                _partition(self, store, cut, t)
            self._rotation(store)
            primary = store.primary
            rtt = store.spec.primary_rtt_ms.get(primary.zone, 0.0) if primary is not None else 0.0
            if store.split is not None:
                rtt = store.spec.primary_rtt_ms.get(store.split.old.zone, 0.0)  # callers still write there
            if rtt != s.primary_rtt_ms:
                s.primary_rtt_ms = rtt
                s.dirty = True
            # max(replicas' lag, default 0.0) and all(hosts serving), written out (every store, every tick).
            lag = None
            serving = True
            for h in store.hosts:
                role = h.role
                if role == REPLICA and (lag is None or h.lag > lag):
                    lag = h.lag
                if role not in SERVING:
                    serving = False
            s.replication_lag = 0.0 if lag is None else lag
            s.data_serving = not s.primary_down and serving
            if s.replication_lag > LAG_LOG_FROM and t - store.last_lag_log >= LAG_LOG_EVERY:
                store.last_lag_log = t
                self._log_lag(store, t)
        self._publish()

    def _replicate(self, store: DataStore, lagging: list, dt: float, cut: set[str]) -> None:
        base = store.spec.replication_lag
        source = store.split.old if store.split is not None else store.primary
        for h in store.hosts:
            if h.role != REPLICA:
                continue
            growth = 0  # (sum() of nothing, without its generator when no lag is injected)
            if lagging:
                growth = sum(f.rate for f in lagging if f.service == store.s.name and f.zone in (None, h.zone))
            if source is not None and (h.zone in cut) != (source.zone in cut):
                growth = 1.0  # across a cut: it applies nothing
            if growth:
                h.lag += growth * dt
            elif h.lag > base:
                h.lag = max(base, h.lag - store.spec.catch_up * dt)

    def _rotation(self, store: DataStore) -> None:
        """Instances whose copy cannot serve leave the load balancer; they come back when it can."""
        serving = {h.zone for h in store.hosts if h.role in SERVING}
        for inst in store.s.instances:
            if inst.zone in serving:
                continue
            if inst.ready:
                inst.ready = False

    def readmit(self, store: DataStore, host: Host) -> None:
        for inst in store.s.instances:
            if inst.zone == host.zone and inst.state == RUNNING and inst.broken_since is None and not inst.ready:
                inst.ready = True

    def _log_lag(self, store: DataStore, t: float) -> None:
        primary = store.primary
        for h in store.hosts:
            if h.role == REPLICA and h.lag > LAG_LOG_FROM:
                self.emit(
                    store,
                    h,
                    "WARN",
                    f"replication lag on {h.name}: replay is {h.lag:.1f} s behind primary "
                    f"{primary.name if primary else '(none)'}",
                )

    def _publish(self) -> None:
        records = 0.0
        window = 0.0
        for store in self.stores.values():
            records += store.lost_records
            window = max(window, store.lost_window_s)
            if store.pending is not None:
                records += store.pending[0]
                window = max(window, store.pending[1])
        self.world.data_lost_records = records
        self.world.data_lost_s = window

    def emit(self, store: DataStore, host: Host, level: str, message: str) -> None:
        inst = next((i for i in store.s.instances if i.zone == host.zone), None) or (
            store.s.instances[0] if store.s.instances else None
        )
        if inst is not None:
            self.logs.emit(self.env.now, level, inst, message)

    def _lose(self, store: DataStore, records: float, window: float) -> None:
        store.lost_records += records
        store.lost_window_s = max(store.lost_window_s, window)
        self._publish()

    # --- failover (the cluster's promotion asks these) ---------------------------------------

    def eligible(self, s: ServiceState, zones: list[str]) -> list[str]:
        """Zones whose copy may be promoted, least lagging first (a diverged or wiped copy may not)."""
        store = self.stores.get(s.name)
        if store is None:
            return zones
        if any(h.role == RESTORING for h in store.hosts):
            return []  # the failover agent stands aside while an operator restores the primary
        hosts = [h for h in store.hosts if h.role == REPLICA and h.zone in zones]
        return [h.zone for h in sorted(hosts, key=lambda h: h.lag)]

    def promoted(self, s: ServiceState, before: str | None, after: str) -> None:
        """A replica in ``after`` became primary: the writes in its lag are lost; copies ahead diverge."""
        store = self.stores.get(s.name)
        if store is None:
            return
        new = next(h for h in store.hosts if h.zone == after)
        now = self.env.now
        lost_from = _first(store.wiped_at, store.down_at, now)
        # The promoted copy holds everything up to its lag before the primary stopped taking writes.
        window = new.lag
        records = store.writes_between(lost_from - window, lost_from)
        store.pending = None
        store.wiped_at = None
        for h in store.hosts:
            if h is new:
                continue
            if h.role == PRIMARY or (h.role == REPLICA and h.lag < new.lag - 0.5):
                h.role = DIVERGED
            elif h.role == REPLICA:
                h.lag = max(h.lag - new.lag, store.spec.replication_lag)
        new.role = PRIMARY
        new.lag = 0.0
        self._lose(store, records, window)
        self.emit(
            store,
            new,
            "WARN",
            f"LOG: {new.name} promoted to primary (new timeline); {window:.1f} s of writes "
            f"({records:,.0f} records) never reached it and are lost",
        )
        self.timeline(now, "system", f"{s.name}: {new.name} is the primary now; {records:,.0f} writes lost")
        for h in store.hosts:
            if h.role == DIVERGED:
                self.emit(
                    store,
                    h,
                    "ERROR",
                    f"FATAL: {h.name}: requested timeline is not a child of this server's history; "
                    "the copy has diverged from the new primary and must be resynced",
                )

    def host_for_failover(self, s: ServiceState, name: str | None) -> str:
        """The zone to promote for a manual failover to host ``name`` (refuses a host that cannot be)."""
        store = self.stores[s.name]
        busy = next((h for h in store.hosts if h.role == RESTORING), None)
        if busy is not None:
            raise DataRefused(f"a restore onto {busy.name} is running ({busy.busy_until - self.env.now:.0f}s left)")
        if name is None:
            zones = self.eligible(s, [z for z in self.world.zones if z not in self.world.down_zones])
            if not zones:
                raise DataRefused(
                    f"{s.name} has no replica that can be promoted (every copy is wiped, diverged or busy)"
                )
            return zones[0]
        host = self._known(store, name)
        if _has_own_timeline(self, s, name) and not s.primary_down:
            return host.zone  # failing back to a split brain's old primary
        if host.role != REPLICA:
            raise DataRefused(f"{host.name} is {host.role}, not a replica in sync: it cannot be promoted")
        if host.zone in self.world.down_zones:
            raise DataRefused(f"{host.name} is in {host.zone}, which is unreachable")
        return host.zone

    def promote_later(self, s: ServiceState, zone: str, delay: float) -> None:
        """Promote the copy in ``zone`` after ``delay`` (a manual failover to a chosen host)."""

        def run() -> Generator:
            yield self.env.timeout(delay)
            store = self.stores[s.name]
            host = next(h for h in store.hosts if h.zone == zone)
            if not s.primary_down or host.role != REPLICA:
                return
            before = s.primary_zone
            s.primary_zone = zone
            s.primary_down = False
            s.dirty = True
            self.promoted(s, before, zone)

        self.env.process(run())

    def has_own_timeline(self, s: ServiceState, name: str) -> bool:
        """Whether host ``name`` is a split brain's old primary, holding its own writes."""
        return _has_own_timeline(self, s, name)

    def fail_back_later(self, s: ServiceState, zone: str, delay: float) -> Host:
        """Fail back to a split brain's old primary (see :mod:`simulator.world.split_brain`)."""
        return _fail_back_later(self, s, zone, delay)

    def reconcile(self, s: ServiceState) -> str:
        """Replay the writes only diverged copies hold onto the primary."""
        return _reconcile(self, s)

    # --- destructive and restoring actions ---------------------------------------------------

    def _known(self, store: DataStore, name: str) -> Host:
        host = store.host(name)
        if host is None:
            names = ", ".join(f"{h.name} ({h.role}, {h.zone})" for h in store.hosts)
            raise DataRefused(f"no host {name!r} in {store.s.name}; hosts: {names}")
        return host

    def store_of(self, s: ServiceState) -> DataStore:
        """The data of database ``s`` (refused when it has none)."""
        store = self.stores.get(s.name)
        if store is None:
            with_data = ", ".join(self.stores) or "none"
            raise DataRefused(f"{s.name} keeps no data the simulation tracks; databases with data: {with_data}")
        return store

    def resync(self, s: ServiceState, name: str, lose_primary) -> str:
        """Wipe host ``name``'s data directory and clone it from the primary. On the primary itself it
        destroys the current copy (``lose_primary`` tells the cluster the primary is gone)."""
        store = self.store_of(s)
        host = self._known(store, name)
        now = self.env.now
        if host.role in (RESYNCING, RESTORING):
            raise DataRefused(f"{host.name} is already {host.role}; it finishes in {host.busy_until - now:.0f}s")
        if host.role == PRIMARY:
            host.role = WIPED
            store.wiped_at = now
            store.mark(now)
            store.pending = self._best_recovery(store, now)
            self._publish()
            self.emit(
                store,
                host,
                "ERROR",
                f'PANIC: could not open file "global/pg_control": No such file or directory ({host.name}: '
                "data directory removed)",
            )
            self.timeline(now, "system", f"{s.name}: the data directory of primary {host.name} was wiped")
            lose_primary(s)  # writes stop; the failover agent (if any) promotes a replica
            s.primary_down = True
            return (
                f"wiped the data directory of {host.name}, the PRIMARY of {s.name}: there is no primary to clone from"
            )
        primary = store.primary
        if primary is None or s.primary_down:
            raise DataRefused(f"{s.name} has no primary to clone {host.name} from; fail over or restore first")
        seconds = store.spec.size_gb / store.spec.resync_gb_per_hour * 3600.0
        if host.unique > 0.0:
            lost = host.unique
            self.emit(
                store,
                host,
                "ERROR",
                f"{host.name}: data directory removed; the {lost:,.0f} writes only this copy held are gone",
            )
            self.timeline(now, "system", f"{s.name}: wiping {host.name} lost {lost:,.0f} writes no other copy had")
            self._lose(store, lost, host.unique_window)
            host.unique = 0.0
            host.unique_window = 0.0
        host.behind_from = None
        host.role = RESYNCING
        took = self._expected("resync", seconds)
        host.busy_until = now + took
        self.emit(store, host, "INFO", f"pg_basebackup: cloning {store.spec.size_gb:g} GB from {primary.name}")
        summary = f"resync {host.name} of {s.name} from {primary.name}"
        self.env.process(self._finish_resync(store, host, self._copy("resync", s.name, summary, host, seconds)))
        return f"wiping {host.name} and cloning it from {primary.name}: about {took / 60:.0f} min"

    def _expected(self, kind: str, seconds: float) -> float:
        """How long a copy of ``seconds`` should take at the scenario's pace as things stand now."""
        pace = self.pacer.data_pace(kind) if self.pacer is not None else None
        if pace is None:
            return seconds
        return (pace.fixed + seconds) * self.pacer.factor(pace.slowed_by)

    def _copy(self, kind: str, service: str, summary: str, host: Host, seconds: float) -> Generator:
        """Wait out a restore or resync: the scenario's pace (a fixed preparation, then the copy, slowed while
        a named condition holds) or the copy alone; shown as an operation in progress."""
        op = self.operations.start(self.env.now, kind, service, summary, 1) if self.operations is not None else None
        pace = self.pacer.data_pace(kind) if self.pacer is not None else None
        if pace is None:
            yield self.env.timeout(seconds)
        else:

            def follow(eta: float) -> None:
                host.busy_until = eta

            yield from self.pacer.paced(pace.fixed + seconds, pace.slowed_by, op, on_eta=follow)
        if op is not None:
            op["done"] = 1
            op["finished_at"] = self.env.now

    def _finish_resync(self, store: DataStore, host: Host, copy: Generator) -> Generator:
        yield from copy
        if host.role != RESYNCING:
            return
        if store.s.primary_down or store.primary is None:
            host.role = WIPED
            self.emit(
                store, host, "ERROR", f"pg_basebackup: error: could not connect to the primary; {host.name} is empty"
            )
            return
        host.role = REPLICA
        host.lag = store.spec.replication_lag
        self.readmit(store, host)
        self.emit(store, host, "INFO", f"{host.name}: base backup complete, streaming from {store.primary.name}")
        self.timeline(self.env.now, "operation", f"{store.s.name}: {host.name} resynced and serving again")

    def _best_recovery(self, store: DataStore, now: float) -> tuple[float, float]:
        """What is lost if the best copy left is used: the least lagging replica, else the newest backup
        (the trainee cannot know it is broken), else everything."""
        replicas = [h.lag for h in store.hosts if h.role == REPLICA]
        if replicas:
            window = min(replicas)
        elif store.spec.backups:
            window = now - max(b.taken for b in store.spec.backups)
        else:
            window = now + 86400.0  # nothing left to recover from: the last day of writes at least
        return store.writes_between(now - window, now), window

    def restore(self, s: ServiceState, name: str) -> str:
        """Restore the primary's copy from backup ``name`` (every write after the backup is lost)."""
        store = self.store_of(s)
        backup = next((b for b in store.spec.backups if b.name == name), None)
        if backup is None:
            names = ", ".join(b.name for b in store.spec.backups) or "none"
            raise DataRefused(f"no backup {name!r} of {s.name}; backups: {names}")
        target = store.primary or next((h for h in store.hosts if h.zone == s.primary_zone), store.hosts[0])
        if target.role == RESTORING:
            raise DataRefused(
                f"{target.name} is already restoring; it finishes in {target.busy_until - self.env.now:.0f}s"
            )
        now = self.env.now
        seconds = store.spec.size_gb / store.spec.restore_gb_per_hour * 3600.0
        if target.role == PRIMARY:
            store.wiped_at = now  # restoring over a live primary throws its current copy away
            store.mark(now)
        target.role = RESTORING
        if store.wiped_at == now:
            # What stands lost until the restore ends: the best copy left (a replica's lag).
            store.pending = self._best_recovery(store, now)
        took = self._expected("restore", seconds)
        target.busy_until = now + took
        s.primary_down = True
        s.dirty = True
        self._publish()
        self.emit(store, target, "INFO", f"pg_restore: restoring backup {backup.name} onto {target.name}")
        copy = self._copy("restore", s.name, f"restore {s.name} from {backup.name}", target, seconds)
        self.env.process(self._finish_restore(store, target, backup, copy))
        speed = store.spec.restore_gb_per_hour
        return f"restoring {backup.name} onto {target.name}: about {took / 60:.0f} min at {speed:g} GB/h"

    def _finish_restore(self, store: DataStore, host: Host, backup: Backup, copy: Generator) -> Generator:
        yield from copy
        s = store.s
        now = self.env.now
        if backup.broken:
            host.role = WIPED
            store.restores[backup.name] = f"failed: {backup.reason}"
            self.emit(store, host, "ERROR", f"{backup.reason} (restore of {backup.name} onto {host.name} failed)")
            self.timeline(now, "operation", f"{s.name}: restore of {backup.name} failed")
            return
        lost_from = _first(store.wiped_at, store.down_at, now)
        records = store.writes_between(backup.taken, lost_from)
        store.pending = None
        store.wiped_at = None
        store.restores[backup.name] = "restored"
        for h in store.hosts:
            if h is not host and h.role in SERVING:
                h.role = DIVERGED  # they hold writes newer than the backup: resync them from the restored primary
        host.role = PRIMARY
        host.lag = 0.0
        s.primary_zone = host.zone
        s.primary_down = False
        s.dirty = True
        self.readmit(store, host)
        self._lose(store, records, lost_from - backup.taken)
        self.emit(
            store,
            host,
            "WARN",
            f"pg_restore: {backup.name} restored onto {host.name}; writes after the backup "
            f"({records:,.0f} records, {(lost_from - backup.taken) / 60:.0f} min) are gone",
        )
        self.timeline(now, "operation", f"{s.name}: restored from {backup.name}; {records:,.0f} writes lost")

    # --- views -------------------------------------------------------------------------------

    def status(self) -> list[dict]:
        """What an operator's database tools show: hosts with role and lag, backups, data lost."""
        now = self.env.now
        out = []
        for store in self.stores.values():
            primary = store.primary
            out.append(
                {
                    "service": store.s.name,
                    "primary": primary.name if primary else None,
                    "hosts": [
                        {
                            "host": h.name,
                            "zone": h.zone,
                            "role": h.role,
                            "lag_s": round(h.lag, 1) if h.role == REPLICA else None,
                            "busy_for_s": round(h.busy_until - now) if h.role in (RESYNCING, RESTORING) else None,
                            "only_here": round(h.unique) if h.unique >= 0.5 else None,
                        }
                        for h in store.hosts
                    ],
                    "backups": [
                        {
                            "name": b.name,
                            "taken_s": b.taken,
                            "restore_minutes": round(
                                self._expected("restore", store.spec.size_gb / store.spec.restore_gb_per_hour * 3600)
                                / 60
                            ),
                            "last_restore": store.restores.get(b.name, "never tried"),
                        }
                        for b in store.spec.backups
                    ],
                    "data_lost_records": round(store.lost_records + (store.pending[0] if store.pending else 0.0)),
                    "reconciled_records": round(store.reconciled),
                    "primary_rtt_ms": store.s.primary_rtt_ms,
                }
            )
        return out
