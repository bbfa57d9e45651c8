"""Checking what scripted messages claim about the system against a played run (for verify)."""

from __future__ import annotations

from typing import Protocol

from scenarios.durations import format_duration
from scenarios.language.messages import Claim
from scenarios.language.scenario import Scenario
from simulator.views import AlertView


class AlertSource(Protocol):
    """What the check reads from a finished run (``Simulation`` is one)."""

    def alert_list(self, include_resolved: bool = True) -> list[AlertView]: ...


def alert_fired(alerts: list[AlertView], name: str, until: float | None) -> bool:
    """Whether the alert ``name`` fired at some point (no later than ``until`` when given)."""
    return any(a.name == name and a.fired_at is not None and (until is None or a.fired_at <= until) for a in alerts)


def claim_holds(claim: Claim, alerts: list[AlertView]) -> bool:
    """Whether ``claim`` is true of a run whose alerts (resolved ones included) are ``alerts``."""
    return alert_fired(alerts, claim.alert, claim.until) == claim.fires


def claim_problems(scenario: Scenario, run: AlertSource) -> list[str]:
    """One line per claim of the scenario's messages that is false in ``run``."""
    alerts = run.alert_list(include_resolved=True)
    problems = []
    for i, message in enumerate(scenario.messages):
        for claim in message.claims:
            if claim_holds(claim, alerts):
                continue
            said = "fires" if claim.fires else "never fires"
            until = f" before {format_duration(claim.until)}" if claim.until is not None else ""
            truth = "it never does" if claim.fires else "it does"
            problems.append(f"messages[{i}] from {message.from_} says {claim.alert} {said}{until}, but {truth}")
    return problems
