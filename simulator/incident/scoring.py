"""The report of an attempt, judged from the simulated system (DOMAIN.md's scoring definitions).

- impact start: first moment the user-facing SLI breaks its objective;
- TTD: impact start -> first page; TTA: that page -> acknowledged;
- TTM: impact start -> start of the first window in which the SLI stays within objective for
  ``healthy_for``; TTR: impact start -> resolution condition holds *and* the trainee declared it;
- error budget burned: failed user requests since impact start / the SLO window's error budget.

Grade: A to D from TTR against par (<= 1x A, <= 1.5x B, <= 2x C, beyond D); an unresolved attempt is F
(D if the system was mitigated). Impact counts beside the times: when that letter is C or worse (a slow
recovery, or none), sparing users at least ``IMPACT_CREDIT_PCT`` of the failed requests doing nothing
would have caused (shedding load, a partial mitigation) earns one letter back. Each harmful action, a
missed acknowledgement SLA, no status update in an incident longer than 30 minutes, and data lost
(writes no copy holds) costs one letter (never below F).

Impact spared: ``impact_avoided_pct`` = failed requests avoided against the same seed played with nobody
acting, in percent of that run's failed requests (negative when the attempt failed more; null when doing
nothing fails nobody). ``data_lost`` = writes no surviving copy holds (``World.data_lost_records``,
which the data mechanics add to).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from scenarios.language.actions import MITIGATION_ACTIONS
from scenarios.language.scenario import Scenario
from simulator.incident.process import IncidentState, SliTracker

GRADES = "ABCDF"
SEAT_ROLES = ("imoc", "tloc", "observer", "mentor", "ops", "scribe")
"""Game-day roles; a seat named ``role:name`` (e.g. ``imoc:ana``) plays that role. A mentor (reverse
shadow) watches, whispers and flags moments; it never acts."""
STATUS_UPDATE_EXPECTED_AFTER = 1800.0
IMPACT_CREDIT_PCT = 60.0
"""Share of doing nothing's failed requests an attempt must spare to earn a letter back on a slow recovery."""


@dataclass(frozen=True)
class ImpactFacts:
    """What the report compares impact with: doing nothing's failed requests, and the data lost."""

    failed_if_nothing: float | None = None
    """Failed user requests of the same seed with nobody acting (None: not measured)."""
    data_lost_records: float = 0.0
    """Writes no surviving copy holds."""


