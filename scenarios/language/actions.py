"""The action vocabulary: one list shared by the TUI, actions files, network seats and the journal.

Each action is a small frozen model selected by its ``action`` field. ``at`` is only used where an
action is scheduled ahead (actions files, reference solutions); live actions take the current time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from scenarios.durations import Duration, SignedDuration
from scenarios.language.base import Model, Name
from scenarios.language.events import Fault
from scenarios.limits import MAX_EVIDENCE, MAX_INCIDENT_NUMBER, MAX_MEMORY_MB, MAX_REPLICAS, MAX_RPS

Severity = Literal["SEV1", "SEV2", "SEV3"]
"""SEV1: service down, page now; SEV2: degraded; SEV3: minor, ticket."""


class ActionBase(Model):
    """Fields common to every action."""

    at: SignedDuration | None = None
    """Simulated time to apply it (actions files and solutions only; the loader and the checks refuse a
    time before 0 with a message of their own)."""


# --- incident process ---------------------------------------------------------------------------


class Ack(ActionBase):
    """Acknowledge a page (all open pages when ``page`` is omitted)."""

    action: Literal["ack"]
    page: int | None = None
    """Page number to acknowledge."""


class SetSeverity(ActionBase):
    """Declare an incident's severity (P1-P3)."""

    action: Literal["set_severity"]
    severity: Severity
    """SEV1 (P1), SEV2 (P2) or SEV3 (P3)."""
    incident_number: int | None = Field(default=None, ge=1, le=MAX_INCIDENT_NUMBER)
    """Incident number (the pager lists them); omitted: every incident without a severity of its own."""


class Escalate(ActionBase):
    """Bring in more help: the secondary, the service owner or an incident commander."""

    action: Literal["escalate"]
    to: str = "secondary"
    """Who is paged: secondary, owner, incident-commander, or a team handle."""


class AssignRole(ActionBase):
    """Give a named person an incident role."""

    action: Literal["assign_role"]
    role: Literal["imoc", "tloc", "comms", "scribe"]
    """imoc: incident commander; comms: communications; tloc: technical lead, runs ops; scribe: notes."""
    person: str
    """Who takes it."""
    incident_number: int | None = Field(default=None, ge=1, le=MAX_INCIDENT_NUMBER)
    """Incident number (the pager lists them); omitted: every incident without its own holder of the role."""


class StatusUpdate(ActionBase):
    """Post an update to the status page / stakeholders."""

    action: Literal["status_update"]
    text: str = Field(min_length=1)
    """What stakeholders are told."""


class Note(ActionBase):
    """Write a note in the incident channel."""

    action: Literal["note"]
    text: str = Field(min_length=1)
    """The note."""


class Hypothesis(ActionBase):
    """Add a hypothesis, or confirm or reject one by its number."""

    action: Literal["hypothesis"]
    op: Literal["add", "confirm", "reject"] = "add"
    """add a new one, or confirm / reject hypothesis ``id``."""
    text: str = ""
    """The hypothesis (for add)."""
    id: int | None = None
    """Hypothesis number (for confirm and reject)."""
    evidence: list[str] = Field(default_factory=list, max_length=MAX_EVIDENCE)
    """References to what supports it: log lines, trace ids, metrics."""


class Resolve(ActionBase):
    """Declare the incident resolved; judged against the simulated system, it reopens if premature."""

    action: Literal["resolve"]
    summary: str = ""
    """What fixed it, in the trainee's words."""


class Handoff(ActionBase):
    """Hand the incident over to someone else."""

    action: Literal["handoff"]
    to: str
    """Who takes over."""


