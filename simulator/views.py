"""Immutable records the Simulation hands to views (TUI, reports, network seats).

Mutable state stays inside the Simulation; everything that crosses the boundary is one of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What became of an action: accepted (and what it started) or rejected (and why)."""

    accepted: bool
    message: str
    action: str
    t: float
    harmful: str | None = None
    """Why the action was harmful, when the model or the scenario's traps judge it so."""


@dataclass(frozen=True, slots=True)
class InstanceView:
    """One instance (pod) as a dashboard shows it."""

    id: str
    service: str
    zone: str
    version: str
    config: str
    state: str
    """starting, running, crashed (waiting in back-off), terminating."""
    ready: bool
    in_rotation: bool
    """Receiving traffic from the load balancer."""
    healthy: bool
    memory_mb: float
    memory_limit_mb: float
    cpu: float
    """CPU use, 0-1 of its allocation."""
    rate: float
    error_ratio: float
    pool_ratio: float
    restarts: int
    last_exit: str | None
    started_at: float


@dataclass(frozen=True, slots=True)
class ServiceView:
    """One service's current state and last-tick RED figures."""

    name: str
    kind: str
    owner: str
    versions: dict[str, int]
    """Instances per version."""
    configs: dict[str, int]
    """Instances per config revision."""
    desired: int
    ready: int
    rate: float
    error_ratio: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu: float
    memory_ratio: float
    pool_ratio: float
    restarts: int
    calls: dict[str, float]
    rate_limit: float | None
    shed_percent: float
    fallbacks: tuple[str, ...]
    memory_limit_mb: float


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One structured log line with OpenTelemetry log fields."""

    t: float
    level: str
    service: str
    version: str
    zone: str
    instance: str
    message: str
    trace_id: str = ""
    span_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, timestamp: str | None = None) -> dict[str, Any]:
        """The record as a JSON-ready dict (``timestamp`` is the rendered wall time, if known)."""
        out: dict[str, Any] = {
            "t": self.t,
            "level": self.level,
            "service": self.service,
            "version": self.version,
            "zone": self.zone,
            "instance": self.instance,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "message": self.message,
            "attributes": dict(self.attributes),
        }
        if timestamp is not None:
            out["timestamp"] = timestamp
        return out


@dataclass(frozen=True, slots=True)
class Span:
    """One span of a trace."""

    span_id: str
    parent_id: str
    service: str
    instance: str
    name: str
    kind: str
    """SERVER or CLIENT."""
    start_ms: float
    """Offset from the trace start."""
    duration_ms: float
    status: str
    """OK or ERROR."""
    status_code: int
    error_type: str = ""
    culprit: bool = False
    """The span where the failure or the slowness originates."""

    def __deepcopy__(self, memo: dict) -> Span:
        return self  # immutable: a session's snapshot shares it (simulator/session/snapshots.py)


@dataclass(frozen=True, slots=True)
class Trace:
    """A sampled trace: a span tree along the call graph."""

    trace_id: str
    t: float
    root_service: str
    name: str
    duration_ms: float
    status: str
    spans: tuple[Span, ...]

    def __deepcopy__(self, memo: dict) -> Trace:
        return self  # immutable: a session's snapshot shares it (simulator/session/snapshots.py)

    @property
    def error(self) -> bool:
        """True when the root span failed."""
        return self.status == "ERROR"


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """An entry of the change log: deploy, config push, flag flip, scaling, drain, restart."""

    t: float
    kind: str
    service: str
    summary: str
    by: str
    before: str = ""
    after: str = ""


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert and where it is in pending -> firing -> resolved."""

    name: str
    service: str
    severity: str
    state: str
    summary: str
    since: float
    """When it entered its current state."""
    fired_at: float | None
    resolved_at: float | None
    value: float


