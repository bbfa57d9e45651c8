"""Handlers and harm checks of the data and traffic-class actions (resync_replica, restore_backup,
shed_class, a failover to a chosen host or back to a split brain's old primary): the world's data plane
and traffic extras do the work; this module turns their refusals into the dispatcher's and judges the
harm they do."""

from __future__ import annotations

from typing import Any

from scenarios.durations import format_clock
from simulator.world.classes import ClassRefused
from simulator.world.data import PRIMARY, DataRefused

FAILOVER_TIME = 45.0
CLASS_PROPAGATION = 5.0  # the edge proxies load the new shedding rule


def resync_replica(d: Any, a: Any, rejected: type[Exception]) -> str:
    """Wipe a host and clone it from the primary (on the primary: the trap)."""
    s = d._service(a.service)
    plane = d.sim.data
    if plane is None:
        raise rejected(f"{s.name} keeps no data the simulation tracks; no database in this system has data")
    try:
        message = plane.resync(s, a.host, d.cluster.lose_primary)
    except DataRefused as exc:
        raise rejected(str(exc)) from None
    d.cluster.record_change("resync_replica", s.name, f"resync {a.host} of {s.name} (wipe and clone)", "you")
    return message


def restore_backup(d: Any, a: Any, rejected: type[Exception]) -> str:
    """Restore the primary from a backup."""
    s = d._service(a.service)
    plane = d.sim.data
    if plane is None:
        raise rejected(f"{s.name} has no backups the simulation tracks; no database in this system has data")
    try:
        message = plane.restore(s, a.backup)
    except DataRefused as exc:
        raise rejected(str(exc)) from None
    d.cluster.record_change("restore_backup", s.name, f"restore {s.name} from {a.backup}", "you")
    return message


def failover_to_host(d: Any, s: Any, host: str | None, rejected: type[Exception]) -> str:
    """A manual failover of a database with data: to ``host``, or to its least lagging replica."""
    plane = d.sim.data
    try:
        zone = plane.host_for_failover(s, host)
    except DataRefused as exc:
        raise rejected(str(exc)) from None
    store = plane.stores[s.name]
    chosen = next(h for h in store.hosts if h.zone == zone)
    if not s.primary_down:
        current = store.primary
        d.cluster.record_change("failover", s.name, f"fail back of {s.name} to {chosen.name} requested", "you")
        plane.fail_back_later(s, zone, FAILOVER_TIME)
        since = format_clock(chosen.behind_from or 0.0)
        return (
            f"failing {s.name} back to {chosen.name}: writes pause for about {FAILOVER_TIME:.0f}s; {chosen.name} "
            f"lacks the writes {current.name if current else 'the primary'} took since {since}, "
            "which will sit on that copy alone"
        )
    d.cluster.record_change("failover", s.name, f"failover of {s.name} to {chosen.name} requested", "you")
    plane.promote_later(s, zone, FAILOVER_TIME)
    return (
        f"promoting {chosen.name} ({chosen.lag:.1f} s behind) to primary of {s.name}; "
        f"writes resume in about {FAILOVER_TIME:.0f}s"
    )


def shed_class(d: Any, a: Any, rejected: type[Exception]) -> str:
    """Shed (or admit again) a traffic class at the entry, after the edge loads the rule."""
    s = d._service(a.service)
    extras = d.sim.extras
    if extras is None:
        raise rejected("this system's traffic has no classes (traffic.classes)")
    try:
        apply = extras.shed_class(s.name, a.traffic_class, a.enabled, a.percent)
    except ClassRefused as exc:
        raise rejected(str(exc)) from None
    what = f"{a.percent:g}% of class {a.traffic_class}" if a.enabled else f"class {a.traffic_class} again"
    d.cluster.record_change("shed_class", s.name, f"{'shed' if a.enabled else 'admit'} {what} at {s.name}", "you")
    d._later(CLASS_PROPAGATION, apply)
    return f"{s.name} {'sheds' if a.enabled else 'admits'} {what} from now on"


def resync_harm(d: Any, action: Any, s: Any) -> str | None:
    """Wiping the primary destroys the only current copy of the data."""
    plane = d.sim.data
    if s is None or plane is None or s.name not in plane.stores:
        return None
    host = plane.stores[s.name].host(action.host)
    if host is not None and host.role == PRIMARY:
        return f"wiped {host.name}, the primary of {s.name}: the only current copy of its data"
    if host is not None and host.unique > 0.0:
        return f"wiped {host.name}, which held {host.unique:,.0f} writes no other copy has: they are lost"
    return None


def failover_harm(d: Any, action: Any, s: Any) -> str | None:
    """Failing back to a diverged copy while the primary is healthy strands the primary's newer writes."""
    plane = d.sim.data
    if s is None or plane is None or s.name not in plane.stores or action.host is None or s.primary_down:
        return None
    store = plane.stores[s.name]
    host, current = store.host(action.host), store.primary
    if host is None or current is None or host.behind_from is None:
        return None
    missing = store.writes_between(host.behind_from, d.env.now)
    return (
        f"failed back to {host.name}, which lacks {missing:,.0f} writes {current.name} took since the split: "
        f"they are left on {current.name} alone, and writes pause meanwhile"
    )


def restore_harm(d: Any, action: Any, s: Any) -> str | None:
    """Restoring over a live primary throws away every write since the backup."""
    plane = d.sim.data
    if s is None or plane is None or s.name not in plane.stores:
        return None
    store = plane.stores[s.name]
    if store.primary is not None and not s.primary_down:
        return f"restored a backup over {store.primary.name}, a live primary: every write since the backup is gone"
    return None
