"""The shift report: incidents, pages against the sustainable pace, false positives, acknowledgement
times against the SLA, tickets, the handoff's score and the postmortems due with their triggers.

Targets are DOMAIN.md's: pages per shift under 2 is healthy, over 5 a warning; false positives under
10 % of pages; acknowledge a P1 within 5 min; a P1 opens a war room (IMOC named, secondary paged)
within 15 min of its first page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scenarios.language.actions import MITIGATION_ACTIONS
from simulator.shift.handoff import score_handoff
from simulator.shift.pager import ShiftPage
from simulator.shift.plan import CarriedIncident
from simulator.shift.policy import PRIORITIES, SEVERITY_TO_PRIORITY

if TYPE_CHECKING:
    from simulator.shift.shift import IncidentRun, Shift

PAGES_HEALTHY_BELOW = 2
PAGES_WARNING_ABOVE = 5
FALSE_POSITIVE_TARGET = 0.10
BUDGET_TRIGGER_PCT = 10.0
"""An incident that burned at least this share of the error budget needs a postmortem."""
MONITORING_GAP_S = 600.0
"""Users affected this long before the first page (or never paged): a monitoring gap."""

TRIGGERS = ("user impact", "error-budget burn", "data loss", "manual intervention", "monitoring gap", "escalation")
"""Postmortem triggers, in DOMAIN.md's order."""


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def pace_of(pages: int) -> str:
    """``healthy`` (under 2 pages), ``busy`` (2-5) or ``warning`` (over 5)."""
    if pages < PAGES_HEALTHY_BELOW:
        return "healthy"
    return "warning" if pages > PAGES_WARNING_ABOVE else "busy"


def shift_report(shift: Shift) -> dict[str, Any]:
    """The report as of now (final once the shift has ended)."""
    end = shift.ended_at if shift.ended_at is not None else shift.now
    pages = [_page(p) for p in shift.pages]
    false_positives = [p for p in pages if p["false_positive"]]
    rate = len(false_positives) / len(pages) if pages else 0.0
    incidents = [_incident(shift, run, end) for run in shift.runs]
    sla_missed = [p for p in pages if p["within_sla"] is False]
    return {
        "seed": shift.plan.seed,
        "hours": shift.plan.hours,
        "difficulty": shift.plan.difficulty,
        "policy": shift.policy.name,
        "ended_at_s": round(end, 1),
        "end_reason": shift.end_reason,
        "starts_at_s": round(shift.plan.starts_at, 1),
        "incidents": incidents,
        "pages": {
            "count": len(pages),
            "pace": pace_of(len(pages)),
            "targets": {"healthy_below": PAGES_HEALTHY_BELOW, "warning_above": PAGES_WARNING_ABOVE},
            "acked_within_sla": sum(1 for p in pages if p["within_sla"]),
            "missed_sla": len(sla_missed),
            "list": pages,
        },
        "false_positives": {
            "count": len(false_positives),
            "rate": round(rate, 3),
            "target_below": FALSE_POSITIVE_TARGET,
            "ok": rate < FALSE_POSITIVE_TARGET,
        },
        "tickets": [
            {
                "number": t.number,
                "t_s": round(t.t, 1),
                "service": t.service,
                "title": t.title,
                "source": t.source,
                "incident": t.incident,
                "status": "closed" if t.closed_at is not None else "open",
            }
            for t in shift.tickets
        ],
        "noise_alerts": len(shift.noise_alerts),
        "handoff": score_handoff(shift.handoff, shift),
        "postmortems_due": [
            {"incident": i["number"], "scenario": i["scenario"], "reasons": i["postmortem_reasons"]}
            for i in incidents
            if i["postmortem_reasons"]
        ],
    }


def _page(page: ShiftPage) -> dict[str, Any]:
    sla = PRIORITIES[page.priority].ack_sla
    tta = None if page.acked_at is None else page.acked_at - page.t
    return {
        "number": page.number,
        "t_s": round(page.t, 1),
        "title": page.title,
        "service": page.service,
        "priority": page.priority,
        "incident": page.incident,
        "false_positive": page.false_positive,
        "policy": page.policy.name,
        "tta_s": _r(tta),
        "ack_sla_s": sla,
        "within_sla": None if sla is None else (tta is not None and tta <= sla),
        "notified": [{"t_s": round(t, 1), "level": level + 1, "who": list(who)} for t, level, who in page.notified],
        "skipped_levels": [level + 1 for _, level in page.skipped],
        "repeats": page.repeats,
        "escalated": page.escalated,
        "exhausted": page.exhausted_at is not None,
        "stopped": page.stopped,
    }


