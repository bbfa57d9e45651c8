"""Scenario self-checks behind ``misfortune verify``: is the scenario winnable, and only the right way?

For each seed, these baselines are played headless (keeping no logs or traces: no check reads them):

- ``reference``: the scenario's ``solution`` must reach ``resolved`` within twice par TTR;
- ``nothing``: no action at all must hurt: users see an impact, and it either lasts to the end
  (``unresolved``) or burns at least ``NOTHING_FLOOR_PCT`` of the error budget before it fades;
- ``trap N``: the solution's process steps (ack, severity, hypotheses, updates) with the trap's moves in
  place of its mitigations, at the time of the first mitigation, then a resolve at the solution's resolve
  time. The engine must accept every move (a trap it would refuse is no danger), the trap must spring
  (its predicate matches what was played), and the run must fail more user requests than the reference
  with the same seed (measured, not judged by the grade, which a sprung trap lowers by itself). Its first
  steps are the reference's, restored from a snapshot; once its check is decided after its last step, it
  stops (:data:`STILL_OPEN`);
- ``claims``: every claim a scripted message makes (``claims:``) holds in the reference run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import ValidationError

from scenarios.durations import format_duration
from scenarios.language.scenario import Scenario, Trap
from simulator.incident.scoring import Report
from simulator.session.claims import claim_problems
from simulator.session.runner import SessionError, run_session
from simulator.session.simulation import Simulation
from simulator.session.trap_moves import TrapMoveError
from simulator.session.verify_runs import SharedStart, play_reference, play_trap, trap_points

REFERENCE = "reference"
NOTHING = "nothing"
CLAIMS = "claims"
NOTHING_FLOOR_PCT = 1.0
"""Error budget (percent of the SLO window's) doing nothing must burn when the impact fades by itself."""
STILL_OPEN = "still open"
"""The outcome shown for a trap run stopped after its last step because its check was decided: every move
was taken, it sprang, it had failed more user requests than the reference, and its resolve was refused (the
incident is still open, and no step is left to resolve it). Failed requests only grow, so playing on could
change neither the check nor the grade (the worst already: a sprung trap's penalty and no resolve) nor the
TTR (none); it could only tell ``unresolved`` from ``mitigated`` (users recovering by themselves before the
end), which is what was not played."""
STOPPED_NOTE = (
    f"{STILL_OPEN}: a trap run stops once its resolve was refused and it had failed more requests than the "
    "reference; playing on could change neither its check nor its grade (whether users would recover by the "
    "end was not played)"
)
"""What the verify command prints under its tables when a trap row shows :data:`STILL_OPEN`."""


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
    failed_requests: int | None = None
    """User requests the baseline failed (what a trap's harm is measured by; as of ``stopped_at_s`` when set)."""
    data_lost: int | None = None
    """Writes the baseline lost (a trap also hurts by losing more data than the reference; as of
    ``stopped_at_s`` when set)."""
    stopped_at_s: float | None = None
    """When a trap run was stopped, its check decided (see :data:`STILL_OPEN`); None: played to its end."""


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
        # Imported here: it brings multiprocessing (~1.5 MB), which the trainee's console never uses.
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(verify_seed, *zip(*jobs, strict=True)))
    return [check for checks in results for check in checks]


def verify_seed(scenario: Scenario, seed: int, shortcuts: bool = True) -> list[Check]:
    """The reference, doing nothing, each trap, then the messages' claims, played with one seed.

    Two shortcuts change no verdict (``shortcuts=False`` plays without them, as tests compare): the
    reference's steps before its first mitigation are every trap run's first steps too, so they are played
    once and each trap run starts from a snapshot taken there (:class:`SharedStart`); and a trap run stops
    after its last step once its check is decided (:data:`STILL_OPEN`).
    """
    scenario = scenario.for_seed(seed)  # the solution and traps must name the variant the seed plays
    reference, reference_sim, start = _check_reference(scenario, seed, shortcuts)
    checks = [reference, _check_nothing(scenario, seed)]
    for number, trap in enumerate(scenario.traps, 1):
        checks.append(_check_trap(scenario, seed, number, trap, reference, start, stop_early=shortcuts))
    if any(m.claims for m in scenario.messages):
        checks.append(_check_claims(scenario, seed, reference, reference_sim))
    return checks


