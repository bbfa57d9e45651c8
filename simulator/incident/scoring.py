"""The report of an attempt, judged from the simulated system (DOMAIN.md's scoring definitions).

- impact start: first moment the user-facing SLI breaks its objective;
- TTD: impact start -> first page; TTA: that page -> acknowledged;
- TTM: impact start -> start of the first window in which the SLI stays within objective for
  ``healthy_for``; TTR: impact start -> resolution condition holds *and* the trainee declared it;
- error budget burned: failed user requests since impact start / the SLO window's error budget.

Grade: A to D from TTR against par (<= 1x A, <= 1.5x B, <= 2x C, beyond D); an unresolved attempt is F
(D if the system was mitigated). Each harmful action, a missed acknowledgement SLA, and no status update
in an incident longer than 30 minutes costs one letter (never below F).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

GRADES = "ABCDF"
SEAT_ROLES = ("imoc", "tloc", "observer", "mentor")
"""Game-day roles; a seat named ``role:name`` (e.g. ``imoc:ana``) plays that role. A mentor (reverse
shadow) watches, whispers and flags moments; it never acts."""
STATUS_UPDATE_EXPECTED_AFTER = 1800.0


@dataclass(frozen=True)
class Report:
    """The headless report; ``as_dict`` is the ``--json`` object of DESIGN.md."""

    scenario: str
    seed: int
    outcome: str
    impact_start_s: float | None
    ttd_s: float | None
    tta_s: float | None
    ttm_s: float | None
    ttr_s: float | None
    error_budget_burned_pct: float
    failed_requests: int
    harmful_actions: int
    grade: str
    ended_at_s: float
    par: dict[str, float]
    severity_declared: str | None
    severity_expected: str
    harmful: list[dict[str, Any]] = field(default_factory=list)
    premature_resolves: int = 0
    status_updates: int = 0
    escalations: int = 0
    hypotheses: int = 0
    pages: int = 0
    penalties: list[str] = field(default_factory=list)
    tool_version: str = ""
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Game days: each role's part (see :func:`role_parts`); empty for a single trainee."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def grade_for(outcome: str, ttr: float | None, par_ttr: float, penalties: int) -> str:
    """Letter grade from the outcome, TTR against par, and the number of penalties."""
    if outcome == "resolved" and ttr is not None:
        ratio = ttr / par_ttr if par_ttr > 0 else 1.0
        base = 0 if ratio <= 1.0 else 1 if ratio <= 1.5 else 2 if ratio <= 2.0 else 3
    elif outcome == "resolved":
        base = 0
    elif outcome == "mitigated":
        base = 3
    else:
        base = 4
    return GRADES[min(base + penalties, 4)]


def outcome_of(resolved: bool, sli_healthy_now: bool, impact: bool) -> str:
    """resolved (declared and true), mitigated (impact stopped: the SLI held its objective through the
    end of the session for twice the scenario's ``healthy_for``), or unresolved."""
    if resolved:
        return "resolved"
    if sli_healthy_now and impact:
        return "mitigated"
    return "unresolved"


def seat_role(seat: str) -> str | None:
    """The game-day role of a seat named ``role:name``, or None (single player, system, facilitator)."""
    role = seat.split(":", 1)[0]
    return role if ":" in seat and role in SEAT_ROLES else None


def role_parts(timeline: list[Any], impact: float | None, end: float, hands_on: frozenset[str]) -> dict[str, Any]:
    """Each game-day role's part, from the accepted actions on the timeline (source = seat).

    IMOC: communication cadence (status updates and the longest silence since impact), escalation,
    severity, roles, and hands-on actions (counted against them: the coordinator does not debug).
    TLOC: diagnosis (hypotheses) and mitigation (hands-on actions, time from impact to the first one).
    """
    acts: dict[str, list[Any]] = {}
    for event in timeline:
        role = seat_role(event.source)
        if role is not None:
            acts.setdefault(role, []).append(event)
    parts: dict[str, Any] = {}
    if "imoc" in acts:
        ev = acts["imoc"]
        updates = [e.t for e in ev if e.kind == "status_update"]
        since = impact if impact is not None else 0.0
        marks = [since] + [t for t in updates if t >= since] + [end]
        parts["imoc"] = {
            "seats": sorted({e.source for e in ev}),
            "status_updates": len(updates),
            "longest_silence_s": round(max(b - a for a, b in zip(marks, marks[1:], strict=False)), 1)
            if impact is not None
            else None,
            "escalations": sum(e.kind == "escalate" for e in ev),
            "severity_set": any(e.kind == "set_severity" for e in ev),
            "roles_assigned": sum(e.kind == "assign_role" for e in ev),
            "notes": sum(e.kind == "note" for e in ev),
            "resolved": any(e.kind == "resolve" for e in ev),
            "hands_on": [f"{e.t:.0f}s {e.kind}" for e in ev if e.kind in hands_on],
        }
    if "tloc" in acts:
        ev = acts["tloc"]
        mitigations = [e for e in ev if e.kind in hands_on]
        first = mitigations[0].t if mitigations else None
        parts["tloc"] = {
            "seats": sorted({e.source for e in ev}),
            "hypotheses": sum(e.kind == "hypothesis" for e in ev),
            "mitigations": [f"{e.t:.0f}s {e.kind}" for e in mitigations],
            "first_mitigation_after_impact_s": round(first - impact, 1)
            if first is not None and impact is not None
            else None,
            "notes": sum(e.kind == "note" for e in ev),
        }
    if "observer" in acts:
        parts["observer"] = {"seats": sorted({e.source for e in acts["observer"]})}
    return parts
