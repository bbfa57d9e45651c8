"""Escalation policies as data, and the P1-P3 table that drives how a shift responds.

A policy is an ordered list of levels; every rotation a level names is notified at once; when nobody
acknowledges within the level's timeout the next level is notified; a level whose rotations have
nobody on call is skipped; the whole policy repeats up to ``repeat`` more times; an acknowledgement
stops it. A page keeps the policy it fired with (the pager holds the object, policies are frozen).

Policy files are YAML read with the scenario loader's safe loader, so every problem reads
``file:line:col: path: message`` and the command exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from scenarios.durations import Duration
from scenarios.language.base import Model, Name
from scenarios.loader import (
    ScenarioError,
    SourceProblem,
    file_error,
    parse_yaml,
    read_yaml_file,
    validation_problems,
)

LevelTimeout = Annotated[Duration, Field(ge=30.0, le=7200.0)]
"""How long a level waits for an acknowledgement: 30 s to 2 h."""

Handle = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^@?[A-Za-z0-9_.-]+$")]
"""Who is on call, e.g. ``@sam``."""


class Level(Model):
    """One escalation level: the rotations notified together, and how long they have to acknowledge."""

    notify: list[Name] = Field(min_length=1, max_length=8)
    """Rotations notified at once, e.g. [primary] or [secondary, manager]."""
    timeout: LevelTimeout = 300.0
    """No acknowledgement within this time -> the next level."""


class EscalationPolicy(Model):
    """Who is paged, in which order, and how often the whole sequence runs."""

    name: str = Field(default="default", min_length=1, max_length=60)
    """Shown in the report and the journal."""
    on_call: dict[Name, list[Handle]] = Field(max_length=12)
    """Who holds each rotation this shift; an empty list means nobody is on call for it."""
    levels: list[Level] = Field(min_length=1, max_length=10)
    """Levels in order; the first is notified when the page fires."""
    repeat: int = Field(default=1, ge=0, le=5)
    """How many more times the whole policy runs after its last level times out."""

    @model_validator(mode="after")
    def _rotations_declared(self) -> EscalationPolicy:
        for i, level in enumerate(self.levels):
            for rotation in level.notify:
                if rotation not in self.on_call:
                    declared = ", ".join(self.on_call) or "none"
                    raise ValueError(
                        f"levels[{i}] notifies rotation {rotation!r}, which on_call does not declare "
                        f"(declared: {declared}); add it under on_call (an empty list if nobody holds it)"
                    )
        return self

    def who(self, level: Level) -> list[str]:
        """Everyone a level notifies (empty: nobody on call, the level is skipped)."""
        return [handle for rotation in level.notify for handle in self.on_call.get(rotation, [])]

    def steps(self) -> tuple[list[PolicyStep], float]:
        """The walk of a page nobody acknowledges: each level's notification (or skip) by its offset in
        seconds after the page fired, and the offset at which the policy is exhausted. An
        acknowledgement stops the walk at the first step after it (the shift's pager and game days)."""
        out: list[PolicyStep] = []
        offset = 0.0
        for _ in range(self.repeat + 1):
            for index, level in enumerate(self.levels):
                who = tuple(self.who(level))
                out.append(PolicyStep(offset, index, who))
                if who:  # a level with nobody on call is skipped without waiting
                    offset += level.timeout
        return out, offset

    def as_data(self) -> dict[str, Any]:
        """The policy as plain data (journal header, report)."""
        return self.model_dump(mode="json")


PRIMARY = "@you"
"""The trainee's handle: primary on call."""

DEFAULT_POLICY = EscalationPolicy(
    name="default",
    on_call={"primary": [PRIMARY], "secondary": ["@sam"]},
    levels=[Level(notify=["primary"], timeout=300.0), Level(notify=["secondary"], timeout=600.0)],
    repeat=1,
)
"""Primary first; after 5 min without an acknowledgement the secondary; the whole thing once more."""


@dataclass(frozen=True)
class PolicyStep:
    """One step of a policy's walk: at ``offset`` seconds after the page, level ``level`` notifies ``who``
    (empty: nobody is on call for it, the level is skipped)."""

    offset: float
    level: int
    who: tuple[str, ...]


@dataclass(frozen=True)
class Priority:
    """One row of the severity table (DOMAIN.md): how an item of this priority is handled."""

    name: str
    severity: str
    """The declared severity that matches it (SEV1..SEV3)."""
    pages: bool
    """True: it pages through the escalation policy; False: it becomes a ticket."""
    ack_sla: float | None
    """Seconds to acknowledge a page of this priority."""
    war_room_within: float | None
    """Seconds after the first page by which a war room must be open (IMOC named, secondary paged)."""
    response: str


PRIORITIES: dict[str, Priority] = {
    "P1": Priority("P1", "SEV1", True, 300.0, 900.0, "service down: page now, war room within 15 min"),
    "P2": Priority("P2", "SEV2", True, 1800.0, None, "degraded: page, acknowledge within 30 min, investigate"),
    "P3": Priority("P3", "SEV3", False, None, None, "minor: a ticket for the next business day"),
}
"""The P1-P3 table."""

SEVERITY_TO_PRIORITY = {p.severity: p.name for p in PRIORITIES.values()}


def load_policy(path: str | Path) -> EscalationPolicy:
    """Read and validate a policy file; raise ScenarioError (file:line:col per problem)."""
    return load_policy_text(read_yaml_file(path), str(path))


def load_policy_text(text: str, filename: str) -> EscalationPolicy:
    """Validate policy YAML text; ``filename`` only names the source in messages."""
    data, positions, problems = parse_yaml(text, filename)
    if not isinstance(data, dict):
        raise file_error(filename, text, 1, 1, "an escalation policy is a mapping with on_call, levels and repeat")
    try:
        policy = EscalationPolicy.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc, EscalationPolicy, positions, filename)
        raise ScenarioError(problems, {filename: text}) from None
    if problems:
        raise ScenarioError(problems, {filename: text})
    return policy


def policy_from_data(data: Any, source: str) -> EscalationPolicy:
    """A policy recorded in a journal; raise ScenarioError naming ``source`` when it is not valid."""
    try:
        return EscalationPolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScenarioError([SourceProblem(source, 0, 0, where, first["msg"])]) from None