def _check_reference(
    scenario: Scenario, seed: int, share: bool = True
) -> tuple[Check, Simulation | None, SharedStart | None]:
    limit = 2.0 * scenario.par.ttr
    expected = f"resolved <= {format_duration(limit)}"
    try:
        sim, report, start = play_reference(scenario, seed, share)
    except SessionError as err:
        check = Check(scenario.id, seed, REFERENCE, False, expected, None, None, None, f"solution: {err.problems[0]}")
        return check, None, None
    problem = ""
    if report.outcome != "resolved":
        problem = f"the reference solution ends {report.outcome} (it never resolves)"
    elif report.ttr_s is None:
        problem = "the reference solution resolves, but users never saw an impact to recover from"
    elif report.ttr_s > limit:
        problem = (
            f"the reference solution takes {format_duration(report.ttr_s)} to recover, more than twice "
            f"par ({format_duration(limit)})"
        )
    return _check(scenario, seed, REFERENCE, expected, report, problem), sim, start


def _check_nothing(scenario: Scenario, seed: int) -> Check:
    _, report = run_session(scenario, seed, [], impact=False, telemetry=False)
    expected = "users hurt"
    burned = report.error_budget_burned_pct
    problem = ""
    if report.impact_start_s is None:
        problem = "doing nothing hurts nobody: the user-facing SLI never breaks its objective"
    elif report.outcome != "unresolved" and burned < NOTHING_FLOOR_PCT:
        problem = (
            f"doing nothing ends {report.outcome} having burned only {burned:.3g} % of the error budget "
            f"(at least {NOTHING_FLOOR_PCT:g} % expected)"
        )
    return _check(scenario, seed, NOTHING, expected, report, problem)


def _check_trap(
    scenario: Scenario,
    seed: int,
    number: int,
    trap: Trap,
    reference: Check,
    start: SharedStart | None = None,
    stop_early: bool = True,
) -> Check:
    name = f"trap {number}"
    expected = "springs, hurts"
    try:
        # Taken where the engine first accepts it: an undrain needs the solution's drain before it.
        points = trap_points(scenario)
        for kept in range(points):
            harm_over = reference.failed_requests if stop_early else None
            retried = stop_early and kept < points - 1  # a refused run is then dropped: no need to play it on
            run = play_trap(scenario, seed, trap, kept, start if kept == 0 else None, harm_over, retried)
            if not run.refused:
                break
    except (ValidationError, SessionError, TrapMoveError) as err:
        return Check(scenario.id, seed, name, False, expected, None, None, None, f"{_shown(trap)}: {_why(err)}")
    report = run.report
    problem = ""
    if run.refused:
        problem = f"{_shown(trap)} cannot be taken at any point of the solution: the engine refuses it ({run.refused})"
    elif not run.sprung:
        problem = f"{_shown(trap)} was taken but never sprang: its zone, version or sequence did not match"
    elif reference.failed_requests is not None and not _hurts(report, reference):
        problem = (
            f"{_shown(trap)} does no measurable harm: {report.failed_requests:,} failed requests, "
            f"{reference.failed_requests:,} with the reference"
        )
        if report.data_lost or reference.data_lost:
            problem += f"; {report.data_lost:,} writes lost, {reference.data_lost or 0:,} with the reference"
    check = _check(scenario, seed, name, expected, report, problem)
    if run.stopped_at is not None:  # its outcome at the end was not played: only that it is never resolved
        check = replace(check, outcome=STILL_OPEN, stopped_at_s=run.stopped_at)
    return check


def _hurts(report: Report, reference: Check) -> bool:
    """More failed user requests than the reference, or more writes lost (a wipe can spare users and
    still destroy data)."""
    if report.failed_requests > (reference.failed_requests or 0):
        return True
    return report.data_lost > (reference.data_lost or 0)


def _check_claims(scenario: Scenario, seed: int, reference: Check, sim: Simulation | None) -> Check:
    expected = "true in the reference run"
    if sim is None:
        return Check(scenario.id, seed, CLAIMS, False, expected, None, None, None, "the reference did not run")
    problems = claim_problems(scenario, sim)
    return Check(
        scenario.id,
        seed,
        CLAIMS,
        not problems,
        expected,
        reference.outcome,
        reference.grade,
        reference.ttr_s,
        "; ".join(problems),
        reference.failed_requests,
    )


def _shown(trap: Trap) -> str:
    return "trap " + ", ".join(f"{k}={v}" for k, v in trap.match.items())


def _why(err: Exception) -> str:
    if isinstance(err, SessionError):
        return err.problems[0]
    if isinstance(err, ValidationError):
        return _first_error(err)
    return str(err)


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"not a complete action ({where}: {first['msg']})" if where else f"not a complete action ({first['msg']})"


def _check(scenario: Scenario, seed: int, baseline: str, expected: str, report: Report, problem: str) -> Check:
    return Check(
        scenario.id,
        seed,
        baseline,
        not problem,
        expected,
        report.outcome,
        report.grade,
        report.ttr_s,
        problem,
        report.failed_requests,
        report.data_lost,
    )