@dataclass(frozen=True, slots=True)
class PageView:
    """A page sent to the on-call."""

    number: int
    alert: str
    severity: str
    t: float
    acked_at: float | None
    escalated_at: float | None
    to: str


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """Something that happened: in the system (``source='system'``) or done by a seat."""

    t: float
    source: str
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class HypothesisView:
    """A hypothesis the trainee wrote."""

    id: int
    t: float
    text: str
    status: str
    """open, confirmed or rejected."""
    evidence: tuple[str, ...]
    decided_at: float | None


@dataclass(frozen=True, slots=True)
class Operation:
    """An action still taking effect (a rollout at 3/6, a config push propagating)."""

    id: int
    kind: str
    service: str
    summary: str
    started: float
    done: int
    total: int
    finished_at: float | None
    eta: float | None = None
    """When it should be done at the present pace (recovery paces and procedures only)."""
    note: str = ""
    """What slows it now, e.g. 'slowed x5: the deploy tool reaches hosts over the broken network'."""


@dataclass(frozen=True, slots=True)
class IncidentView:
    """The incident's process state."""

    state: str
    """open, resolved."""
    severity: str | None
    roles: dict[str, str]
    status_updates: tuple[tuple[float, str], ...]
    notes: tuple[tuple[float, str, str], ...]
    """(time, seat, text)."""
    hypotheses: tuple[HypothesisView, ...]
    resolved_at: float | None
    escalations: tuple[tuple[float, str], ...]
    hints: tuple[tuple[float, str], ...]
    """Hints released so far."""
    incident_severity: dict[int, str] = field(default_factory=dict)
    """Severity declared for one incident by its number (``severity`` is the latest declared for any)."""
    incident_roles: dict[int, dict[str, str]] = field(default_factory=dict)
    """Role holders named for one incident by its number (``roles`` are the session's)."""
    severity_for_all: str | None = None
    """Severity declared without naming an incident: every incident without its own has it."""


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """One incident of the session as the console shows it: the alerts grouped under it, its severity,
    who holds each role and where it stands (simulator.incident.incidents derives it)."""

    number: int
    """1 for the first incident of the session, then in the order they opened."""
    opened_at: float
    """When its first alert fired."""
    alerts: tuple[str, ...]
    """Its alerts (oldest first), each named with its service."""
    firing: int
    """How many of its alerts are pending or firing now."""
    pages: tuple[int, ...]
    """Numbers of the pages its alerts sent."""
    status: str
    """triggered, acknowledged, mitigated or resolved: from the simulated system, never from a claim."""
    acknowledgement: str
    """How its pages were acknowledged: no page, in time, after escalation, never."""
    escalated: bool
    """A page of it is open and has escalated to the secondary."""
    severity: str | None
    """SEV1-SEV3 as declared by the responders (None: not declared yet)."""
    roles: tuple[tuple[str, str], ...]
    """(role, holder) for the incident commander (imoc), communications (comms) and ops (tloc); the holder
    is empty when nobody was named and the view gave no default holder."""


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message that has arrived (its hidden kind is not included)."""

    t: float
    sender: str
    channel: str
    text: str


@dataclass(frozen=True, slots=True)
class RunbookView:
    """A runbook as the trainee reads it."""

    service: str
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class ToolStatus:
    """One of the team's own tools that runs on a service of the system (observability shares fate)."""

    tool: str
    """metrics, alerting, logging, status_page or pager."""
    service: str
    """Service it runs on."""
    down_since: float | None
    """When it stopped working (None: working)."""
    gaps: tuple[tuple[float, float | None], ...]
    """Every outage of the tool so far as (start, end); end None while it lasts."""
    via: str | None = None
    """The other tool whose outage blinds this one now (alerting reads the metrics pipeline), on
    ``service``; None when the tool's own service is down, or it works."""


@dataclass(frozen=True, slots=True)
class Compression:
    """Time compression in force: a long recovery is all that happens, so the clock may skip ahead."""

    speed: float
    """Simulated seconds per wall second while compressed."""
    operation: str
    """The recovery waited for."""
    eta: float
    """When it should be done."""
