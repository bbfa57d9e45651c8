"""Traps: tempting wrong moves written as predicates over the trainee's actions.

A trap names the fields an action must have (``match``; a text value is a glob pattern such as
``"*-db"``), and may narrow it to the zone or version the action touches, or to a sequence of such
actions (``count`` of them within ``within``; every instance of a service taken down within
``within``), or to a drain that leaves no healthy zone. The field match is pure and lives here (the
shadow's predictions and the loader's checks use it); the parts that need the world (zones, versions,
instances, earlier actions) are judged by the engine (simulator.incident.traps).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pydantic import Field, model_validator

from scenarios.durations import Duration
from scenarios.language.base import Model

GLOB_CHARS = frozenset("*?[")
"""Characters that make a text value of ``match`` a pattern rather than an exact value."""


class Trap(Model):
    """A tempting wrong move the scenario is built around; taking it counts as a harmful action."""

    match: dict[str, Any]
    """Fields an action must have to be this trap, e.g. {action: restart, service: checkout, mode: all}.
    A text value is a glob pattern: ``service: "*-db"`` matches any service whose name ends in -db."""
    zone: str | None = None
    """Glob: the action must touch this zone (the zone it drains, or the zone of an instance it restarts,
    scales or rolls back)."""
    version: str | None = None
    """Glob: the action must touch an instance running this version when it is taken."""
    count: int | None = Field(default=None, ge=2, le=100)
    """A sequence: the trap springs on the ``count``-th matching action within ``within``."""
    every_instance: bool = False
    """A sequence: the trap springs when matching actions within ``within`` have taken down every instance
    of the service (a restart of all at once does it in one move; instance restarts add up)."""
    within: Duration | None = Field(default=None, gt=0)
    """Window of a sequence (``count`` or ``every_instance``); default 60 s."""
    last_healthy_zone: bool = False
    """For ``drain_zone``: the drain leaves a service no zone that is both undrained and up."""
    why: str
    """Why it is wrong, shown in the debrief."""

    @model_validator(mode="after")
    def _consistent(self) -> Trap:
        action = self.match.get("action")
        if self.last_healthy_zone and action != "drain_zone":
            raise ValueError("last_healthy_zone is about drains: give match: {action: drain_zone, ...}")
        if self.every_instance and action != "restart":
            raise ValueError("every_instance is about restarts: give match: {action: restart, ...}")
        if self.within is not None and self.count is None and not self.every_instance:
            raise ValueError("within is the window of a sequence: give count or every_instance with it")
        return self

    @property
    def window(self) -> float:
        """The sequence window in seconds."""
        return self.within if self.within is not None else 60.0

    @property
    def sequence(self) -> bool:
        """Whether the trap needs several actions (or the history of earlier ones) to spring."""
        return self.count is not None or self.every_instance

    @property
    def needs_world(self) -> bool:
        """Whether the trap can only be judged with the world (zones, versions, earlier actions)."""
        return self.sequence or self.last_healthy_zone or self.zone is not None or self.version is not None


def is_pattern(value: Any) -> bool:
    """Whether a ``match`` value is a glob pattern (text with ``*``, ``?`` or ``[``)."""
    return isinstance(value, str) and any(c in GLOB_CHARS for c in value)


def value_matches(pattern: Any, value: Any) -> bool:
    """A text pattern matches text by glob (case-sensitive); any other value must be equal."""
    if isinstance(pattern, str) and isinstance(value, str):
        return fnmatchcase(value, pattern)
    return pattern == value


def fields_match(match: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Whether an action's fields (``body``, as dumped without None values) fit a trap's ``match``."""
    return all(k in body and value_matches(v, body[k]) for k, v in match.items())


def any_matches(pattern: str | None, values: set[str] | frozenset[str]) -> bool:
    """A missing pattern matches anything; otherwise one of ``values`` must fit it."""
    return pattern is None or any(fnmatchcase(v, pattern) for v in values)
