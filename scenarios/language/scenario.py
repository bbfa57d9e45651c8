"""The root of a scenario file."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from scenarios.durations import Duration
from scenarios.language.actions import Action
from scenarios.language.base import Model, Name
from scenarios.language.events import Change, Fault, Noise
from scenarios.language.incident import Alerting, Hint, Par, Postmortem, Resolution, RootCause, Slo
from scenarios.language.topology import Topology, Traffic


class Trap(Model):
    """A tempting wrong move the scenario is built around; taking it counts as a harmful action."""

    match: dict[str, Any]
    """Fields an action must have to be this trap, e.g. {action: restart, service: checkout, mode: all}."""
    why: str
    """Why it is wrong, shown in the debrief."""


class Scenario(Model):
    """One incident scenario: the system, what goes wrong, and how the attempt is judged."""

    id: Name
    """Unique kebab-case id, e.g. checkout-oom-leak."""
    title: str
    """Short title shown on the wheel."""
    difficulty: int = Field(ge=1, le=5)
    """1 (first on-call shift) to 5 (seasoned responders)."""
    tags: list[str] = Field(default_factory=list)
    """Fault classes and topics, e.g. [memory, deploy]."""
    inspired_by: str | None = None
    """Public incident the scenario is modelled on."""
    briefing: str
    """What the trainee is told at the start; never the answer."""
    duration: Duration = Field(default=7200.0, gt=0)
    """Length of the exercise in simulated time."""
    tick: Duration = Field(default=1.0, gt=0, le=60)
    """Simulation step; telemetry has this resolution."""
    slo: Slo
    """The user-facing objective."""
    topology: Topology
    """The system."""
    traffic: Traffic = Traffic()
    """User traffic."""
    history: list[Change] = Field(default_factory=list)
    """Changes before (or during) the incident, in the change log."""
    faults: list[Fault] = Field(min_length=1)
    """What goes wrong."""
    noise: list[Noise] = Field(default_factory=list)
    """Red herrings and unrelated signals."""
    alerting: Alerting = Alerting()
    """Alert rules and paging."""
    resolution: Resolution = Resolution()
    """When the incident counts as resolved."""
    root_cause: RootCause
    """The hidden truth."""
    hints: list[Hint] = Field(default_factory=list)
    """Hints released over time."""
    solution: list[Action] = Field(min_length=1)
    """Reference solution: timed actions that resolve the incident (checked by verify)."""
    traps: list[Trap] = Field(default_factory=list)
    """Tempting wrong moves (also checked by verify)."""
    par: Par = Par()
    """Expert times."""
    postmortem: Postmortem = Postmortem()
    """Postmortem material."""
    secondary: str = "@sam (secondary on-call)"
    """Who a page escalates to."""
    primary: str = "you (primary on-call)"
    """Who the trainee is."""

    def service(self, name: str):
        """The service model called ``name`` (KeyError if unknown)."""
        for svc in self.topology.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    @property
    def entry_service(self) -> str:
        """Service that receives user traffic."""
        return self.traffic.entry or self.slo.service


__all__ = ["Scenario", "Trap", "Duration"]
