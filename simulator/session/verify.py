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
from scenarios.language.actions import ACTION_ADAPTER, MITIGATION_ACTIONS, Action
from scenarios.language.scenario import Scenario, Trap
from simulator.incident.scoring import GRADES, Report
from simulator.session.claims import claim_problems
from simulator.session.journal_session import end_reason_of
from simulator.session.runner import SessionError, action_problems, run_session
from simulator.session.simulation import Simulation
from simulator.session.snapshots import NotRestorable, Snapshot, take
from simulator.session.trap_moves import TrapMoveError, trap_moves

REFERENCE = "reference"
NOTHING = "nothing"
CLAIMS = "claims"
AFTER_LAST_MITIGATION = 60.0
"""Seconds after the solution's last mitigation a trap is tried when the engine refused it earlier."""
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


@dataclass(frozen=True)
class SharedStart:
    """The steps every trap run (taken at the first mitigation) shares with the reference, played once.

    ``snapshot`` is the reference's session at the time of the solution's first mitigation, before it,
    having applied the solution's first ``steps`` actions (the process steps before it): a trap run
    restores it instead of replaying those steps from zero (a restore equals that replay bit for bit:
    simulator/session/snapshots.py, proven by tests/simulator/test_snapshot_restore.py).
    """

    snapshot: Snapshot
    steps: int


def play_reference(scenario: Scenario, seed: int, share: bool = True) -> tuple[Simulation, Report, SharedStart | None]:
    """The reference run, as :func:`run_session` plays the solution (no journal, no impact replay, no
    logs), and the snapshot the trap runs start from (None when not ``share``, when there is none to
    share, see :func:`_shared_steps`, or when the session cannot be snapshotted then). Raises SessionError
    as run_session does."""
    actions = scenario.solution
    shared = None if not share or action_problems(actions, scenario) else _shared_steps(scenario)
    if shared is None:
        sim, report = run_session(scenario, seed, actions, impact=False, telemetry=False)
        return sim, report, None
    steps, trap_at = shared
    sim = Simulation(scenario, seed, telemetry=False)
    for action in actions[:steps]:  # run_session's loop (nothing resolves or ends before trap_at)
        sim.run_until(float(action.at or 0.0))
        sim.apply(action)
    sim.run_until(trap_at)  # where run_session runs to for the next action, the first mitigation
    try:
        start: SharedStart | None = SharedStart(take(sim), steps)
    except NotRestorable:  # a process pending then cannot be re-created: the traps replay from zero
        start = None
    stop = float(scenario.duration)
    for action in actions[steps:]:  # run_session's loop, from where the shared steps left it
        if sim.finished or action.at > stop:  # (a time each: action_problems found none missing)
            break
        sim.run_until(float(action.at))
        sim.apply(action)
    sim.run_until(stop)
    sim.end(end_reason_of(sim))
    return sim, sim.score(impact=False), start


def _shared_steps(scenario: Scenario) -> tuple[int, float] | None:
    """How many of the solution's actions a trap run taken at the first mitigation applies exactly as the
    reference does before taking the trap, and the time both then run to (the first mitigation's).

    None when they share nothing safely: no mitigation, or the trap's steps before its time are not the
    reference's first actions in the same order (a resolve before the first mitigation), or that time is
    the scenario's end (run_session would then apply the mitigation of a finished session).
    """
    solution = list(scenario.solution)
    first = next((i for i, a in enumerate(solution) if a.action in MITIGATION_ACTIONS), None)
    if first is None:
        return None
    trap_at, _, keep = _trap_plan(scenario, 0)
    before = [a for a in keep if (a.at or 0.0) <= trap_at]  # play_trap's steps before the trap (stable sort)
    if trap_at != solution[first].at or trap_at >= scenario.duration:
        return None
    if len(before) != first or any(a is not b for a, b in zip(before, solution[:first], strict=True)):
        return None
    return first, trap_at


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


@dataclass(frozen=True)
class TrapRun:
    """A trap played: the report, the engine's refusal of a move (empty when all were taken), whether it sprang."""

    report: Report
    refused: str
    sprung: bool
    stopped_at: float | None = None
    """When the run was stopped after its last step, the trap shown to hurt (None: played to the end);
    ``report`` is then as of that time."""


