"""Things that happen on the timeline: history before t=0, faults, and noise (red herrings)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from scenarios.durations import Duration
from scenarios.language.base import Model, Name


class Deploy(Model):
    """A new version rolled out to a service."""

    service: Name
    """Service deployed."""
    to: str
    """Version rolled out."""
    from_: str | None = Field(default=None, alias="from")
    """Version replaced (defaults to the version running before)."""
    by: str = "@deploy-bot"
    """Who deployed it."""


class ConfigPush(Model):
    """A configuration revision pushed to a service (not a deploy: it is not in the deploy log)."""

    service: Name
    """Service whose configuration changes."""
    to: str
    """New configuration revision, e.g. rev-42."""
    from_: str | None = Field(default=None, alias="from")
    """Revision replaced (defaults to the revision in effect)."""
    by: str = "@config-bot"
    """Who pushed it."""
    summary: str = ""
    """What changed, as the config tool's audit log shows it."""


class FlagFlip(Model):
    """A feature flag switched on or off."""

    flag: Name
    """Flag name (declared under topology.flags)."""
    enabled: bool
    """New state."""
    by: str = "@flag-bot"
    """Who flipped it."""


class Change(Model):
    """One entry of the change log: exactly one of deploy, config, flag."""

    at: Duration
    """When it happened (negative for before the incident)."""
    deploy: Deploy | None = None
    """A deploy."""
    config: ConfigPush | None = None
    """A configuration push."""
    flag: FlagFlip | None = None
    """A feature flag flip."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Change:
        given = [k for k in ("deploy", "config", "flag") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of deploy, config or flag")
        return self


class NoiseAlert(Model):
    """An alert unrelated to the incident, firing at a time (a red herring or a distraction)."""

    name: str
    """Alert name as shown in the pager."""
    service: Name
    """Service it is about."""
    severity: Literal["page", "ticket"] = "ticket"
    """A page wakes someone; a ticket waits."""
    summary: str = ""
    """One-line description shown with the alert."""
    lasts: Duration = 600.0
    """How long it keeps firing before it resolves by itself."""


class NoiseLog(Model):
    """A recurring, harmless log message (the kind everyone learns to ignore)."""

    service: Name
    """Service that logs it."""
    level: Literal["DEBUG", "INFO", "WARN", "ERROR"] = "WARN"
    """Log level."""
    message: str
    """The message text."""
    every: Duration = 30.0
    """Mean interval between occurrences."""


class TrafficSpike(Model):
    """A burst of extra user traffic (a marketing mail, a bot) that is not the cause."""

    factor: float = Field(gt=0)
    """Traffic multiplier while it lasts."""
    lasts: Duration = 300.0
    """Duration of the spike."""


class Noise(Model):
    """A red herring or unrelated signal: exactly one of deploy, config, flag, alert, log, traffic."""

    at: Duration = 0.0
    """When it starts."""
    deploy: Deploy | None = None
    """A harmless deploy of another service."""
    config: ConfigPush | None = None
    """A harmless configuration push."""
    flag: FlagFlip | None = None
    """A harmless flag flip."""
    alert: NoiseAlert | None = None
    """An unrelated alert."""
    log: NoiseLog | None = None
    """A recurring harmless log line."""
    traffic: TrafficSpike | None = None
    """A harmless traffic spike."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Noise:
        kinds = ("deploy", "config", "flag", "alert", "log", "traffic")
        given = [k for k in kinds if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(kinds)}")
        return self


class FaultBase(Model):
    """Fields every fault has."""

    at: Duration = 0.0
    """Onset time."""
    at_jitter: Duration = 0.0
    """Seeded variation of the onset: the fault starts between at and at + at_jitter."""


class MemoryLeak(FaultBase):
    """Instances of a version leak memory until the kernel OOM-kills them; they restart with back-off."""

    type: Literal["memory_leak"]
    service: Name
    """Leaking service."""
    version: str | None = None
    """Only instances running this version leak (default: every version)."""
    mb_per_min: float = Field(default=6.0, gt=0)
    """Leak rate per instance (each instance varies by +-25 %, seeded)."""
    since: Duration | None = None
    """When the leak really began (e.g. the deploy at -50m): instances running then start with what they leaked."""


class BadDeploy(FaultBase):
    """A version with a regression: its instances fail or slow down requests."""

    type: Literal["bad_deploy"]
    service: Name
    """Service deployed."""
    version: str
    """The bad version; it is rolled out at ``at`` unless it is already running."""
    by: str = "@deploy-bot"
    """Who deploys it (shown in the deploy log)."""
    error_rate: float = Field(default=0.2, ge=0, le=1)
    """Extra share of failed requests on instances of the bad version."""
    latency_factor: float = Field(default=1.0, ge=1)
    """Multiplier of the service's own latency on instances of the bad version."""
    error_message: str = 'java.lang.NullPointerException: Cannot invoke "Cart.items()" because "cart" is null'
    """Log message of the failures."""


class BadConfig(FaultBase):
    """A configuration push whose new revision breaks the instances that load it."""

    type: Literal["bad_config"]
    service: Name
    """Service whose configuration is pushed."""
    revision: str
    """The bad revision, pushed at ``at``."""
    by: str = "@config-bot"
    """Who pushes it."""
    summary: str = "update routing rules"
    """What the config tool's audit log says about the push."""
    propagation: Duration = 30.0
    """Time for the push to reach every instance."""
    error_rate: float = Field(default=0.4, ge=0, le=1)
    """Extra share of failed requests on instances with the bad revision."""
    cpu_factor: float = Field(default=1.0, ge=1)
    """CPU cost multiplier on those instances (reduces their capacity: a pinned CPU)."""
    error_message: str = "failed to apply config: invalid value for key 'routes[12].timeout'"
    """Log message of the failures."""


class ZoneOutage(FaultBase):
    """A zone loses power or network: its instances stop answering; the load balancer ejects them."""

    type: Literal["zone_outage"]
    zone: Name
    """Zone lost."""
    lasts: Duration | None = None
    """When the zone comes back by itself (default: not during the scenario)."""
    eject_after: Duration = 60.0
    """Time until the load balancer's health checks eject the dead targets."""
    hang: Duration = 3.0
    """How long a request to a dead target hangs before it times out."""


Fault = Annotated[MemoryLeak | BadDeploy | BadConfig | ZoneOutage, Field(discriminator="type")]
"""A fault injected into the system; ``type`` selects the model."""
