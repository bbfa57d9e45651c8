"""Several incidents in one session: the fired alerts grouped as an alerting tool groups them.

A session can bring more than one incident: a second fault that starts later (double-trouble's expired
certificate after its bad deploy), or an unrelated page. Alerts are grouped from what the on-call can
see, never from the scenario's answer: an alert joins the incident that already holds an alert on the
same service, else the newest incident whose latest alert fired less than ``GROUP_WINDOW_SECONDS``
before it; otherwise it opens a new incident. Each incident has its own alerts, pages, status and
acknowledgement (acknowledging its pages acknowledges it). Severity, roles and the declared resolution
are the session's: one set of incident actions drives the engine, so they are shown once, not per
incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.incident.acknowledgement import Acknowledgement, acknowledgement
from simulator.views import AlertView, IncidentView, PageView

GROUP_WINDOW_SECONDS = 300.0
"""Alerts on new services that fire within this long of an incident's latest alert join it."""


@dataclass(frozen=True, slots=True)
class GroupedIncident:
    """One incident of the session: the alerts grouped under it, its pages and where it stands."""

    number: int
    """1 for the first incident of the session, then in the order they opened."""
    opened_at: float
    """When its first alert fired."""
    alerts: tuple[str, ...]
    """Its alerts (oldest first), each named with its service."""
    services: tuple[str, ...]
    pages: tuple[int, ...]
    """Numbers of the pages its alerts sent."""
    status: str
    """no page yet, paged, escalated, acknowledged, alerts cleared or resolved."""
    acknowledgement: Acknowledgement
    """How its pages were acknowledged: no page, in time, after escalation, never."""


@dataclass
class _Group:
    opened_at: float
    last_fired: float
    alerts: list[AlertView]


def _label(alert: AlertView) -> str:
    """``name service``, without repeating a service the rule's name already carries."""
    return alert.name if alert.service in alert.name.split() else f"{alert.name} {alert.service}".strip()


def _group_of(groups: list[_Group], alert: AlertView) -> _Group | None:
    fired = alert.fired_at or 0.0
    for group in groups:
        if any(a.service == alert.service for a in group.alerts):
            return group
    newest = groups[-1] if groups else None
    if newest is not None and fired - newest.last_fired < GROUP_WINDOW_SECONDS:
        return newest
    return None


def _status(incident: IncidentView, alerts: list[AlertView], pages: list[PageView]) -> str:
    if incident.state == "resolved":
        return "resolved"
    if all(a.state == "resolved" for a in alerts) and all(p.acked_at is not None for p in pages):
        return "alerts cleared"
    if not pages:
        return "no page yet"
    if all(p.acked_at is not None for p in pages):
        return "acknowledged"
    if any(p.acked_at is None and p.escalated_at is not None for p in pages):
        return "escalated"
    return "paged"


def group_incidents(
    incident: IncidentView, alerts: Sequence[AlertView], pages: Sequence[PageView]
) -> tuple[GroupedIncident, ...]:
    """The session's incidents, oldest first (none before the first alert fires)."""
    groups: list[_Group] = []
    for alert in sorted((a for a in alerts if a.fired_at is not None), key=lambda a: (a.fired_at, a.name)):
        fired = alert.fired_at or 0.0
        group = _group_of(groups, alert)
        if group is None:
            groups.append(_Group(fired, fired, [alert]))
        else:
            group.alerts.append(alert)
            group.last_fired = max(group.last_fired, fired)
    out = []
    claimed: set[int] = set()
    for number, group in enumerate(groups, start=1):
        names = {a.name for a in group.alerts}
        # A page names its alert; a page is claimed once (the first incident holding an alert of that name).
        mine = [p for p in pages if p.alert in names and p.number not in claimed]
        claimed.update(p.number for p in mine)
        out.append(
            GroupedIncident(
                number=number,
                opened_at=group.opened_at,
                alerts=tuple(dict.fromkeys(_label(a) for a in group.alerts)),
                services=tuple(dict.fromkeys(a.service for a in group.alerts)),
                pages=tuple(p.number for p in mine),
                status=_status(incident, group.alerts, mine),
                acknowledgement=acknowledgement(mine),
            )
        )
    return tuple(out)
