"""Headless shifts: play one from timed steps, replay a journal to the same report, resume one.

Used by ``misfortune shift``, the TUI's shift screen, tests and ``bench/shift.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scenarios.catalog import library_dir, load_by_ref, scenario_files
from scenarios.language.scenario import Scenario
from scenarios.loader import ScenarioError, load_scenario
from simulator.session.journal import JournalError, cut_torn_line
from simulator.session.journal_session import file_sha256
from simulator.session.simulation import TOOL_VERSION
from simulator.shift.journal import ShiftJournal, ShiftJournalData, read_shift_journal
from simulator.shift.plan import ShiftPlan, generate_plan
from simulator.shift.policy import DEFAULT_POLICY, EscalationPolicy
from simulator.shift.report import shift_report
from simulator.shift.shift import END_INTERRUPTED, END_SHIFT_OVER, Shift
from simulator.shift.steps import ShiftStep
from simulator.views import ActionResult

DEFAULT_HOURS = 12.0
DEFAULT_MAX_INCIDENTS = 2


@functools.cache
def shipped_library() -> dict[str, tuple[Scenario, Path]]:
    """Every shipped scenario by id, with its file (the plan draws from these, never user files)."""
    out = {}
    for path in scenario_files(library_dir()):
        scenario = load_scenario(path)
        out[scenario.id] = (scenario, path)
    return out


SHIFT_ROTA = (
    "az-outage",
    "bad-flag-cohort",
    "cache-stampede-db-overload",
    "cert-expiry",
    "checkout-oom-leak",
    "db-pool-exhaustion",
    "disk-full-debug-logging",
    "double-trouble",
    "edge-bad-config-push",
    "gray-zone-failure",
    "retry-storm",
    "self-dos-client-release",
    "slow-dependency-fallback",
)
"""The shipped scenarios a shift draws its incidents from. A scenario added to the library does not join
by itself: the draw samples this list, so a longer list changes every seed's shift (and the tests, the
bench's actions file and the seeds players remember). Adding one here is a deliberate change."""


def plan_shift(
    seed: int, hours: float = DEFAULT_HOURS, max_incidents: int = DEFAULT_MAX_INCIDENTS, difficulty: str = "normal"
) -> tuple[ShiftPlan, dict[str, tuple[Scenario, Path]]]:
    """The plan for a seed, and the scenarios (with files) its incidents play."""
    library = shipped_library()
    rota = [library[sid][0] for sid in SHIFT_ROTA if sid in library]
    plan = generate_plan(seed, hours, max_incidents, rota, difficulty)
    used = {i.scenario: library[i.scenario] for i in plan.incidents}
    return plan, used


def new_shift(
    seed: int,
    hours: float = DEFAULT_HOURS,
    max_incidents: int = DEFAULT_MAX_INCIDENTS,
    policy: EscalationPolicy | None = None,
    journal_path: str | Path | None = None,
    previous: str | Path | None = None,
    difficulty: str = "normal",
) -> Shift:
    """A new shift at time 0, journalled to ``journal_path`` when given."""
    policy = policy or DEFAULT_POLICY
    plan, used = plan_shift(seed, hours, max_incidents, difficulty)
    journal = None
    if journal_path is not None:
        header = {
            "plan": plan.model_dump(mode="json"),
            "policy": policy.as_data(),
            "scenarios": {sid: file_sha256(path) for sid, (_, path) in used.items()},
            "previous": str(Path(previous).resolve()) if previous is not None else None,
            "tool_version": TOOL_VERSION,
        }
        journal = ShiftJournal(journal_path, header)
    return Shift(plan, policy, {sid: s for sid, (s, _) in used.items()}, journal)


def play_steps(
    shift: Shift,
    steps: Sequence[ShiftStep],
    on_result: Callable[[ShiftStep, ActionResult], None] | None = None,
) -> None:
    """Apply each step at its shift time (steps before the shift's clock are refused), then run to the end."""
    for step in steps:
        if step.at > shift.length:
            break
        shift.run_until(step.at)
        result = shift.apply(step)
        if on_result is not None:
            on_result(step, result)
    shift.run_until(shift.length)
    shift.end(END_SHIFT_OVER)


def run_shift(
    seed: int,
    steps: Sequence[ShiftStep] = (),
    hours: float = DEFAULT_HOURS,
    max_incidents: int = DEFAULT_MAX_INCIDENTS,
    policy: EscalationPolicy | None = None,
    journal_path: str | Path | None = None,
    previous: str | Path | None = None,
    on_result: Callable[[ShiftStep, ActionResult], None] | None = None,
    difficulty: str = "normal",
) -> tuple[Shift, dict[str, Any]]:
    """Play a whole shift headless from timed steps; without steps nobody answers the pager."""
    shift = new_shift(seed, hours, max_incidents, policy, journal_path, previous, difficulty)
    try:
        play_steps(shift, steps, on_result)
        return shift, shift_report(shift)
    finally:
        if shift.journal is not None:
            shift.journal.close()


def scenarios_of(data: ShiftJournalData, path: str | Path) -> dict[str, Scenario]:
    """The scenarios a shift journal played, checked byte for byte against the recorded SHA-256."""
    out = {}
    for incident in data.plan.incidents:
        try:
            scenario, found = load_by_ref(incident.scenario)
        except ScenarioError as err:
            raise JournalError(f"{path}: scenario {incident.scenario!r} of this shift cannot be loaded: {err}") from err
        recorded = data.scenarios.get(incident.scenario)
        if recorded is not None and file_sha256(found) != recorded:
            raise JournalError(
                f"{path}: scenario {incident.scenario!r} has changed since this shift was recorded "
                f"(sha256 {recorded[:12]} then, {file_sha256(found)[:12]} now at {found}); "
                "restore that version to replay it"
            )
        out[incident.scenario] = scenario
    return out


def _rebuild(data: ShiftJournalData, path: str | Path) -> Shift:
    shift = Shift(data.plan, data.policy, scenarios_of(data, path))
    for t, seat, record in data.records:
        shift.run_until(t)
        if isinstance(record, EscalationPolicy):
            shift.set_policy(record)
        else:
            shift.apply(record, seat)
    return shift


def replay_shift(path: str | Path) -> tuple[Shift, dict[str, Any]]:
    """Re-simulate a shift journal: the same plan, policy and steps at the same times give the same report.

    A journal without an end record (an interrupted shift) is replayed up to its last record.
    """
    data = read_shift_journal(path)
    shift = _rebuild(data, path)
    end_t, reason = data.end if data.end is not None else (data.last_t, END_INTERRUPTED)
    shift.run_until(end_t)
    shift.end(reason)
    return shift, shift_report(shift)


def resume_shift(path: str | Path) -> Shift:
    """Continue an interrupted shift: replay its journal, then keep appending to it.

    Raises JournalError for a shift that has already ended.
    """
    data = read_shift_journal(path)
    if data.end is not None:
        raise JournalError(f"{path}: this shift ended ({data.end[1]}); start a new one with --after {path}")
    shift = _rebuild(data, path)
    shift.run_until(data.last_t)
    cut_torn_line(path, data)  # drop a torn final write before appending
    shift.journal = ShiftJournal(path)
    return shift
