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