class Inject(ActionBase):
    """A facilitator's live inject during a game day; seats never send it, replay and resume apply it."""

    action: Literal["inject"]
    kind: Literal["message", "alert", "fault", "hint", "scripted"]
    """message: a stakeholder writes; alert: an extra alert fires; fault: start ``optional_faults[index]``;
    hint: release ``hints[index]`` now; scripted: the scenario's ``messages[index]`` arrives ``delay``
    from now instead of at its own time (early or late; only while it has not arrived)."""
    text: str = ""
    """Message text, or the alert's summary."""
    sender: str = ""
    """Who the message is from."""
    channel: Literal["chat", "ticket", "email", "phone"] = "chat"
    """Where the message arrives."""
    name: str = ""
    """Alert name as the pager shows it."""
    service: Name | None = None
    """Service the alert is about."""
    severity: Literal["page", "ticket"] = "page"
    """Severity of the extra alert."""
    lasts: Duration = 1800.0
    """How long the extra alert keeps firing."""
    index: int | None = Field(default=None, ge=0)
    """Which optional fault or hint."""
    delay: Duration = 0.0
    """kind scripted: how long from now the scripted message arrives (0: now); kind hint: more than 0
    puts the hint off until then instead of releasing it now."""
    fault: Fault | None = None
    """kind fault: a fault to start now instead of ``optional_faults[index]`` (any type, on this
    scenario's services, zones and flags; its ``at`` is unused)."""


# --- mitigation ---------------------------------------------------------------------------------


class RollbackDeploy(ActionBase):
    """Roll a service back to its previous version, instance by instance."""

    action: Literal["rollback_deploy"]
    service: Name
    """Service to roll back."""
    to: str | None = None
    """Version to go back to (default: the one before the last deploy)."""


class RollbackConfig(ActionBase):
    """Revert a service's configuration to the previous revision."""

    action: Literal["rollback_config"]
    service: Name
    """Service whose config is reverted."""
    to: str | None = None
    """Revision to go back to (default: the one before the last push)."""


class Restart(ActionBase):
    """Restart one instance, or a whole service rolling (one at a time) or all at once."""

    action: Literal["restart"]
    service: Name
    """Service to restart."""
    instance: str | None = None
    """One instance only."""
    mode: Literal["rolling", "all"] = "rolling"
    """rolling keeps capacity; all takes every instance down together."""


class Scale(ActionBase):
    """Set a service's replica count (new instances go to undrained zones)."""

    action: Literal["scale"]
    service: Name
    """Service to scale."""
    replicas: int = Field(ge=0, le=MAX_REPLICAS)
    """Desired number of instances."""


class DrainZone(ActionBase):
    """Stop sending traffic to a zone (all services, or one)."""

    action: Literal["drain_zone"]
    zone: Name
    """Zone to drain."""
    service: Name | None = None
    """Only this service's instances in the zone."""


class UndrainZone(ActionBase):
    """Send traffic to a drained zone again."""

    action: Literal["undrain_zone"]
    zone: Name
    """Zone to undrain."""
    service: Name | None = None
    """Only this service."""


class RateLimit(ActionBase):
    """Cap the requests a service admits per second; the excess gets 429."""

    action: Literal["rate_limit"]
    service: Name
    """Service to protect (usually the edge)."""
    rps: float | None = Field(default=None, gt=0, le=MAX_RPS)
    """Admitted requests per second; omit to remove the limit."""
    client: str | None = None
    """Limit only this client's traffic (e.g. an app version); omit to limit everyone."""


class FeatureFlagAction(ActionBase):
    """Switch a feature flag on or off."""

    action: Literal["feature_flag"]
    flag: Name
    """Flag name."""
    enabled: bool
    """New state."""


class Failover(ActionBase):
    """Promote a replica of a database in another zone to primary."""

    action: Literal["failover"]
    service: Name
    """Database service."""
    host: str | None = None
    """For a database with ``data``: the replica host to promote, e.g. payments-db-2 (default: the
    least lagging one). A replica's lag is the writes a promotion loses."""


class ResyncReplica(ActionBase):
    """Wipe a database host's data directory and clone it again from the primary (destructive: run on
    the primary, it destroys the only current copy)."""

    action: Literal["resync_replica"]
    service: Name
    """Database service (with ``data``)."""
    host: str
    """Host whose data is wiped, e.g. payments-db-1 (check which host is the primary first)."""


class RestoreBackup(ActionBase):
    """Restore a database's primary from a backup: takes size / restore throughput; every write after
    the backup was taken is lost; a broken backup fails at the end."""

    action: Literal["restore_backup"]
    service: Name
    """Database service (with ``data``)."""
    backup: Name
    """Backup name, as data.backups lists it."""


