"""The shift's actions: the incident vocabulary aimed at one incident, plus what only a shift has.

A shift actions file is a YAML list in shift time::

    - {at: 3h05m, action: ack, page: 2}                 # a shift page (incident or false positive)
    - {at: 3h06m, incident: 1, action: set_severity, severity: SEV1}
    - {at: 3h20m, incident: 1, action: rollback_deploy, service: checkout}
    - {at: 5h, action: close_ticket, ticket: 3, note: "vendor confirmed, no action"}
    - {at: 11h50m, action: handoff_note, active_incidents: ["#2 checkout OOM, rolled back"], ...}

``incident: N`` sends any action of the vocabulary to incident N's simulation; ``ack`` without it
acknowledges shift pages (``page: N`` for one, all open ones without). Errors read ``file:line:col``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from scenarios.durations import Duration
from scenarios.language.actions import ACTION_ADAPTER, Action
from scenarios.language.base import Model
from scenarios.loader import (
    ScenarioError,
    SourceMap,
    SourceProblem,
    file_error,
    format_path,
    parse_yaml,
    read_yaml_file,
    validation_problems,
)
from simulator.shift.plan import MAX_INCIDENTS, MAX_SHIFT_HOURS

MAX_STEPS = 5000
"""An actions file longer than this is refused (a shift is not that busy)."""

NoteLine = Annotated[str, Field(min_length=1, max_length=300)]
NoteLines = Annotated[list[NoteLine], Field(max_length=20)]


class HandoffNote(Model):
    """The structured handoff written at the end of a shift for the next one."""

    action: Literal["handoff_note"] = "handoff_note"
    at: Duration | None = None
    active_incidents: NoteLines = Field(default_factory=list)
    """Incidents still open, one line each (name the incident number, scenario or service)."""
    investigations: NoteLines = Field(default_factory=list)
    """Investigations in progress: what is being looked at, by whom."""
    mitigations: NoteLines = Field(default_factory=list)
    """Mitigations in place or in progress (rollbacks, drains, rate limits...)."""
    recent_changes: NoteLines = Field(default_factory=list)
    """Deploys, config pushes and flag flips the next shift should know about."""
    workarounds: NoteLines = Field(default_factory=list)
    """Known workarounds in place."""
    upcoming: NoteLines = Field(default_factory=list)
    """Upcoming events: deploys, sales, maintenance."""

    def lines(self) -> list[tuple[str, str]]:
        """(section, line) of every line, sections in the order the next shift reads them."""
        return [(section, line) for section in HANDOFF_SECTIONS for line in getattr(self, section)]


HANDOFF_SECTIONS = ("active_incidents", "investigations", "mitigations", "recent_changes", "workarounds", "upcoming")


class CloseTicket(Model):
    """Close a ticket of the shift (done, or nothing to do)."""

    action: Literal["close_ticket"]
    at: Duration | None = None
    ticket: int = Field(ge=1, le=1000)
    """Ticket number."""
    note: str = Field(default="", max_length=300)
    """Why it is closed."""


ShiftOnlyAction = Annotated[HandoffNote | CloseTicket, Field(discriminator="action")]
SHIFT_ONLY_ADAPTER: TypeAdapter[HandoffNote | CloseTicket] = TypeAdapter(ShiftOnlyAction)
SHIFT_ONLY = ("handoff_note", "close_ticket")

StepAction = Action | HandoffNote | CloseTicket

FACILITATOR_ONLY = frozenset({"inject"})
"""Actions a shift's responder may not take."""


@dataclass(frozen=True)
class ShiftStep:
    """One timed step of a shift: an action, and the incident it is for (None: the shift itself)."""

    at: float
    action: StepAction
    incident: int | None = None

    def as_data(self) -> dict[str, Any]:
        """The step as the journal and actions files spell it (without ``at``)."""
        body = self.action.model_dump(mode="json", exclude_none=True, exclude={"at"}, by_alias=True)
        if self.incident is not None:
            body["incident"] = self.incident
        return body


