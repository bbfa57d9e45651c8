"""The root of a scenario file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr

from scenarios.durations import Duration
from scenarios.language.base import Model, Name
from scenarios.language.events import Change, Fault, Noise
from scenarios.language.incident import Alerting, Hint, Par, Postmortem, Resolution, RootCause, Slo
from scenarios.language.messages import Claim, MessageCondition
from scenarios.language.observability import Observability
from scenarios.language.recovery import Recovery
from scenarios.language.solution import SolutionStep
from scenarios.language.topology import Topology, Traffic
from scenarios.language.traps import Trap
from scenarios.limits import MAX_ACTIONS, MAX_SCENARIO_S, MIN_TICK_S


class Runbook(Model):
    """A service's runbook as the team wrote it (possibly out of date)."""

    service: Name
    """Service it covers."""
    title: str
    """Title."""
    body: str
    """Markdown: architecture, dashboards to check, known failure modes, rollback procedure."""
    stale: bool = False
    """Deliberately out of date; the postmortem asks for it to be updated."""


class Message(Model):
    """A timed message from a colleague, a stakeholder or a ticket."""

    at: Duration
    """When it arrives."""
    from_: str = Field(alias="from")
    """Who sends it, e.g. '@lee (checkout developer)'."""
    channel: Literal["chat", "ticket", "email", "phone"] = "chat"
    """Where it arrives."""
    text: str
    """The message."""
    kind: Literal["clue", "noise", "question"] = "noise"
    """Hidden until the debrief: a clue, noise, or a question the IMOC should answer."""
    expects: str | None = None
    """For a question: what a good answer covers (shown in the debrief)."""
    when: MessageCondition | None = None
    """Arrives only if this holds at its time, e.g. {action: status_update} (otherwise it never arrives)."""
    unless: MessageCondition | None = None
    """Does not arrive if this holds at its time, e.g. {action: status_update, within: 10m}."""
    claims: list[Claim] = Field(default_factory=list)
    """What the message says about the system, checked by verify, e.g. [{alert: DiskFull, fires: false}]."""


class Evidence(Model):
    """Something a good responder would look at; the debrief compares the trainee's path with it."""

    kind: Literal["change", "log", "trace", "metric", "runbook", "profile", "split"]
    """What kind of look it is."""
    description: str
    """What it shows, in a sentence."""
    service: Name | None = None
    """Service it is about."""
    match: str | None = None
    """Text that identifies it: a metric name, a log message fragment, a change summary fragment."""


class Scenario(Model):
    """One incident scenario: the system, what goes wrong, and how the attempt is judged."""

    _template: dict[str, Any] | None = PrivateAttr(default=None)
    _chosen: dict[str, str] = PrivateAttr(default_factory=dict)

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
    duration: Duration = Field(default=7200.0, gt=0, le=MAX_SCENARIO_S)
    """Length of the exercise in simulated time."""
    tick: Duration = Field(default=1.0, ge=MIN_TICK_S, le=60)
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
    optional_faults: list[Fault] = Field(default_factory=list)
    """Faults a game-day facilitator may inject live (a second fault); never started on their own."""
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
    solution: list[SolutionStep] = Field(min_length=1, max_length=MAX_ACTIONS)
    """Reference solution: timed actions that resolve the incident (checked by verify); each step may say
    ``why`` the expert took it and what it ``looked_at`` first (played by ``misfortune shadow``)."""
    traps: list[Trap] = Field(default_factory=list)
    """Tempting wrong moves (also checked by verify)."""
    par: Par = Par()
    """Expert times."""
    postmortem: Postmortem = Postmortem()
    """Postmortem material."""
    runbooks: list[Runbook] = Field(default_factory=list)
    """Runbooks the trainee can read in the console."""
    messages: list[Message] = Field(default_factory=list)
    """Messages from colleagues, stakeholders and tickets."""
    evidence: list[Evidence] = Field(default_factory=list)
    """What a good responder would look at."""
    variables: dict[str, list[str]] = Field(default_factory=dict)
    """Seeded variants: each variable takes one of its values per seed; write ${name} in any string."""
    secondary: str = "@sam (secondary on-call)"
    """Who a page escalates to."""
    primary: str = "you (primary on-call)"
    """Who the trainee is."""
    recovery: Recovery | None = None
    """How long this system's fixes take, what slows them, manual procedures and time compression (default:
    the engine's own paces)."""
    observability: Observability | None = None
    """Which services the team's own tools (metrics, alerting, logging, status page, pager) run on: they
    fail with them (default: the tools never fail)."""

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

    @property
    def chosen(self) -> dict[str, str]:
        """The variable values this scenario was built with (empty without variables)."""
        return dict(self._chosen)

    def with_template(self, template: dict[str, Any], chosen: dict[str, str]) -> Scenario:
        """Remember the raw data with placeholders, so :meth:`for_seed` can build other variants."""
        self._template = template
        self._chosen = dict(chosen)
        return self

    def for_seed(self, seed: int) -> Scenario:
        """The variant a seed plays (itself when the scenario has no variables)."""
        if not self.variables or self._template is None:
            return self
        from scenarios.language.variants import choose, substitute

        chosen = choose(self.variables, seed)
        if chosen == self._chosen:
            return self
        return Scenario.model_validate(substitute(self._template, chosen)).with_template(self._template, chosen)


__all__ = ["Scenario", "Trap", "Duration"]
