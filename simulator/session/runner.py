"""Headless sessions: play a scenario with timed actions, and replay a journal to the same report.

Not tied to any view: the ``run``, ``replay`` and ``verify`` commands, tests and benchmarks all use it.
A session's journal header names the scenario by id, path and SHA-256 of the file's bytes, so a replay
can tell whether the scenario it finds is the one that was played.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scenarios.catalog import load_by_ref
from scenarios.durations import format_duration
from scenarios.language.actions import Action
from scenarios.language.scenario import Scenario
from scenarios.loader import ScenarioError, load_scenario
from simulator.incident.scoring import Report
from simulator.session.journal import Journal, JournalData, JournalError, read_journal
from simulator.session.simulation import TOOL_VERSION, Simulation
from simulator.views import ActionResult

END_RESOLVED = "resolved"
END_TIME_UP = "time_up"
END_UNTIL = "until"
END_INTERRUPTED = "interrupted"
"""End reasons written by headless sessions (``interrupted``: replay of a journal without an end record)."""


class SessionError(Exception):
    """Input a session cannot be run with (actions without a time or out of order, a changed scenario).

    ``problems`` holds one line per problem.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes (ties a journal to the exact scenario file)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
) -> tuple[Simulation, Report]:
    """Play ``actions`` at their times, stop once the incident is resolved or at ``until``, and score.

    ``until`` defaults to the scenario's duration; actions after it are not applied. ``on_result`` sees
    each applied action's result (rejections are not on the timeline). Raises SessionError for actions
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
        sim = Simulation(scenario, seed, journal)
        for action in actions:
            if sim.finished or action.at > stop:
                break
            sim.run_until(float(action.at))
            result = sim.apply(action)
            if on_result is not None:
                on_result(action, result)
        sim.run_until(stop)
        sim.end(_end_reason(sim, stop))
        return sim, sim.score()
    finally:
        if journal is not None:
            journal.close()


def _end_reason(sim: Simulation, stop: float) -> str:
    if sim.incident.state == "resolved":
        return END_RESOLVED
    if sim.now >= sim.scenario.duration:
        return END_TIME_UP
    assert sim.now >= stop, "a headless session ends only when resolved or at its stop time"
    return END_UNTIL


def replay_journal(path: str | Path) -> tuple[Simulation, Report]:
    """Re-simulate a journal: same scenario file, seed, actions, seats and times -> the same report.

    A journal without an end record (an interrupted session) is replayed up to its last action.
    Raises JournalError for an unreadable journal or one whose scenario is gone or has changed.
    """
    data = read_journal(path)
    scenario = scenario_of_journal(data, path)
    seed = data.header.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise JournalError(f"{path}:1: the header has no integer 'seed'")
    sim = Simulation(scenario, seed)
    for t, seat, action in data.actions:
        sim.run_until(t)
        sim.apply(action, seat)
    if data.end is not None:
        end_t, reason = float(data.end.get("t", sim.now)), str(data.end.get("reason", END_INTERRUPTED))
    else:
        end_t, reason = (data.actions[-1][0] if data.actions else 0.0), END_INTERRUPTED
    sim.run_until(end_t)
    sim.end(reason)
    return sim, sim.score()


def scenario_of_journal(data: JournalData, journal_path: str | Path) -> Scenario:
    """The scenario a journal was recorded with: its recorded file if unchanged, else the catalog's by id.

    Raises JournalError when neither is found or the file found is not byte-for-byte the one recorded.
    """
    header = data.header
    scenario_id = header.get("scenario")
    if not isinstance(scenario_id, str):
        raise JournalError(f"{journal_path}:1: the header does not name a scenario")
    recorded_hash = header.get("scenario_sha256")
    recorded_path = header.get("scenario_path")
    if isinstance(recorded_path, str) and Path(recorded_path).is_file():
        if recorded_hash is None or file_sha256(recorded_path) == recorded_hash:
            return _load(recorded_path, journal_path)
    try:
        scenario, found = load_by_ref(scenario_id)
    except ScenarioError as err:
        raise JournalError(f"{journal_path}: scenario {scenario_id!r} of this journal cannot be loaded: {err}") from err
    found_hash = file_sha256(found)
    if recorded_hash is not None and found_hash != recorded_hash:
        recorded = f" ({recorded_path})" if recorded_path else ""
        raise JournalError(
            f"{journal_path}: scenario {scenario_id!r} has changed since this session was recorded: "
            f"the journal has sha256 {recorded_hash[:12]}{recorded}, {found} now has sha256 {found_hash[:12]}; "
            "restore that version of the scenario file to replay it"
        )
    return scenario


def _load(scenario_path: str, journal_path: str | Path) -> Scenario:
    try:
        return load_scenario(scenario_path)
    except ScenarioError as err:
        raise JournalError(f"{journal_path}: the journal's scenario file does not load: {err}") from err
