"""The runs ``misfortune verify`` judges (simulator/session/verify.py): the reference, with the snapshot
its trap runs start from, and the trap runs.

A trap run takes the solution's process steps with the trap's moves in place of its mitigations, then a
resolve at the solution's resolve time. Up to the first mitigation those are the reference's own steps:
the reference takes a snapshot there (simulator/session/snapshots.py) and a trap run taken there
restores it instead of replaying them from zero, the same run bit for bit. A trap run given the
reference's failed requests stops after its last step once its check is decided (verify's ``STILL_OPEN``).
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.language.actions import ACTION_ADAPTER, MITIGATION_ACTIONS, Action
from scenarios.language.scenario import Scenario, Trap
from simulator.incident.scoring import GRADES, Report
from simulator.session.journal_session import end_reason_of
from simulator.session.runner import action_problems, run_session
from simulator.session.simulation import Simulation
from simulator.session.snapshots import NotRestorable, Snapshot, take
from simulator.session.trap_moves import trap_moves

AFTER_LAST_MITIGATION = 60.0
"""Seconds after the solution's last mitigation a trap is tried when the engine refused it earlier."""


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
    verify's ``STILL_OPEN``); without it, or while those are not all shown, it plays on to the scenario's end.
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
