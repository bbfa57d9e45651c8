"""Judging a scripted message's ``when`` / ``unless`` at its time, on the responders' actions and the world."""

from __future__ import annotations

from scenarios.language.messages import MessageCondition
from simulator.incident.process import IncidentState
from simulator.telemetry.alerts import AlertEngine
from simulator.world.state import World


def condition_holds(
    cond: MessageCondition, now: float, incident: IncidentState, alerts: AlertEngine, world: World
) -> bool:
    """Whether every part of ``cond`` holds at ``now``."""
    if cond.action is not None:
        since = now - cond.within if cond.within is not None else float("-inf")
        taken = (
            e.t >= since and e.kind == cond.action and e.source != "system" for e in incident.timeline if e.t <= now
        )
        if not any(taken):
            return False
    if cond.acknowledged is not None:
        acked = any(p.acked_at is not None for p in alerts.pages)
        if acked != cond.acknowledged:
            return False
    if cond.alert_firing is not None:
        if not any(a.name == cond.alert_firing and a.state == "firing" for a in alerts.alerts(False)):
            return False
    if cond.flag is not None and world.flags.get(cond.flag) != cond.enabled:
        return False
    return True


def message_arrives(when, unless, now: float, incident: IncidentState, alerts: AlertEngine, world: World) -> bool:
    """A message with these conditions arrives at ``now``: ``when`` holds (or is absent) and ``unless`` does not."""
    if when is not None and not condition_holds(when, now, incident, alerts, world):
        return False
    return unless is None or not condition_holds(unless, now, incident, alerts, world)