def impact_avoided_pct(failed: float, failed_if_nothing: float | None) -> float | None:
    """Failed requests avoided against doing nothing, in percent of doing nothing's (None when it fails nobody)."""
    if failed_if_nothing is None or failed_if_nothing < 1.0:
        return None
    return round(100.0 * (failed_if_nothing - failed) / failed_if_nothing, 1) + 0.0  # never -0.0


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
    data_lost: int = 0
    """Writes no surviving copy holds (0 when no data was lost)."""
    impact_avoided_pct: float | None = None
    """Failed requests avoided against doing nothing, in percent (null when doing nothing fails nobody)."""
    failed_requests_if_nothing: int | None = None
    """Failed user requests of the same seed played with nobody acting, to the same end."""
    incidents: list[dict[str, Any]] = field(default_factory=list)
    """Each incident of the session (simulator.incident.incidents.incident_entries): its alerts, pages,
    status, acknowledgement, declared and assessed severity, and the role holders named for it."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def impact_avoided_text(report: Report) -> str:
    """The impact spared, in a sentence: against the same seed played with nobody acting."""
    nothing, avoided = report.failed_requests_if_nothing, report.impact_avoided_pct
    if nothing is None:
        return "not measured"
    if avoided is None:
        return "none to avoid: with nobody acting, no request fails by the session's end either"
    if avoided >= 0:
        return f"{avoided:g} % of {nothing:,} failures if nobody acted"
    return f"none: {-avoided:g} % more failures than if nobody acted ({nothing:,})"


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def grade_for(outcome: str, ttr: float | None, par_ttr: float, penalties: int, avoided_pct: float | None = None) -> str:
    """Letter grade from the outcome, TTR against par, the impact avoided, and the number of penalties."""
    if outcome == "resolved" and ttr is not None:
        ratio = ttr / par_ttr if par_ttr > 0 else 1.0
        base = 0 if ratio <= 1.0 else 1 if ratio <= 1.5 else 2 if ratio <= 2.0 else 3
    elif outcome == "resolved":
        base = 0
    elif outcome == "mitigated":
        base = 3
    else:
        base = 4
    if base >= 2 and avoided_pct is not None and avoided_pct >= IMPACT_CREDIT_PCT:
        base -= 1  # a slow recovery during which users were spared most of the harm
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


def report_for(
    scenario: Scenario,
    seed: int,
    incident: IncidentState,
    sli: SliTracker,
    pages: Sequence[Any],
    injected_alerts: set[str],
    end: float,
    tool_version: str,
    baseline: ImpactFacts = ImpactFacts(),
) -> Report:
    """The report of a session at ``end``: times from the SLI and the pages (noise and injected alerts
    are never the incident's first page), outcome, penalties and grade."""
    sc = scenario
    impact = sli.impact_start
    noise = {n.alert.name for n in sc.noise if n.alert} | injected_alerts
    real_pages = [p for p in pages if p.alert not in noise]
    first_page = real_pages[0] if real_pages else None
    ttd = tta = ttm = ttr = None
    if impact is not None and first_page is not None:
        ttd = max(first_page.t - impact, 0.0)
    if first_page is not None and first_page.acked_at is not None:
        tta = first_page.acked_at - first_page.t
    if impact is not None and sli.mitigated_at is not None:
        ttm = sli.mitigated_at - impact
    resolved = incident.state == "resolved"
    if resolved and impact is not None:
        ttr = incident.resolved_at - impact
    settled = sli.healthy_streak(end) >= 2.0 * sc.resolution.healthy_for
    outcome = outcome_of(resolved, settled and sli.mitigated_at is not None, impact is not None)
    roles = role_parts(incident.timeline, impact, end, MITIGATION_ACTIONS)
    late_ack = first_page is not None and (tta is None or tta > sc.alerting.ack_timeout)
    penalties = _penalties(incident, roles, late_ack, impact, end)
    data_lost = int(round(baseline.data_lost_records))
    if data_lost:
        penalties.append(f"data lost: {data_lost:,} writes no surviving copy holds")
    failed = int(round(sli.failed_requests()))
    nothing = None if baseline.failed_if_nothing is None else int(round(baseline.failed_if_nothing))
    avoided = impact_avoided_pct(failed, baseline.failed_if_nothing)
    par = sc.par
    return Report(
        scenario=sc.id,
        seed=seed,
        outcome=outcome,
        impact_start_s=_round(impact),
        ttd_s=_round(ttd),
        tta_s=_round(tta),
        ttm_s=_round(ttm),
        ttr_s=_round(ttr),
        error_budget_burned_pct=round(sli.budget_burned_pct(), 3),
        failed_requests=failed,
        harmful_actions=len(incident.harmful),
        grade=grade_for(outcome, ttr, par.ttr, len(penalties), avoided),
        ended_at_s=round(end, 1),
        par={"tta_s": par.tta, "ttm_s": par.ttm, "ttr_s": par.ttr},
        severity_declared=incident.severity,
        severity_expected=sc.postmortem.expected_severity,
        harmful=[{"t": round(t, 1), "action": name, "why": why} for t, name, why in incident.harmful],
        premature_resolves=len(incident.premature_resolves),
        status_updates=len(incident.status_updates),
        escalations=len(incident.escalations),
        hypotheses=len(incident.hypotheses),
        pages=len(pages),
        penalties=penalties,
        tool_version=tool_version,
        roles=roles,
        data_lost=data_lost,
        impact_avoided_pct=avoided,
        failed_requests_if_nothing=nothing,
    )


def _penalties(
    incident: IncidentState, roles: dict[str, Any], late_ack: bool, impact: float | None, end: float
) -> list[str]:
    """What costs a letter: each harmful action, a late acknowledgement, silence, a hands-on IMOC."""
    penalties = [f"harmful action at {t:.0f}s: {name}: {why}" for t, name, why in incident.harmful]
    if late_ack:
        penalties.append("page not acknowledged within the acknowledgement SLA")
    if impact is not None and end - impact > STATUS_UPDATE_EXPECTED_AFTER and not incident.status_updates:
        penalties.append("no status update in an incident longer than 30 minutes")
    if roles.get("imoc", {}).get("hands_on"):
        hands_on = ", ".join(roles["imoc"]["hands_on"])
        penalties.append(f"the IMOC debugged hands-on instead of coordinating: {hands_on}")
    return penalties