def step_from_data(data: Any, at: float) -> ShiftStep:
    """Validate one step given as plain data (journal record, network); raise ValueError with the problem."""
    if not isinstance(data, dict):
        raise ValueError("a step is a mapping with an 'action'")
    body = dict(data)
    incident = body.pop("incident", None)
    if incident is not None and (not isinstance(incident, int) or isinstance(incident, bool)):
        raise ValueError(f"incident must be a number from 1 to {MAX_INCIDENTS}")
    if incident is not None and not 1 <= incident <= MAX_INCIDENTS:
        raise ValueError(f"incident must be a number from 1 to {MAX_INCIDENTS}")
    adapter = SHIFT_ONLY_ADAPTER if body.get("action") in SHIFT_ONLY else ACTION_ADAPTER
    try:
        action = adapter.validate_python(body)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    return ShiftStep(at, action, incident)


def load_steps(path: str | Path) -> list[ShiftStep]:
    """Read a shift actions file; raise ScenarioError listing every problem with file:line:col."""
    return load_steps_text(read_yaml_file(path), str(path))


def load_steps_text(text: str, filename: str) -> list[ShiftStep]:
    """Validate shift actions YAML text (see the module docstring for the format)."""
    data, positions, problems = parse_yaml(text, filename)
    example = "- {at: 3h05m, incident: 1, action: ack}"
    if not isinstance(data, list):
        raise file_error(filename, text, 1, 1, f"a shift actions file is a YAML list like '{example}'")
    if len(data) > MAX_STEPS:
        raise file_error(filename, text, 1, 1, f"{len(data)} steps; a shift actions file holds at most {MAX_STEPS}")
    steps: list[ShiftStep] = []
    previous = 0.0
    for i, item in enumerate(data):
        item_problems, step = _item(i, item, positions, filename)
        problems += item_problems
        if step is None:
            continue
        if step.at < previous:
            line, col = positions.find((i, "at"))
            problems.append(SourceProblem(filename, line, col, f"[{i}].at", "steps must be listed in time order"))
        previous = max(previous, step.at)
        steps.append(step)
    if problems:
        raise ScenarioError(problems, {filename: text})
    return steps


def _item(i: int, item: Any, positions: SourceMap, filename: str) -> tuple[list[SourceProblem], ShiftStep | None]:
    line, col = positions.find((i,))
    if not isinstance(item, dict):
        return [SourceProblem(filename, line, col, f"[{i}]", "each step is a mapping with 'at' and 'action'")], None
    body = dict(item)
    problems: list[SourceProblem] = []
    incident = body.pop("incident", None)
    if incident is not None and (isinstance(incident, bool) or not isinstance(incident, int)):
        problems.append(_at(filename, positions, (i, "incident"), f"a number from 1 to {MAX_INCIDENTS}"))
    elif incident is not None and not 1 <= incident <= MAX_INCIDENTS:
        problems.append(_at(filename, positions, (i, "incident"), f"must be from 1 to {MAX_INCIDENTS}"))
    shift_only = body.get("action") in SHIFT_ONLY
    if shift_only and incident is not None:
        problems.append(
            _at(filename, positions, (i, "incident"), f"{body['action']} is for the shift, not an incident")
        )
    adapter, root = (SHIFT_ONLY_ADAPTER, ShiftOnlyAction) if shift_only else (ACTION_ADAPTER, Action)
    try:
        action = adapter.validate_python(body)
    except ValidationError as exc:
        inner = SourceMap(
            {k[1:]: v for k, v in positions.values.items() if k[:1] == (i,)},
            {k[1:]: v for k, v in positions.keys.items() if k[:1] == (i,)},
        )
        for problem in validation_problems(exc, root, inner, filename):
            problems.append(
                SourceProblem(
                    problem.file, problem.line, problem.col, f"[{i}].{problem.path}".rstrip("."), problem.message
                )
            )
        return problems, None
    if action.action in FACILITATOR_ONLY:
        problems.append(_at(filename, positions, (i, "action"), "inject is a facilitator's action, not a responder's"))
    if action.at is None:
        problems.append(SourceProblem(filename, line, col, f"[{i}]", "every step needs an 'at' time (shift time)"))
    elif not 0 <= action.at <= MAX_SHIFT_HOURS * 3600.0:
        problems.append(_at(filename, positions, (i, "at"), f"must be between 0s and {MAX_SHIFT_HOURS:g}h"))
    if problems or action.at is None:
        return problems, None
    return problems, ShiftStep(float(action.at), action, incident)


def _at(filename: str, positions: SourceMap, loc: tuple, message: str) -> SourceProblem:
    line, col = positions.find(loc, at_key=False)
    return SourceProblem(filename, line, col, format_path(loc), message)
