"""The narrow interface every view of a running incident goes through.

The single-player TUI implements it over an in-process Simulation (:class:`tui.session.LocalSession`);
a game-day seat implements it over the network. Screens and widgets only ever call these methods, so
they work the same in both. Nothing here exposes the hidden truth before the session has ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from scenarios.language.actions import Action
from simulator.diagnostics import ProfileRequest
from simulator.incident import Report
from simulator.reports import EvidenceFinding, PathStep, QuestionAnswer
from simulator.telemetry import Series
from simulator.views import (
    ActionResult,
    AlertView,
    ChangeRecord,
    Compression,
    IncidentRecord,
    IncidentView,
    InstanceView,
    LogRecord,
    MessageView,
    Operation,
    PageView,
    RunbookView,
    ServiceView,
    TimelineEvent,
    ToolStatus,
    Trace,
)
from tui.speeds import SPEEDS  # noqa: F401  (screens import it from the port)


@dataclass(frozen=True)
class Briefing:
    """What a trainee may know at the start: never the answer."""

    scenario_id: str
    title: str
    difficulty: int
    tags: tuple[str, ...]
    briefing: str
    duration_s: float
    slo_service: str
    slo_availability: float
    slo_latency_p99_ms: float | None
    primary: str
    secondary: str
    zones: tuple[str, ...]
    services: tuple[str, ...]
    flags: tuple[str, ...]
    seed: int
    ack_timeout_s: float


@dataclass(frozen=True)
class Debrief:
    """Everything revealed once the session has ended."""

    report: Report
    root_cause: dict[str, Any]
    faults: list[dict[str, Any]]
    solution: list[dict[str, Any]]
    traps: list[dict[str, Any]]
    timeline: list[TimelineEvent]
    postmortem: dict[str, Any]
    journal_path: str | None
    truth: dict[str, Any] = field(default_factory=dict)
    """The rest of the hidden truth: variant, messages with their kinds, evidence, stale runbooks."""
    looks: list[dict[str, Any]] = field(default_factory=list)
    """What the trainee looked at and when (the investigation path)."""
    investigation: list[PathStep] = field(default_factory=list)
    """The investigation path: each look, and which named evidence it found first."""
    evidence: list[EvidenceFinding] = field(default_factory=list)
    """The evidence the scenario names, and when (and by which look) the trainee found it."""
    questions: list[QuestionAnswer] = field(default_factory=list)
    """Stakeholder questions that arrived, and whether and when the trainee answered them."""
    end_reason: str | None = None
    """Why the session ended: resolved, time_up or gave_up."""
    tags: tuple[str, ...] = ()
    """The scenario's tags (with the root cause category, they give the fault class)."""
    mentor_flags: list[dict[str, Any]] = field(default_factory=list)
    """Moments a mentor flagged during a reverse shadow (``t``, ``seat``, ``text``), beside the timeline."""


class SessionPort(Protocol):
    """A running incident as a seat sees it."""

    journal_path: str | None

    # clock
    @property
    def now(self) -> float: ...
    @property
    def finished(self) -> bool: ...
    @property
    def speed(self) -> float: ...
    def set_speed(self, speed: float) -> None: ...
    def pump(self, wall_seconds: float) -> None:
        """Advance simulated time by ``speed x wall_seconds`` (a remote seat syncs instead)."""

    # what the trainee may know
    def briefing(self) -> Briefing: ...
    def services(self) -> list[ServiceView]: ...
    def instances(self, service: str | None = None) -> list[InstanceView]: ...
    def metric(
        self,
        service: str,
        metric: str,
        zone: str | None = None,
        version: str | None = None,
        instance: str | None = None,
        start: float | None = None,
        end: float | None = None,
        client: str | None = None,
    ) -> Series: ...
    def split_values(self, service: str, dimension: str) -> list[str]: ...
    def logs(self, **filters: Any) -> list[LogRecord]: ...
    def log_tail(self, index: int) -> tuple[list[LogRecord], int]:
        """Lines written after ``index`` (0 at first), and the index to ask from next time."""

    def traces(self, **filters: Any) -> list[Trace]: ...
    def trace(self, trace_id: str) -> Trace | None: ...
    def change_log(self) -> list[ChangeRecord]: ...
    def alert_list(self, include_resolved: bool = True) -> list[AlertView]: ...
    def pages(self) -> list[PageView]: ...
    def operation_list(self) -> list[Operation]: ...
    def timeline(self) -> list[TimelineEvent]:
        """Responder actions and visible system events (alerts, pages, operations, hints)."""

    def incident_view(self) -> IncidentView: ...
    def incidents(self) -> tuple[IncidentRecord, ...]:
        """The session's incidents: alerts grouped, each with status, severity, role holders and pages."""
        ...

    def sli_status(self) -> dict[str, Any]: ...
    def data_status(self) -> dict[str, Any]:
        """Databases (primary, hosts' roles and lag, backups) and traffic classes, waves, names, buffers."""
        ...

    def flags(self) -> dict[str, bool]: ...
    def messages(self) -> list[MessageView]:
        """Messages from colleagues, stakeholders and tickets that have arrived."""

    def runbooks(self) -> list[RunbookView]: ...
    def tool_status(self) -> list[ToolStatus]:
        """The team's tools that run on services of the system (metrics, alerting, logging, status page,
        pager) and since when each is down; empty when the scenario's tools never fail."""

    def compression(self) -> Compression | None:
        """Time compression in force (a long recovery is all that happens), or None."""

    # doing things
    def apply(self, action: Action) -> ActionResult: ...
    def look(self, what: str, **detail: Any) -> None:
        """Journal what the seat looked at (investigation path)."""

    def take_profile(self, kind: str, instance: str, seconds: float = 30.0) -> ProfileRequest:
        """Start a CPU/heap profile, thread dump or crash report (takes simulated time; journalled).
        Raises simulator.diagnostics.profiles.ProfileError for an unknown kind or instance."""

    def profile_request(self, request_id: int) -> ProfileRequest | None:
        """A profile request by id; its ``result`` (or ``error``) is set once it is ready."""

    def quit(self) -> None:
        """Leave mid-incident: the journal is kept for resume."""

    def end_now(self, reason: str = "gave_up") -> None:
        """End the session early (the trainee asked for the debrief)."""

    # after the end
    def debrief(self) -> Debrief:
        """Report and hidden truth; only valid once ``finished``."""
