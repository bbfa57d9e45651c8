"""The shape a seat checks a host's data status against (``Simulation.data_status``: databases, traffic
classes, reconnect waves, name caches, buffers) before the dashboards read it.

It travelled as ``dict[str, Any]``: a host that sent a database whose hosts were a number, or a wave
without its rate, failed the dashboards' refresh on the seat instead of being a malformed frame where it
was read. Every figure here is finite; a field the dashboards do not read may be absent.
"""

from __future__ import annotations

from typing import Required

from typing_extensions import TypedDict

from tui.gameday.seat_wire import WIRE, Moment


class DbHostWire(TypedDict, total=False):
    """One database host: its role, replication lag, how long a resync or restore still takes."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    host: Required[str]
    zone: str
    role: Required[str]
    lag_s: Required[Moment | None]
    busy_for_s: Required[Moment | None]
    only_here: int | None


class BackupWire(TypedDict, total=False):
    """One backup a database can be restored from."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    name: Required[str]
    taken_s: Required[Moment]
    restore_minutes: Required[int]
    last_restore: Required[str]


class DatabaseWire(TypedDict, total=False):
    """One replicated database as its operator's tools show it."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    service: Required[str]
    primary: Required[str | None]
    hosts: Required[list[DbHostWire]]
    backups: Required[list[BackupWire]]
    data_lost_records: int
    reconciled_records: int
    primary_rtt_ms: float | None


# One traffic class's last-tick figures ("class" is a keyword: only the functional form can name it).
TrafficClassWire = TypedDict(  # noqa: UP013
    "TrafficClassWire",
    {
        "class": Required[str],
        "priority": Required[int],
        "deferrable": bool,
        "shed_pct": Required[float],
        "rate": Required[float],
        "error_ratio": Required[float],
    },
    total=False,
)
TrafficClassWire.__pydantic_config__ = WIRE  # type: ignore[attr-defined]


class ReconnectWire(TypedDict):
    """A reconnect wave: clients away and the rate they come back at."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    service: str
    clients_away: float
    wave_rps: float


class DnsWire(TypedDict):
    """A resolver's users and the share of their names expired."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    service: str
    resolver: str
    names_expired: float


# Messages buffered between two services ("from" is a keyword).
BufferWire = TypedDict("BufferWire", {"from": str, "to": str, "messages": int})  # noqa: UP013
BufferWire.__pydantic_config__ = WIRE  # type: ignore[attr-defined]


class DataStatusWire(TypedDict, total=False):
    """The data status a host sends with each seat's views."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    databases: list[DatabaseWire]
    data_lost_records: int
    data_lost_s: float
    classes: list[TrafficClassWire]
    reconnects: list[ReconnectWire]
    dns: list[DnsWire]
    withdrawn: list[str]
    buffers: list[BufferWire]
