"""Headless sessions: play a scenario with timed actions, journalled for a replay to the same report.

Not tied to any view: the ``run`` and ``verify`` commands, ``inspect``, tests and benchmarks use it.
A session's journal header names the scenario by id, path and SHA-256 of the file's bytes, so a replay
(simulator.session.journal_session) can tell whether the scenario it finds is the one that was played.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scenarios.durations import format_duration
from scenarios.language.actions import Action
from scenarios.language.scenario import Scenario
from simulator.incident.scoring import Report
from simulator.session.journal import Journal
from simulator.session.journal_session import end_reason_of, file_sha256
from simulator.session.simulation import TOOL_VERSION, Simulation
from simulator.views import ActionResult


class SessionError(Exception):
    """Input a session cannot be run with (actions without a time or out of order, a changed scenario).

    ``problems`` holds one line per problem.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def session_header(scenario: Scenario, seed: int, scenario_path: str | Path | None = None) -> dict[str, Any]:
    """The journal header of a session: scenario id, file path and SHA-256, seed, tool version."""
    path = Path(scenario_path).resolve() if scenario_path is not None else None
    return {
        "scenario": scenario.id,
        "scenario_path": str(path) if path is not None else None,
        "scenario_sha256": file_sha256(path) if path is not None else None,
        "seed": seed,
        "tool_version": TOOL_VERSION,
    }


def action_problems(actions: Sequence[Action], scenario: Scenario, source: str = "actions") -> list[str]:
    """Why a list of timed actions cannot be played: a missing time, times out of order or past the end."""
    problems = []
    previous = 0.0
    for i, action in enumerate(actions):
        where = f"{source}[{i}] ({action.action})"
        if action.at is None:
            problems.append(f"{where}: needs an 'at' time")
            continue
        if action.at < previous:
            problems.append(
                f"{where}: at {format_duration(action.at)} comes before the previous action's "
                f"{format_duration(previous)}; list actions in time order"
            )
        if action.at > scenario.duration:
            problems.append(
                f"{where}: at {format_duration(action.at)} is after the end of the scenario "
                f"({format_duration(scenario.duration)})"
            )
        previous = max(previous, action.at)
    return problems


def run_session(
    scenario: Scenario,
    seed: int,
    actions: Sequence[Action] = (),
    until: float | None = None,
    journal_path: str | Path | None = None,
    scenario_path: str | Path | None = None,
    on_result: Callable[[Action, ActionResult], None] | None = None,
    impact: bool = True,
    telemetry: bool = True,
) -> tuple[Simulation, Report]:
    """Play ``actions`` at their times, stop once the incident is resolved or at ``until``, and score.

    ``until`` defaults to the scenario's duration; actions after it are not applied. ``on_result`` sees
    each applied action's result (rejections are not on the timeline); ``impact=False`` scores without the
    replay of the same seed with nobody acting (verify compares its own baselines); ``telemetry=False``
    keeps no logs or traces (see :class:`Simulation`). Raises SessionError for actions
    without a time, out of order or after the scenario's end.
    """
    problems = action_problems(actions, scenario)
    if problems:
        raise SessionError(problems)
    stop = float(scenario.duration if until is None else min(until, scenario.duration))
    journal = None
    if journal_path is not None:
        journal = Journal(journal_path, session_header(scenario, seed, scenario_path))
    try:
        sim = Simulation(scenario, seed, journal, telemetry=telemetry)
        for action in actions:
            if sim.finished or action.at > stop:
                break
            sim.run_until(float(action.at))
            result = sim.apply(action)
            if on_result is not None:
                on_result(action, result)
        sim.run_until(stop)
        assert sim.finished or sim.now >= stop, "a headless session ends only when resolved or at its stop time"
        sim.end(end_reason_of(sim))
        return sim, sim.score(impact)
    finally:
        if journal is not None:
            journal.close()