def play_trap(
    scenario: Scenario,
    seed: int,
    trap: Trap,
    kept: int = 0,
    start: SharedStart | None = None,
    harm_over: int | None = None,
    retried: bool = False,
) -> TrapRun:
    """The solution's process steps and its first ``kept`` mitigations, then the trap's moves in place of
    the other mitigations, then its resolve.

    With ``kept`` 0 the trap is taken at the time of the first mitigation; with more, at the time of the
    next one (or a minute after the last). The moves are built from the world at that time (instances,
    zones: see simulator.session.trap_moves). Raises TrapMoveError when the trap cannot be made into actions.
    ``start`` (with ``kept`` 0 only): the reference's snapshot at the trap's time, restored instead of
    replaying the steps before it (the same run, bit for bit).

    ``harm_over`` (the reference's failed requests): once the last step is taken, a run whose every move
    was accepted, that sprang and has failed more requests than that, not resolved, stops there (see
    :data:`STILL_OPEN`); without it, or while those are not all shown, it plays on to the scenario's end.
    ``retried``: the caller tries the trap at the next point when a move is refused, so such a run stops
    at the refusal (its report, as of then, is for no one to show).
    """
    trap_at, resolve, keep = _trap_plan(scenario, kept)
    steps: list[tuple[float, Action | None]] = [(a.at or 0.0, a) for a in keep]
    steps += [(trap_at, None), (max(resolve.at or trap_at, trap_at), resolve)]
    steps.sort(key=lambda step: step[0])  # stable: a step at the trap's time stays before it
    if start is not None and kept == 0:
        sim = start.snapshot.restore()
        steps = steps[start.steps :]  # taken already: the next step is the trap, at the snapshot's time
    else:
        sim = Simulation(scenario, seed, telemetry=False)
    refused = ""
    for at, action in steps:
        sim.run_until(at)
        if sim.finished:
            break
        if action is not None:
            sim.apply(action)
            continue
        for gap, move in trap_moves(trap, sim):
            sim.run_until(sim.now + gap)
            result = sim.apply(move)
            if not result.accepted and not refused:
                refused = f"{move.action}: {result.message}"
        if refused and retried:
            return TrapRun(sim.score(impact=False), refused, _sprung(sim, trap), float(sim.now))
    sprung = _sprung(sim, trap)  # taken: no step is left to change it
    if harm_over is not None and sprung and not refused and not sim.finished:
        report = sim.score(impact=False)
        if report.failed_requests > harm_over and report.grade == GRADES[-1]:
            return TrapRun(report, refused, sprung, float(sim.now))
    sim.run_until(scenario.duration)
    sim.end(end_reason_of(sim))
    return TrapRun(sim.score(impact=False), refused, sprung)


def _sprung(sim: Simulation, trap: Trap) -> bool:
    return any(why == trap.why for _, _, why in sim.incident.harmful)


def trap_points(scenario: Scenario) -> int:
    """How many places a trap can be taken at: before each of the solution's mitigations, and after the last."""
    return sum(a.action in MITIGATION_ACTIONS for a in scenario.solution) + 1


def _trap_plan(scenario: Scenario, kept: int = 0) -> tuple[float, Action, list[Action]]:
    """When a trap is taken, its resolve, and the steps kept (process steps and the first ``kept`` mitigations)."""
    solution = sorted(scenario.solution, key=lambda a: a.at or 0.0)
    mitigations = [a for a in solution if a.action in MITIGATION_ACTIONS]
    resolves = [a for a in solution if a.action == "resolve"]
    resolve_at = resolves[-1].at if resolves and resolves[-1].at is not None else solution[-1].at or 0.0
    if kept < len(mitigations):
        trap_at = mitigations[kept].at or 0.0
    elif mitigations:  # after the last mitigation: once a drain or a rollout has started to take effect
        trap_at = min((mitigations[-1].at or 0.0) + AFTER_LAST_MITIGATION, resolve_at)
    else:
        trap_at = solution[0].at or 0.0
    resolve = ACTION_ADAPTER.validate_python({"action": "resolve", "at": max(resolve_at, trap_at)})
    kept_ids = {id(a) for a in mitigations[:kept]}
    keep = [a for a in solution if a.action != "resolve" and (a.action not in MITIGATION_ACTIONS or id(a) in kept_ids)]
    return trap_at, resolve, keep


def trap_actions(scenario: Scenario, trap: Trap) -> list[Action]:
    """The solution's process steps with ``trap``'s match (as one action) in place of its mitigations, then
    its resolve: the plan :func:`play_trap` follows, for a trap that is one concrete action.

    Raises ValidationError when the trap's ``match`` is not a complete action.
    """
    first_at, resolve, process = _trap_plan(scenario)
    trap_action = ACTION_ADAPTER.validate_python({**trap.match, "at": first_at})
    # Stable sort: at equal times the process step already taken stays before the trap.
    return sorted([*process, trap_action, resolve], key=lambda a: a.at or 0.0)


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
