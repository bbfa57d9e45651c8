"""Data, traffic classes and asynchronous calls: the scenario language v3 additions (all opt-in).

- ``Service.data``: a database's data set, its replicas' replication lag, its backups and how fast a
  replica is rebuilt or a backup restored. Data lost (writes that no surviving copy holds) is an
  outcome the report counts (``simulator/world/data.py``).
- ``Traffic.classes``: the entry's traffic split into classes with priorities; under overload the
  lowest priority fails first, and a class can be shed by an action (``simulator/world/classes.py``).
- ``Service.reconnect``: clients that dropped during an outage come back together (a reconnect wave).
- ``Service.dns_ttl`` (kind ``dns``): callers cache answers for the TTL; when the resolver fails,
  lookups fail as cached answers expire, with resolver errors (SERVFAIL, timeouts) in the logs.
- ``Service.calls_async``: fire-and-forget calls through a buffer that blocks the caller when full.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from scenarios.durations import Duration, SignedDuration
from scenarios.language.base import Model, Name
from scenarios.limits import (
    MAX_BACKUPS,
    MAX_BUFFER,
    MAX_DATA_GB,
    MAX_FAN_OUT,
    MAX_GB_PER_HOUR,
    MAX_ZONES,
    MIN_GB_PER_HOUR,
)

RoundTrip = Annotated[float, Field(ge=0, le=10_000)]
"""A network round trip in milliseconds (at most 10 s)."""


class Backup(Model):
    """One backup of a database, taken before the incident; it may be broken (found out on restore)."""

    name: Name
    """Backup name the trainee restores by, e.g. nightly-0300."""
    taken: SignedDuration = Field(le=0)
    """When it was taken, before t=0 (e.g. -6h): a restore loses every write made after it."""
    broken: bool = False
    """The backup cannot be restored; the restore runs, then fails with ``reason``."""
    reason: str = "pg_restore: error: could not read input file: end of file"
    """What the restore tool reports when the backup is broken."""


class DataSpec(Model):
    """A database's data: one copy per zone (a primary and its replicas), lag, backups, restore speed.

    The primary's host is in ``primary_zone`` (required with ``data``); hosts are named
    ``<service>-<n>`` in the order of the zones. Writes are the service's successful requests times
    ``write_share``; a write that no surviving copy holds is lost (the report's data loss).
    """

    size_gb: float = Field(default=200.0, gt=0, le=MAX_DATA_GB)
    """Size of the data set; resyncs and restores take size / throughput."""
    replication_lag: Duration = Field(default=0.5, ge=0, le=3600)
    """Normal lag of a replica behind the primary, in seconds of writes."""
    catch_up: float = Field(default=4.0, gt=0, le=1000)
    """Seconds of lag a lagging replica replays per second once nothing holds it back."""
    resync_gb_per_hour: float = Field(default=400.0, ge=MIN_GB_PER_HOUR, le=MAX_GB_PER_HOUR)
    """How fast a replica is rebuilt from the primary (resync_replica)."""
    restore_gb_per_hour: float = Field(default=100.0, ge=MIN_GB_PER_HOUR, le=MAX_GB_PER_HOUR)
    """How fast a backup is restored (restore_backup)."""
    backups: list[Backup] = Field(default_factory=list, max_length=MAX_BACKUPS)
    """Backups the trainee may restore, e.g. [{name: nightly, taken: -5h}]."""
    primary_rtt_ms: dict[Name, RoundTrip] = Field(default_factory=dict, max_length=MAX_ZONES)
    """Round trip, in ms, from the application to a primary in that zone when it is far away (a data
    centre across the country: ``{us-west: 60}``; zones not listed: 0). Calls that need the primary (the
    ``write_share`` of them) pay it, so the database's latency percentiles above 1 - write_share rise by
    it while the primary runs there."""


class TrafficClass(Model):
    """A class of the entry's traffic (interactive calls, bulk exports, client boots...)."""

    name: Name
    """Class name, e.g. interactive, bulk, reconnect."""
    share: float = Field(ge=0, le=1)
    """Share of the entry's user traffic in this class (shares of all classes add up to 1; 0 for a class
    that only event-driven load such as reconnects brings)."""
    priority: int = Field(default=1, ge=0, le=9)
    """0 is served first; under overload the highest number fails first (a priority queue)."""
    size: float = Field(default=1.0, gt=0, le=1000)
    """Work of one request relative to an ordinary one (a bulk export: 20). Within one priority, a
    congested service drops work, not requests: a request of size s survives only if all its s units
    do, so bulk requests fail first and small latency-sensitive ones get through."""
    deferrable: bool = False
    """Its clients retry later without a user noticing (sync, prefetch, batch): its requests that are
    shed or refused do not count against the SLI."""


class Reconnect(Model):
    """Clients that hold a session with this service and reconnect together when it comes back."""

    factor: float = Field(default=4.0, gt=0, le=100)
    """Work of one reconnect (login, session state, cache fill) in ordinary requests: while the clients
    that dropped come back, the service gets factor x its normal rate x the share still away."""
    window: Duration = Field(default=60.0, gt=0, le=86400)
    """Clients spread their reconnects over about this long (jitter); a failed reconnect tries again."""
    traffic_class: Name | None = None
    """Traffic class the reconnects belong to (declared under traffic.classes), so it can be shed."""


class AsyncCall(Model):
    """A fire-and-forget call: the caller puts a message in a local buffer and goes on; the buffer
    drains to the callee. When the callee fails, the buffer fills; a full buffer blocks the caller."""

    calls: float = Field(default=1.0, ge=0, le=MAX_FAN_OUT)
    """Messages per request."""
    buffer: float = Field(default=10_000.0, gt=0, le=MAX_BUFFER)
    """Messages the caller's buffer holds (each instance) before a send blocks."""
    block: Duration = Field(default=1.0, gt=0, le=3600)
    """How long a send blocks on a full buffer before the caller's request fails."""


__all__ = ["AsyncCall", "Backup", "DataSpec", "Reconnect", "TrafficClass", "Duration"]