class ShedClass(ActionBase):
    """Reject one traffic class at the entry (or admit it again) to protect the others."""

    action: Literal["shed_class"]
    service: Name
    """The entry service."""
    traffic_class: Name
    """Traffic class to shed, as traffic.classes names it."""
    enabled: bool = True
    """Shed it (or admit it again)."""
    percent: float = Field(default=100.0, gt=0, le=100)
    """Share of the class refused (50: every other request of the class, letting the rest through)."""


class Fallback(ActionBase):
    """Switch a caller to its fallback for one dependency (degraded answer instead of a call)."""

    action: Literal["fallback"]
    service: Name
    """Caller."""
    dependency: Name
    """Dependency to stop calling."""
    enabled: bool = True
    """Turn the fallback on (or off again)."""


class SetMemoryLimit(ActionBase):
    """Change a service's memory limit (a rolling restart applies it)."""

    action: Literal["set_memory_limit"]
    service: Name
    """Service."""
    limit_mb: float = Field(gt=0, le=MAX_MEMORY_MB)
    """New limit in MB."""


class ShedLoad(ActionBase):
    """Reject a share of non-critical requests at a service to protect what remains."""

    action: Literal["shed_load"]
    service: Name
    """Service shedding."""
    percent: float = Field(ge=0, le=100)
    """Share of requests rejected (0 stops shedding)."""


class FlushCache(ActionBase):
    """Empty a cache service."""

    action: Literal["flush_cache"]
    service: Name
    """Cache service."""


class TruncateLogs(ActionBase):
    """Truncate or compress old log files on a service's instances."""

    action: Literal["truncate_logs"]
    service: Name
    """Service."""
    instance: str | None = None
    """One instance only."""


class RenewCert(ActionBase):
    """Deploy a renewed TLS certificate to a service and reload it."""

    action: Literal["renew_cert"]
    service: Name
    """Service presenting the certificate."""


class RunProcedure(ActionBase):
    """Start one of the scenario's manual recovery procedures (recovery.procedures); its steps take
    simulated time and its actions take effect when the last step is done."""

    action: Literal["run_procedure"]
    procedure: Name
    """Procedure name."""


Action = Annotated[
    Ack
    | SetSeverity
    | Escalate
    | AssignRole
    | StatusUpdate
    | Note
    | Hypothesis
    | Resolve
    | Handoff
    | Inject
    | RollbackDeploy
    | RollbackConfig
    | Restart
    | Scale
    | DrainZone
    | UndrainZone
    | RateLimit
    | FeatureFlagAction
    | Failover
    | Fallback
    | SetMemoryLimit
    | ShedLoad
    | FlushCache
    | TruncateLogs
    | RenewCert
    | ResyncReplica
    | RestoreBackup
    | ShedClass
    | RunProcedure,
    Field(discriminator="action"),
]
"""Any action of the vocabulary, selected by its ``action`` field."""

ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
"""Validates a mapping into an Action (used by loaders, the journal and network seats)."""

ACTION_LIST_ADAPTER: TypeAdapter[list[Action]] = TypeAdapter(list[Action])
"""Validates a list of actions (an actions file)."""

PROCESS_ACTIONS = frozenset(
    {"ack", "set_severity", "escalate", "assign_role", "status_update", "note", "hypothesis", "resolve", "handoff"}
)
"""Actions of the incident process (communication and coordination)."""

MITIGATION_ACTIONS = frozenset(
    {
        "rollback_deploy",
        "rollback_config",
        "restart",
        "scale",
        "drain_zone",
        "undrain_zone",
        "rate_limit",
        "feature_flag",
        "failover",
        "fallback",
        "set_memory_limit",
        "shed_load",
        "flush_cache",
        "truncate_logs",
        "renew_cert",
        "resync_replica",
        "restore_backup",
        "shed_class",
        "run_procedure",
    }
)
"""Hands-on actions that change the system."""

FACILITATOR_ACTIONS = frozenset({"inject"})
"""Actions only a game-day facilitator takes (in neither list above: trainee UIs never offer them)."""

DESTRUCTIVE_ACTIONS = frozenset(
    {"restart", "scale", "drain_zone", "flush_cache", "truncate_logs", "failover", "resync_replica", "restore_backup"}
)
"""Actions a UI should confirm before sending."""

ACTION_NAMES = tuple(sorted(PROCESS_ACTIONS)) + tuple(sorted(MITIGATION_ACTIONS))
"""Every action name, process actions first."""
