"""What the incident is judged on: SLO, alerts, resolution, root cause, hints, par, postmortem."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scenarios.durations import Duration
from scenarios.language.actions import Severity
from scenarios.language.base import Model, Name


class Slo(Model):
    """The user-facing service level objective the incident is measured against."""

    service: Name
    """Service whose requests are the user-facing SLI."""
    availability: float = Field(default=99.9, gt=0, lt=100)
    """Objective for the share of successful requests, in percent."""
    latency_p99_ms: float | None = Field(default=None, gt=0)
    """Optional objective for p99 latency in ms."""
    window: Duration = 30 * 86400.0
    """Period the error budget is counted over."""
    sli_window: Duration = 60.0
    """Window the SLI is measured over when judging impact and recovery."""


class AlertRule(Model):
    """An alert rule on a service metric, with a ``for:`` window like Prometheus."""

    name: str
    """Alert name shown in the pager."""
    service: Name
    """Service the metric belongs to."""
    metric: Literal[
        "error_ratio",
        "p99_ms",
        "p50_ms",
        "rate",
        "cpu",
        "memory_ratio",
        "restarts",
        "ready_ratio",
        "pool_ratio",
        "disk_ratio",
        "hit_ratio",
        "retry_rate",
        "probe_success",
        "cert_days",
        "connections",
        "gc_ratio",
        "replication_lag_s",
    ]
    """Metric compared against the threshold."""
    op: Literal[">", "<"] = ">"
    """Comparison."""
    threshold: float
    """Threshold value (ratios are 0-1, latency in ms)."""
    window: Duration = 60.0
    """Averaging window of the metric."""
    for_: Duration = Field(default=120.0, alias="for")
    """How long the condition must hold before the alert fires (pending until then)."""
    severity: Literal["page", "ticket"] = "page"
    """A page wakes the on-call; a ticket waits."""
    summary: str = ""
    """Text shown with the alert."""


class Alerting(Model):
    """Alert rules; the SLO burn-rate alerts are added unless turned off."""

    slo_burn_alerts: bool = True
    """Add the fast (14.4x over 5m/1h) and slow (6x over 30m/6h) burn-rate alerts for the SLO."""
    rules: list[AlertRule] = Field(default_factory=list)
    """Extra rules."""
    ack_timeout: Duration = 300.0
    """A page not acknowledged within this time escalates to the secondary."""


class NotRunning(Model):
    """No instance of a service runs the given version."""

    service: Name
    """Service."""
    version: str
    """Version that must be gone."""


class ConfigNot(Model):
    """No instance of a service has the given configuration revision."""

    service: Name
    """Service."""
    revision: str
    """Revision that must be gone."""


class ZoneNoTraffic(Model):
    """No traffic goes to a zone (drained, or it is dead and ejected everywhere)."""

    zone: Name
    """Zone."""


class MemoryHeadroom(Model):
    """Every instance of a service stays below a share of its memory limit."""

    service: Name
    """Service."""
    below: float = Field(default=0.9, gt=0, le=1)
    """Share of the limit."""


class FlagState(Model):
    """A feature flag is in a given state."""

    flag: Name
    """Flag."""
    enabled: bool
    """Required state."""


class CacheWarm(Model):
    """A cache's hit ratio is back above a share of its warm hit ratio."""

    service: Name
    """The cache."""
    above: float = Field(default=0.8, gt=0, le=1)
    """Share of its warm hit ratio."""


class CertValid(Model):
    """A service's TLS certificate is valid."""

    service: Name
    """Service."""


class DiskHeadroom(Model):
    """Every instance of a service has its disk below a share of its size."""

    service: Name
    """Service."""
    below: float = Field(default=0.8, gt=0, le=1)
    """Share of the disk."""


class ClientContained(Model):
    """A client's surge no longer reaches a service: its flag is off or it is rate limited there."""

    service: Name
    """Service (the entry)."""
    client: str
    """Client label of the surge."""


class FallbackOn(Model):
    """A caller no longer depends on a dependency (its fallback or circuit breaker is on)."""

    service: Name
    """Caller."""
    dependency: Name
    """Dependency."""