def _incident(shift: Shift, run: IncidentRun, end: float) -> dict[str, Any]:
    report = run.sim.score()
    pages = [p for p in shift.pages_of(run) if not p.false_positive]
    first = pages[0] if pages else None
    tta = None if first is None or first.acked_at is None else first.acked_at - first.t
    started = first.t if first is not None else run.offset
    if run.handed_over:
        started = max(started, 0.0)  # time spent in this shift; the previous one's report has the rest
    stop = end
    if run.resolved:
        stop = run.shift_time(run.sim.incident.resolved_at)
    elif run.sim.ended_at is not None:
        stop = min(end, run.shift_time(run.sim.ended_at))
    declared = run.sim.incident.severity
    return {
        "number": run.number,
        "scenario": run.scenario.id,
        "title": run.scenario.title,
        "arrived_at_s": round(run.offset, 1),
        "handed_over_from": run.plan.previous_number if isinstance(run.plan, CarriedIncident) else None,
        "severity": run.priority,
        "severity_declared": declared,
        "severity_consequences": severity_consequences(run, first, end),
        "war_room": _war_room(run, first),
        "tta_s": _r(tta),
        "ttm_s": report.ttm_s,
        "ttr_s": report.ttr_s,
        "outcome": report.outcome,
        "grade": report.grade,
        "time_spent_s": round(max(stop - started, 0.0), 1),
        "pages": [p.number for p in shift.pages_of(run)],
        "tickets": list(run.tickets),
        "error_budget_burned_pct": report.error_budget_burned_pct,
        "failed_requests": report.failed_requests,
        "postmortem_reasons": postmortem_reasons(shift, run),
    }


def _war_room(run: IncidentRun, first: ShiftPage | None) -> dict[str, Any] | None:
    rule = PRIORITIES[run.priority].war_room_within
    if rule is None:
        return None
    deadline = (first.t if first is not None else run.offset) + rule
    opened = run.imoc_at is not None and run.secondary_at is not None and max(run.imoc_at, run.secondary_at) <= deadline
    return {
        "required_by_s": round(deadline, 1),
        "imoc_named_at_s": _r(run.imoc_at),
        "secondary_paged_at_s": _r(run.secondary_at),
        "opened_in_time": opened,
    }


def severity_consequences(run: IncidentRun, first: ShiftPage | None, end: float) -> list[str]:
    """What a missing or wrong severity cost this incident, in words (empty when it was right)."""
    expected = run.priority
    declared = run.sim.incident.severity
    out: list[str] = []
    if declared is None:
        out.append(
            f"no severity declared for a {expected}: responders and stakeholders could not tell how urgent it was"
        )
    else:
        got = SEVERITY_TO_PRIORITY[declared]
        if got > expected:  # "P3" > "P1": a lower severity than deserved
            if got == "P3":
                out.append(
                    f"declared {declared} for a {expected}: its pages stopped and it became a ticket for the next "
                    "business day while users were affected"
                )
            else:
                out.append(
                    f"declared {declared} for a {expected}: under-declared, so no war room was expected and the "
                    "secondary was not brought in for a service that was down"
                )
        elif got < expected:
            out.append(
                f"declared {declared} for a {expected}: over-declared, pulling an IMOC and the secondary away for a "
                "degraded service (pager fatigue, and the next real P1 finds them busy)"
            )
    room = _war_room(run, first)
    if room is not None and not room["opened_in_time"]:
        missing = [
            what
            for what, at in (("no IMOC named", run.imoc_at), ("the secondary not paged", run.secondary_at))
            if at is None or at > room["required_by_s"]
        ]
        out.append(f"P1 without a war room within 15 min of the first page: {' and '.join(missing)}")
    return out


def postmortem_reasons(shift: Shift, run: IncidentRun) -> list[dict[str, str]]:
    """The postmortem triggers this incident met, each with why (DOMAIN.md's criteria)."""
    report = run.sim.score()
    timeline = run.sim.timeline()
    reasons: list[dict[str, str]] = []

    def add(trigger: str, why: str) -> None:
        reasons.append({"trigger": trigger, "why": why})

    if report.impact_start_s is not None and report.failed_requests > 0:
        add("user impact", f"{report.failed_requests:,} user requests failed")
    if report.error_budget_burned_pct >= BUDGET_TRIGGER_PCT:
        add(
            "error-budget burn",
            f"{report.error_budget_burned_pct:.1f} % of the error budget burned (trigger: {BUDGET_TRIGGER_PCT:g} %)",
        )
    full = [
        e.text.removesuffix(": disk full") for e in timeline if e.source == "system" and e.text.endswith("disk full")
    ]
    if full:
        add(
            "data loss", f"writes failed on full disks ({', '.join(sorted(set(full))[:3])}): data written then was lost"
        )
    manual = sorted({e.kind for e in timeline if e.source != "system" and e.kind in MITIGATION_ACTIONS})
    if manual:
        add("manual intervention", f"recovery needed hands-on actions: {', '.join(manual)}")
    pages = [p for p in shift.pages_of(run) if not p.false_positive]
    first_page = pages[0].t if pages else None
    if run.handed_over and run.sim.alerts.pages:
        # Handed over: its first page went to the previous shift (the incident's own pager kept it).
        first_page = run.shift_time(run.sim.alerts.pages[0].t)
    if report.impact_start_s is not None:
        impact = run.shift_time(report.impact_start_s)
        if first_page is None and not run.tickets:
            add("monitoring gap", "users were affected and no alert paged anyone")
        elif first_page is not None and first_page - impact > MONITORING_GAP_S:
            add(
                "monitoring gap",
                f"the first page came {round((first_page - impact) / 60)} min after users were affected",
            )
    escalated = [p for p in pages if p.escalated]
    if escalated or run.sim.incident.escalations:
        why = (
            f"page #{escalated[0].number} escalated past the primary"
            if escalated
            else f"escalated to {run.sim.incident.escalations[0][1]}"
        )
        add("escalation", why)
    return reasons
