"""Handoff notes judged against what was actually open when the shift ended.

Every open incident must be named under ``active_incidents`` (by number ``#N``, scenario id or the
affected service); every open incident someone mitigated must have its mitigation under
``mitigations`` or ``investigations``; every open ticket must be mentioned somewhere. An incident
listed as active that was in fact resolved is a stale line and costs points.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from scenarios.language.actions import MITIGATION_ACTIONS

if TYPE_CHECKING:
    from simulator.shift.shift import IncidentRun, Shift
    from simulator.shift.steps import HandoffNote

STALE_PENALTY = 10
"""Points off per incident listed as active that was resolved."""


def names_of(run: IncidentRun) -> list[str]:
    """How a note may refer to an incident: #N, incident N, its scenario id, its services."""
    return [
        f"#{run.number}",
        f"incident {run.number}",
        run.scenario.id,
        run.scenario.slo.service,
        run.scenario.root_cause.service,
    ]


def mentions(text: str, names: list[str]) -> bool:
    """True when ``text`` names any of ``names`` as a whole word (case-insensitive)."""
    low = text.lower()
    return any(re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", low) for name in names if name)


def mitigations_of(run: IncidentRun) -> list[str]:
    """Mitigation actions the responders took on an incident (from its timeline)."""
    return [e.kind for e in run.sim.timeline() if e.source != "system" and e.kind in MITIGATION_ACTIONS]


def score_handoff(note: HandoffNote | None, shift: Shift) -> dict[str, Any]:
    """The handoff's score (0-100), what it covered and what it missed or got wrong."""
    # An incident nothing showed yet cannot be handed over: the note is judged on what the on-call could know.
    open_runs = shift.known_incidents()
    open_tickets = [t for t in shift.tickets if t.closed_at is None]
    if note is None:
        expected = len(open_runs) + len(open_tickets)
        return {
            "written": False,
            "score": 0 if expected else None,
            "missing": [f"no handoff note: {expected} open item(s) went unmentioned"] if expected else [],
            "covered": [],
            "stale": [],
        }
    active = note.active_incidents
    everything = [line for _, line in note.lines()]
    work = note.mitigations + note.investigations
    covered: list[str] = []
    missing: list[str] = []
    for run in open_runs:
        label = f"incident #{run.number} ({run.scenario.id})"
        if any(mentions(line, names_of(run)) for line in active):
            covered.append(f"{label} listed as active")
        else:
            missing.append(f"{label} is still open but not under active_incidents")
        done = mitigations_of(run)
        if done:
            if any(mentions(line, [*names_of(run), *done, *(d.replace("_", " ") for d in done)]) for line in work):
                covered.append(f"{label}: mitigation in place described")
            else:
                missing.append(f"{label}: mitigation in place ({', '.join(sorted(set(done)))}) not described")
    for ticket in open_tickets:
        names = [f"ticket #{ticket.number}", f"ticket {ticket.number}", ticket.service]
        if any(mentions(line, names) for line in everything):
            covered.append(f"ticket #{ticket.number} mentioned")
        else:
            missing.append(f"ticket #{ticket.number} ({ticket.service}) is open but not mentioned")
    stale = []
    for run in shift.runs:
        if run.resolved and any(
            mentions(line, [f"#{run.number}", f"incident {run.number}", run.scenario.id]) for line in active
        ):
            stale.append(f"incident #{run.number} ({run.scenario.id}) is listed as active but was resolved")
    expected = len(covered) + len(missing)
    base = 100 if expected == 0 else round(100 * len(covered) / expected)
    return {
        "written": True,
        "score": max(base - STALE_PENALTY * len(stale), 0),
        "covered": covered,
        "missing": missing,
        "stale": stale,
        "empty_sections": [
            s for s in ("active_incidents", "mitigations", "recent_changes", "upcoming") if not getattr(note, s)
        ],
    }
