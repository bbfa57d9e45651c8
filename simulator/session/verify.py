"""Scenario self-checks behind ``misfortune verify``: is the scenario winnable, and only the right way?

For each seed, three kinds of baseline are played headless:

- ``reference``: the scenario's ``solution`` must reach ``resolved`` within twice par TTR;
- ``nothing``: no action at all must end ``unresolved`` (the incident does not fix itself);
- ``trap N``: the solution's process steps (ack, severity, hypotheses, updates) with the trap in place of
  its mitigations, at the time of the first mitigation, then a resolve at the solution's resolve time.
  It must not reach ``resolved``, or must grade worse than the reference. Keeping the process steps
  means a trap passes only because of what the trap itself does, not because the page went unacknowledged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from pydantic import ValidationError

from scenarios.durations import format_duration
from scenarios.language.actions import ACTION_ADAPTER, MITIGATION_ACTIONS, Action
from scenarios.language.scenario import Scenario, Trap
from simulator.incident.scoring import GRADES, Report
from simulator.session.runner import SessionError, run_session

REFERENCE = "reference"
NOTHING = "nothing"


@dataclass(frozen=True)
class Check:
    """One baseline played with one seed, and whether it behaved as the scenario promises."""

    scenario: str
    seed: int
    baseline: str
    """``reference``, ``nothing`` or ``trap N`` (1-based, in the order of the scenario's traps)."""
    passed: bool
    expected: str
    """What the baseline must do, in words."""
    outcome: str | None
    grade: str | None
    ttr_s: float | None
    problem: str = ""
    """Why the check failed (empty when it passed)."""


def verify_scenarios(scenarios: Sequence[Scenario], seeds: Sequence[int], workers: int | None = None) -> list[Check]:
    """Every baseline of every scenario for every seed, in that order.

    Each (scenario, seed) is independent and deterministic, so they run in ``workers`` processes
    (default: one per CPU); 1 runs them in this process.
    """
    jobs = [(scenario, seed) for scenario in scenarios for seed in seeds]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1:
        results = [verify_seed(scenario, seed) for scenario, seed in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(verify_seed, *zip(*jobs, strict=True)))
    return [check for checks in results for check in checks]


def verify_seed(scenario: Scenario, seed: int) -> list[Check]:
    """The reference, doing nothing, then each trap, played with one seed."""
    scenario = scenario.for_seed(seed)  # the solution and traps must name the variant the seed plays
    reference = _check_reference(scenario, seed)
    checks = [reference, _check_nothing(scenario, seed)]
    for number, trap in enumerate(scenario.traps, 1):
        checks.append(_check_trap(scenario, seed, number, trap, reference))
    return checks


def _play(scenario: Scenario, seed: int, actions: Sequence[Action]) -> Report:
    _, report = run_session(scenario, seed, actions)
    return report


def _check_reference(scenario: Scenario, seed: int) -> Check:
    limit = 2.0 * scenario.par.ttr
    expected = f"resolved <= {format_duration(limit)}"
    try:
        report = _play(scenario, seed, scenario.solution)
    except SessionError as err:
        return Check(scenario.id, seed, REFERENCE, False, expected, None, None, None, f"solution: {err.problems[0]}")
    problem = ""
    if report.outcome != "resolved":
        problem = f"the reference solution ends {report.outcome}"
    elif report.ttr_s is None or report.ttr_s > limit:
        problem = f"the reference solution resolves in {format_duration(report.ttr_s)}, over {format_duration(limit)}"
    return _check(scenario, seed, REFERENCE, expected, report, problem)


def _check_nothing(scenario: Scenario, seed: int) -> Check:
    report = _play(scenario, seed, [])
    problem = "" if report.outcome == "unresolved" else f"doing nothing ends {report.outcome}"
    return _check(scenario, seed, NOTHING, "unresolved", report, problem)


def _check_trap(scenario: Scenario, seed: int, number: int, trap: Trap, reference: Check) -> Check:
    name = f"trap {number}"
    expected = "fails or grades worse"
    try:
        actions = trap_actions(scenario, trap)
        report = _play(scenario, seed, actions)
    except (ValidationError, SessionError) as err:
        why = err.problems[0] if isinstance(err, SessionError) else _first_error(err)
        return Check(scenario.id, seed, name, False, expected, None, None, None, f"trap {trap.match}: {why}")
    problem = ""
    if report.outcome == "resolved" and not _worse(report.grade, reference.grade):
        problem = f"{trap.match.get('action')} resolves with grade {report.grade} (reference: {reference.grade})"
    return _check(scenario, seed, name, expected, report, problem)


def trap_actions(scenario: Scenario, trap: Trap) -> list[Action]:
    """The solution's process steps with ``trap`` in place of its mitigations, then its resolve.

    Raises ValidationError when the trap's ``match`` is not a complete action.
    """
    solution = sorted(scenario.solution, key=lambda a: a.at or 0.0)
    mitigations = [a for a in solution if a.action in MITIGATION_ACTIONS]
    resolves = [a for a in solution if a.action == "resolve"]
    first_at = (mitigations or solution)[0].at or 0.0
    resolve_at = resolves[-1].at if resolves and resolves[-1].at is not None else solution[-1].at or first_at
    trap_action = ACTION_ADAPTER.validate_python({**trap.match, "at": first_at})
    resolve = ACTION_ADAPTER.validate_python({"action": "resolve", "at": max(resolve_at, first_at)})
    process = [a for a in solution if a.action not in MITIGATION_ACTIONS and a.action != "resolve"]
    # Stable sort: at equal times the process step already taken stays before the trap.
    return sorted([*process, trap_action, resolve], key=lambda a: a.at or 0.0)


def _worse(grade: str | None, than: str | None) -> bool:
    if grade is None or than is None:
        return True
    return GRADES.index(grade) > GRADES.index(than)


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"not a complete action ({where}: {first['msg']})" if where else f"not a complete action ({first['msg']})"


def _check(scenario: Scenario, seed: int, baseline: str, expected: str, report: Report, problem: str) -> Check:
    return Check(
        scenario.id, seed, baseline, not problem, expected, report.outcome, report.grade, report.ttr_s, problem
    )