class DataServing(Model):
    """A database with data has a primary and every copy serving again (none wiped, diverged, resyncing
    or restoring)."""

    service: Name
    """The database."""


class InstancesClean(Model):
    """Every instance of a service is running free of fault effects: no latched fault, no automation
    damage, no OS resource past its limit (they are gone only once each instance restarted)."""

    service: Name
    """Service."""


class Requirement(Model):
    """One condition on the simulated system: exactly one of the fields."""

    not_running: NotRunning | None = None
    """A version is gone."""
    config_not: ConfigNot | None = None
    """A config revision is gone."""
    zone_no_traffic: ZoneNoTraffic | None = None
    """A zone gets no traffic."""
    memory_headroom: MemoryHeadroom | None = None
    """Memory is below a share of the limit."""
    flag: FlagState | None = None
    """A flag is in a given state."""
    cache_warm: CacheWarm | None = None
    """A cache is warm again."""
    cert_valid: CertValid | None = None
    """A certificate is valid."""
    disk_headroom: DiskHeadroom | None = None
    """Disks have room."""
    client_contained: ClientContained | None = None
    """A client's surge is contained."""
    fallback: FallbackOn | None = None
    """A caller is on its fallback."""
    data_serving: DataServing | None = None
    """Every copy of a database's data serves again."""
    instances_clean: InstancesClean | None = None
    """Every instance of a service is free of fault effects (nothing latched, no OS resource exhausted)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Requirement:
        kinds = REQUIREMENT_KINDS
        if sum(getattr(self, k) is not None for k in kinds) != 1:
            raise ValueError(f"give exactly one of {', '.join(kinds)}")
        return self


REQUIREMENT_KINDS = (
    "not_running",
    "config_not",
    "zone_no_traffic",
    "memory_headroom",
    "flag",
    "cache_warm",
    "cert_valid",
    "disk_headroom",
    "client_contained",
    "fallback",
    "data_serving",
    "instances_clean",
)
"""The kinds of requirement, one field each."""


class Resolution(Model):
    """When the incident counts as resolved: every requirement holds and the SLI is healthy."""

    require: list[Requirement] = Field(default_factory=list)
    """Conditions on the system (root cause removed); defaults come from the faults."""
    any_of: list[Requirement] = Field(default_factory=list)
    """Alternatives: at least one must hold when given."""
    healthy_for: Duration = 300.0
    """How long the SLI must stay within objective."""


class RootCause(Model):
    """The hidden truth, revealed in the debrief."""

    service: Name
    """Where the root cause is."""
    category: str
    """Fault class, e.g. memory_leak, bad_config, zone_outage."""
    summary: str = ""
    """One paragraph explanation."""
    five_whys: list[str] = Field(default_factory=list)
    """The chain of whys, from symptom to root cause."""
    red_herrings: list[str] = Field(default_factory=list)
    """What looked related but was not, and why."""


class Hint(Model):
    """A hint released to the trainee after a delay."""

    after: Duration
    """Simulated time after which it is shown."""
    text: str
    """The hint."""


class Par(Model):
    """Expert times the attempt is compared with (from the impact start, except TTA from the page)."""

    tta: Duration = 300.0
    """Time to acknowledge."""
    ttm: Duration = 900.0
    """Time to mitigate."""
    ttr: Duration = 1800.0
    """Time to resolve."""


class ActionItem(Model):
    """A postmortem action item."""

    action: str
    """What to do."""
    owner: str = "@owner"
    """Who owns it."""
    priority: Literal["P0", "P1", "P2", "P3"] = "P2"
    """Priority."""


class Postmortem(Model):
    """Material for the postmortem draft."""

    expected_severity: Severity = "SEV2"
    """The severity a responder should declare."""
    action_items: list[ActionItem] = Field(default_factory=list)
    """Follow-up work."""
    lessons: list[str] = Field(default_factory=list)
    """Lessons learned."""
    went_well: list[str] = Field(default_factory=list)
    """What typically goes well."""
