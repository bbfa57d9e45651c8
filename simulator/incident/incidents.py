"""The session's incidents: the fired alerts grouped as an alerting tool groups them, each one object.

A session can bring more than one incident: a second fault that starts later (double-trouble's expired
certificate after its bad deploy), or an unrelated page. Alerts are grouped from what the on-call can
see, never from the scenario's answer: an alert joins the incident that already holds an alert on the
same service, else the newest incident whose latest alert fired less than ``GROUP_WINDOW_SECONDS``
before it; otherwise it opens a new incident.

Each incident carries its alerts, its pages, its severity (declared for it, else declared for all), who
holds each of its roles (named for it, else for the session, else the default holder: the trainee in
solo play, the seats in a game day) and its status, derived from the simulated system and never from
a claim: triggered -> acknowledged (all its pages acknowledged: acknowledging the page acknowledges the
incident) -> mitigated (all its alerts cleared and the user-facing SLI held its objective for the
scenario's ``healthy_for``) -> resolved (the resolution judge found the cause gone and the SLI recovered
when the responders declared it). The sim's own severity assessment (from the SLI's worst band while the
incident was open) goes to the report and the debrief only: shown live it would tell the trainee how bad
things are before they looked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from simulator.incident.acknowledgement import acknowledgement, acknowledgement_clause
from simulator.incident.process import DEGRADED, DOWN, SliTracker
from simulator.views import AlertView, IncidentRecord, IncidentView, PageView

GROUP_WINDOW_SECONDS = 300.0
"""Alerts on new services that fire within this long of an incident's latest alert join it."""
INCIDENT_ROLES: tuple[tuple[str, str], ...] = (
    ("imoc", "incident commander"),
    ("comms", "communications"),
    ("tloc", "ops"),
)
"""The roles every incident has (the action vocabulary's role, how it is named on screens)."""
STATUSES = ("triggered", "acknowledged", "mitigated", "resolved")
"""An incident's status, in the order an incident moves through them (it moves back if it fires again)."""
LEAD_SECONDS = GROUP_WINDOW_SECONDS
"""How long before its first alert an incident's impact is counted for the severity assessment (an alert
waits out its ``for:`` window after users are already hurt)."""


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


def _groups(alerts: Sequence[AlertView]) -> list[_Group]:
    groups: list[_Group] = []
    for alert in sorted((a for a in alerts if a.fired_at is not None), key=lambda a: (a.fired_at, a.name)):
        fired = alert.fired_at or 0.0
        group = _group_of(groups, alert)
        if group is None:
            groups.append(_Group(fired, fired, [alert]))
        else:
            group.alerts.append(alert)
            group.last_fired = max(group.last_fired, fired)
    return groups


def incident_status(resolved: bool, alerts: Sequence[AlertView], pages: Sequence[PageView], sli_settled: bool) -> str:
    """Where an incident stands, from the simulated system: ``resolved`` only when the judge accepted the
    resolution (``resolved``), ``mitigated`` when its alerts cleared and the SLI has held (``sli_settled``)."""
    if resolved:
        return "resolved"
    if sli_settled and all(a.state == "resolved" for a in alerts):
        return "mitigated"
    if pages and all(p.acked_at is not None for p in pages):
        return "acknowledged"
    return "triggered"


def _roles(incident: IncidentView, number: int, holders: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    own = incident.incident_roles.get(number, {})
    return tuple(
        (role, own.get(role) or incident.roles.get(role) or holders.get(role, "")) for role, _ in INCIDENT_ROLES
    )


def group_incidents(
    incident: IncidentView,
    alerts: Sequence[AlertView],
    pages: Sequence[PageView],
    sli_settled: bool = False,
    holders: Mapping[str, str] | None = None,
) -> tuple[IncidentRecord, ...]:
    """The session's incidents, oldest first (none before the first alert fires).

    ``sli_settled``: the user-facing SLI has held its objective for the scenario's ``healthy_for`` (from
    the simulation's SLI tracker); ``holders``: who holds a role nobody was named for (role -> name).
    """
    out = []
    claimed: set[int] = set()
    for number, group in enumerate(_groups(alerts), start=1):
        names = {a.name for a in group.alerts}
        # A page names its alert; a page is claimed once (the first incident holding an alert of that name).
        mine = [p for p in pages if p.alert in names and p.number not in claimed]
        claimed.update(p.number for p in mine)
        out.append(
            IncidentRecord(
                number=number,
                opened_at=group.opened_at,
                alerts=tuple(dict.fromkeys(_label(a) for a in group.alerts)),
                firing=sum(a.state in ("pending", "firing") for a in group.alerts),
                pages=tuple(p.number for p in mine),
                status=incident_status(incident.state == "resolved", group.alerts, mine, sli_settled),
                acknowledgement=acknowledgement(mine),
                escalated=any(p.acked_at is None and p.escalated_at is not None for p in mine),
                severity=incident.incident_severity.get(number) or incident.severity_for_all,
                roles=_roles(incident, number, holders or {}),
            )
        )
    return tuple(out)


def assessed_severity(sli: SliTracker, start: float, end: float) -> str:
    """The sim's own severity for an incident open from ``start`` to ``end``: SEV1 when the service was
    down for users (simulator.incident.process.DOWN_AVAILABILITY), SEV2 when the SLI broke its objective,
    else SEV3 (minor). The SLI is the session's, so incidents open at the same time share its worst."""
    worst = sli.worst_band(start - LEAD_SECONDS, end)
    return "SEV1" if worst >= DOWN else "SEV2" if worst >= DEGRADED else "SEV3"


def incident_entries(
    records: Sequence[IncidentRecord],
    alerts: Sequence[AlertView],
    pages: Sequence[PageView],
    sli: SliTracker,
    end: float,
) -> list[dict]:
    """The report's per-incident entries: each record with the sim's severity assessment beside the declared
    one; a role nobody was named for is null (the trainee held it, or the seats: the views say which)."""
    closed: dict[int, float] = {}
    for number, group in enumerate(_groups(alerts), start=1):
        if all(a.resolved_at is not None for a in group.alerts):
            closed[number] = max(a.resolved_at or 0.0 for a in group.alerts)
    return [
        {
            "number": r.number,
            "opened_at_s": round(r.opened_at, 1),
            "alerts": list(r.alerts),
            "pages": list(r.pages),
            "status": r.status,
            "acknowledgement": r.acknowledgement,
            "acknowledgement_said": acknowledgement_clause([p for p in pages if p.number in r.pages]),
            "severity_declared": r.severity,
            "severity_assessed": assessed_severity(sli, r.opened_at, closed.get(r.number, end)),
            "roles": {role: holder or None for role, holder in r.roles},
        }
        for r in records
    ]
