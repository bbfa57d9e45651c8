"""Headless shifts: play one from timed steps, replay a journal to the same report, resume one.

Used by ``misfortune shift``, the TUI's shift screen, tests and ``bench/shift.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scenarios.catalog import library_dir, scenario_files
from scenarios.language.scenario import Scenario
from scenarios.loader import ScenarioError, load_scenario
from simulator.session.journal import JournalError, cut_torn_line
from simulator.session.journal_session import file_sha256
from simulator.session.simulation import TOOL_VERSION
from simulator.shift.handover import carry
from simulator.shift.journal import ShiftJournal, ShiftJournalData, read_shift_journal
from simulator.shift.plan import CarriedIncident, ShiftPlan, generate_plan
from simulator.shift.policy import DEFAULT_POLICY, EscalationPolicy
from simulator.shift.report import shift_report
from simulator.shift.shift import END_INTERRUPTED, END_SHIFT_OVER, Shift
from simulator.shift.steps import ShiftStep
from simulator.views import ActionResult

DEFAULT_HOURS = 12.0
DEFAULT_MAX_INCIDENTS = 2


@functools.cache
def shipped_library() -> dict[str, tuple[Scenario, Path]]:
    """Every shipped scenario a shift can play, by id, with its file (the plan draws from these, never user
    files). A scenario whose long recovery relies on time compression is left out: a shift's one clock
    runs every incident at once, so it cannot skip ahead for one of them."""
    out = {}
    for path in scenario_files(library_dir()):
        scenario = load_scenario(path)
        if scenario.recovery is not None and scenario.recovery.compress is not None:
            continue
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
    continue_from: str | Path | None = None,
) -> Shift:
    """A new shift at time 0, journalled to ``journal_path`` when given.

    With ``continue_from`` (a finished shift's journal) it is that shift's successor, follow-the-sun:
    the on-call clock goes on from its end and its open incidents are carried over, still running.
    """
    policy = policy or DEFAULT_POLICY
    plan, used = plan_shift(seed, hours, max_incidents, difficulty)
    if continue_from is not None:
        carried, starts_at = handed_over(continue_from)
        plan = plan.continuing(carried, starts_at)
        library = shipped_library()
        used = {i.scenario: library[i.scenario] for i in [*plan.carried, *plan.incidents]}
        previous = continue_from
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
    continue_from: str | Path | None = None,
) -> tuple[Shift, dict[str, Any]]:
    """Play a whole shift headless from timed steps; without steps nobody answers the pager."""
    shift = new_shift(seed, hours, max_incidents, policy, journal_path, previous, difficulty, continue_from)
    try:
        play_steps(shift, steps, on_result)
        return shift, shift_report(shift)
    finally:
        if shift.journal is not None:
            shift.journal.close()


def scenarios_of(data: ShiftJournalData, path: str | Path) -> dict[str, Scenario]:
    """The scenarios a shift journal played, checked byte for byte against the recorded SHA-256.

    Plans draw from the shipped library only, so that is where they are looked up (each file parsed once
    per process and per content, not the whole catalog again for every resume or rewind).
    """
    out = {}
    for incident in [*data.plan.carried, *data.plan.incidents]:
        try:
            found = _shipped_path(incident.scenario)
            now = file_sha256(found)
            scenario = _load_shipped(str(found), now)
        except (ScenarioError, OSError, KeyError) as err:
            raise JournalError(f"{path}: scenario {incident.scenario!r} of this shift cannot be loaded: {err}") from err
        recorded = data.scenarios.get(incident.scenario)
        if recorded is not None and now != recorded:
            raise JournalError(
                f"{path}: scenario {incident.scenario!r} has changed since this shift was recorded "
                f"(sha256 {recorded[:12]} then, {now[:12]} now at {found}); "
                "restore that version to replay it"
            )
        out[incident.scenario] = scenario
    return out


def _shipped_path(scenario_id: str) -> Path:
    """The shipped file of a scenario id: named after it (the library's habit), or found by reading the
    library (KeyError when it has no such scenario)."""
    named = library_dir() / f"{scenario_id}.yaml"
    if named.is_file() and _load_shipped(str(named), file_sha256(named)).id == scenario_id:
        return named
    library = shipped_library()
    if scenario_id not in library:
        raise KeyError(f"no shipped scenario {scenario_id!r}")
    return library[scenario_id][1]


@functools.lru_cache(maxsize=64)
def _load_shipped(path: str, sha256: str) -> Scenario:
    """A shipped scenario file, parsed once per content (the SHA-256 is part of the key)."""
    return load_scenario(path)


def rebuild_shift(data: ShiftJournalData, path: str | Path) -> Shift:
    """The shift of a journal with every record re-applied at its time (not run further, not ended)."""
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
    shift = rebuild_shift(data, path)
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
    shift = rebuild_shift(data, path)
    shift.run_until(data.last_t)
    cut_torn_line(path, data)  # drop a torn final write before appending
    shift.journal = ShiftJournal(path)
    return shift


def handed_over(path: str | Path) -> tuple[list[CarriedIncident], float]:
    """What the shift journalled at ``path`` hands over: its open incidents and the on-call clock at
    its end. Raises JournalError for a bad journal or a shift that has not ended yet."""
    data = read_shift_journal(path)
    if data.end is None:
        raise JournalError(
            f"{path}: this shift has not ended, so it cannot be handed over yet; finish it first "
            f"(misfortune shift --resume {path}, then end the shift)"
        )
    end = data.end[0]
    shift = rebuild_shift(data, path)
    shift.run_until(end)
    return carry(shift, end), data.plan.starts_at + end
