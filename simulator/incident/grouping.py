"""One incident over its alerts: which alerts it groups, where it stands, who holds which role.

A session drills one incident, so every alert that has fired belongs to it; its status follows the pages
(acknowledging the page acknowledges the incident) and the incident process (resolved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator.views import AlertView, IncidentView, PageView


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """The incident as one object: status, severity, its alerts, its roles."""

    status: str
    """no page yet, paged, escalated, acknowledged or resolved."""
    severity: str | None
    alerts: tuple[str, ...]
    """Alerts that have fired (oldest first), each named with its service."""
    roles: tuple[tuple[str, str], ...]


def _label(alert: AlertView) -> str:
    """``name service``, without repeating a service the rule's name already carries."""
    return alert.name if alert.service in alert.name.split() else f"{alert.name} {alert.service}".strip()


def incident_summary(incident: IncidentView, alerts: Sequence[AlertView], pages: Sequence[PageView]) -> IncidentSummary:
    """Group the fired alerts under the incident and derive its status from its pages."""
    fired = sorted((a for a in alerts if a.fired_at is not None), key=lambda a: a.fired_at or 0.0)
    names = tuple(dict.fromkeys(_label(a) for a in fired))
    if incident.state == "resolved":
        status = "resolved"
    elif not pages:
        status = "no page yet"
    elif all(p.acked_at is not None for p in pages):
        status = "acknowledged"
    elif any(p.acked_at is None and p.escalated_at is not None for p in pages):
        status = "escalated"
    else:
        status = "paged"
    return IncidentSummary(status, incident.severity, names, tuple(sorted(incident.roles.items())))
