"""Things that happen on the timeline: history before t=0, faults, and noise (red herrings)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from scenarios.durations import Duration, SignedDuration
from scenarios.language.base import Model, Name
from scenarios.language.change_kinds import CapacityChange, MaintenanceRun, ProviderChange
from scenarios.language.settings import Settings
from scenarios.language.stacks import FunctionName
from scenarios.language.topology import FanOut
from scenarios.limits import MAX_OS_RESOURCE, MAX_ROLLOUT_STOP


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
    sets: Settings | None = None
    """Settings the version ships with (they apply to every instance running it)."""


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
    sets: Settings | None = None
    """Settings of the revision (they apply to every instance that loaded it)."""


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

    at: SignedDuration
    """When it happened (negative for before the incident)."""
    deploy: Deploy | None = None
    """A deploy."""
    config: ConfigPush | None = None
    """A configuration push."""
    flag: FlagFlip | None = None
    """A feature flag flip."""
    capacity: CapacityChange | None = None
    """A capacity change: replicas added or removed (by a person or an autoscaler)."""
    maintenance: MaintenanceRun | None = None
    """A maintenance script or automation run (recorded; it changes nothing by itself)."""
    provider: ProviderChange | None = None
    """A change on a provider's side: hidden from the change log, announced only by its status message."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Change:
        kinds = ("deploy", "config", "flag", "capacity", "maintenance", "provider")
        given = [k for k in kinds if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(kinds)}")
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
    capacity: CapacityChange | None = None
    """A harmless capacity change (it really scales the service)."""
    maintenance: MaintenanceRun | None = None
    """A harmless maintenance script or automation run in the change log."""
    provider: ProviderChange | None = None
    """A harmless provider-side change, announced only on the provider's status page."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Noise:
        kinds = ("deploy", "config", "flag", "alert", "log", "traffic", "capacity", "maintenance", "provider")
        given = [k for k in kinds if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(kinds)}")
        return self


class FaultScope(Model):
    """Where a fault hits: some zones (a region), and a share of the requests (a tenant or a cohort).

    Example: ``{zones: [eu-west-1a], share: 0.2, who: "tenants on shard 7"}``: only instances in
    eu-west-1a are affected, and only a fifth of their requests fail (error rates are scaled by it)."""

    zones: list[Name] = Field(default_factory=list, max_length=12)
    """Only instances in these zones (empty: every zone)."""
    share: float = Field(default=1.0, gt=0, le=1)
    """Share of the requests that belong to the affected tenants or cohort: error rates are multiplied by it."""
    who: str = ""
    """Who is affected, as support would describe them (shown in the failures' log lines)."""


class FaultBase(Model):
    """Fields every fault has."""

    at: Duration = 0.0
    """Onset time."""
    at_jitter: Duration = 0.0
    """Seeded variation of the onset: the fault starts between at and at + at_jitter."""
    scope: FaultScope | None = None
    """Only some regions, tenants or cohorts are hit (bad_deploy, bad_config, latency, automation_run)."""
    latched: bool = False
    """The effect stays on each instance it reached until that instance restarts, even once the trigger is
    gone (a reverted config whose bad state is cached in memory; bad_config and latency only)."""


class MemoryLeak(FaultBase):
    """Instances of a version leak memory until the kernel OOM-kills them; they restart with back-off."""

    type: Literal["memory_leak"]
    service: Name
    """Leaking service."""
    version: str | None = None
    """Only instances running this version leak (default: every version)."""
    mb_per_min: float = Field(default=6.0, gt=0)
    """Leak rate per instance (each instance varies by +-25 %, seeded)."""
    since: SignedDuration | None = None
    """When the leak really began (e.g. the deploy at -50m): instances running then start with what they leaked."""
    allocation_site: FunctionName | None = None
    """Function whose allocations are never freed, as a heap profile shows it (default: a cache in the
    service's code)."""


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
    hot_function: FunctionName | None = None
    """Function of the regression, where CPU profiles show the extra work and dumps the failing frame (default: by the
    service's stack)."""
    flag: Name | None = None
    """The regression sits behind this flag: it hurts only while the flag is on."""


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
    hot_function: FunctionName | None = None
    """Function the bad revision makes hot: a regex matcher when cpu_factor > 1 (catastrophic backtracking), the config
    parser otherwise (default: by the service's stack)."""
    on_version: str | None = None
    """Only instances running this version break on the revision (a latent bug the config triggers)."""
    crash: bool = False
    """Instances that load the revision crash (exit 139) when they load it and again at every boot: a
    crash loop. A crash-looping instance never stays up long enough to fetch a revert, so reverting stops
    new crashes but each looping instance must be replaced (restarted) once the revision is gone."""
    drops_network: bool = False
    """Instances that load the revision lose their network (an OS update that flushes routes): they stop
    answering, health checks eject them, and they cannot fetch a revert until they are replaced."""
    reach: float = Field(default=1.0, gt=0, le=1)
    """Share of instances that load the revision (an automatic update that runs on a timer on some nodes);
    the rest keep their old revision until the service's config is pushed again."""
    flag: Name | None = None
    """The code path that breaks sits behind this flag (a kill switch): it hurts only while the flag is on."""
    crash_after: Duration | None = None
    """The process exits (code 1, with error_message) this long after loading the revision: 0 = it fails to
    start; the orchestrator restarts it with back-off, so it crash-loops while the revision is in effect."""
    reload: bool = True
    """Running instances load the revision live; false: only instances started after the push read it (a
    restart is what breaks them)."""


class Latency(FaultBase):
    """A service slows down (an external provider, a noisy neighbour, a degraded disk)."""

    type: Literal["latency"]
    service: Name
    """Service that slows down."""
    factor: float = Field(default=10.0, gt=1)
    """Multiplier of its own latency."""
    zone: Name | None = None
    """Only its instances in this zone."""
    error_rate: float = Field(default=0.0, ge=0, le=1)
    """Extra failures while it lasts."""
    lasts: Duration | None = None
    """When it stops by itself (default: not during the scenario)."""
    error_message: str = "upstream request timeout"
    """Log message of the failures."""
    hot_function: FunctionName | None = None
    """Where the slow service's own threads wait (a degraded disk read, a lock); its callers wait in their client for
    it (default: by the service's stack)."""


class BadFlag(FaultBase):
    """A feature flag is switched on in stages and breaks the requests of the cohort it reaches."""

    type: Literal["bad_flag"]
    flag: Name
    """Flag switched on (declared under topology.flags)."""
    service: Name
    """Service whose requests fail for the cohort."""
    cohort: str = "users in the new checkout experiment"
    """Who is affected, as support would describe them."""
    stages: list[float] = Field(default_factory=lambda: [10.0, 50.0, 100.0])
    """Rollout percentages, one stage every ``stage_every``."""
    stage_every: Duration = 300.0
    """Time between rollout stages."""
    cohort_share: float = Field(default=1.0, gt=0, le=1)
    """Share of traffic in the targeted cohort at 100 % rollout."""
    error_rate: float = Field(default=0.8, ge=0, le=1)
    """Share of the cohort's requests that fail."""
    by: str = "@growth-team"
    """Who flipped it (flag audit log)."""
    error_message: str = "TypeError: Cannot read properties of undefined (reading 'price')"
    """Log message of the failures."""
    hot_function: FunctionName | None = None
    """Code path behind the flag, where the failing requests' stacks end (default: named after the flag)."""


class TrafficSurge(FaultBase):
    """Extra traffic from one client (a DoS, or one's own app version hammering an endpoint)."""

    type: Literal["traffic_surge"]
    client: str
    """Client label, e.g. ios-7.4.0 or bot-net; rate limits can target it."""
    factor: float = Field(default=5.0, gt=1)
    """Total traffic multiplier while it lasts (5 = four times normal on top)."""
    ramp: Duration = 120.0
    """Time to reach full strength."""
    lasts: Duration | None = None
    """When it stops by itself."""
    flag: Name | None = None
    """The surge comes from a client feature behind this flag: switching it off stops it."""
    route: str = "GET /api/sync"
    """Endpoint it concentrates on (shown in access logs)."""
    calls: dict[Name, FanOut] | None = None
    """Fan-out of the surge's requests from the entry (the route's backends); default: the entry's own.
    Every service named must be one the entry calls."""


class CacheFailure(FaultBase):
    """A cache loses its contents (restart, eviction storm): reads fall through to its backend."""

    type: Literal["cache_failure"]
    service: Name
    """The cache (a service with cache_for)."""
    hit_ratio: float = Field(default=0.0, ge=0, lt=1)
    """Hit ratio right after the failure."""


class DiskFill(FaultBase):
    """Debug logging switched on by a config push fills the disks until writes fail."""

    type: Literal["disk_fill"]
    service: Name
    """Service whose disks fill."""
    revision: str
    """Config revision that turns debug logging on (pushed at ``at``)."""
    gb_per_hour: float = Field(default=30.0, gt=0)
    """Fill rate per instance while the revision is active."""
    by: str = "@dev"
    """Who pushed it."""
    summary: str = "log level DEBUG for payments investigation"
    """Config audit log text."""


class CertExpiry(FaultBase):
    """A TLS certificate expires at ``at``: clients refuse to connect; nothing in the change log."""

    type: Literal["cert_expiry"]
    service: Name
    """Service presenting the certificate."""
    tls_share: float = Field(default=1.0, gt=0, le=1)
    """Share of its user traffic that arrives over TLS and fails the handshake; the rest (plain HTTP, an
    old client, an internal port) is still served. Calls from other services always use TLS."""
    probe: Literal["https", "http"] = "https"
    """How its synthetic probe checks it: an https probe fails with the certificate, a plain-http
    probe stays green while TLS clients fail (a blind spot)."""


class PoolLeak(FaultBase):
    """A version holds database connections longer (a leaked transaction): its pool saturates."""

    type: Literal["pool_leak"]
    service: Name
    """Service with the connection pool."""
    version: str
    """The leaking version; it is rolled out at ``at`` unless already running."""
    hold_ms: float = Field(default=400.0, gt=0)
    """Extra time each request holds a connection."""
    hot_function: FunctionName | None = None
    """Function that holds the connection too long (a transaction left open around a remote call), as thread dumps show
    it (default: by the service's stack)."""
    by: str = "@deploy-bot"
    """Who deploys it."""


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
    fail_share: float = Field(default=1.0, gt=0, le=1)
    """Share of requests to the zone's targets that hang (gray failures are often partial)."""
    gray: bool = False
    """Gray failure: health checks still pass (nothing is ejected, dashboards look healthy) but requests hang."""


class ReplicationLag(FaultBase):
    """Replicas of a database fall behind its primary (a slow disk, a long transaction, a saturated
    link): their lag grows until the fault ends, then they catch up. A failover to a lagging replica
    loses the writes in its lag."""

    type: Literal["replication_lag"]
    service: Name
    """Database (with ``data``) whose replicas lag."""
    zone: Name | None = None
    """Only the replica in this zone (default: every replica)."""
    rate: float = Field(default=0.5, gt=0, le=1)
    """Seconds of lag added per second (0.5: the replica applies half of the write stream)."""
    lasts: Duration | None = None
    """How long it lasts (default: to the end)."""


class Partition(FaultBase):
    """The network between one zone (a data centre) and every other zone is cut for a while. Hosts keep
    running and callers still reach the copies they used before, but nothing crosses the cut: a
    database's replication across it stops. If its primary is inside the cut, the failover agent (its
    quorum is outside) promotes the least lagging replica outside once the cut outlasts
    ``auto_failover``, while the old primary keeps taking writes until the cut heals: a split brain.
    When it heals, callers follow the new primary and the old one is left holding the writes it took
    that no other copy has (``simulator/world/data.py``)."""

    type: Literal["partition"]
    zone: Name
    """Zone cut off from the others."""
    lasts: Duration = Field(gt=0, le=86400)
    """How long the cut lasts (GitHub, October 2018: 43 s)."""


class AutomationRun(FaultBase):
    """A maintenance script or automation run works through a service's instances one by one and leaves
    each it touches broken until that instance restarts (it changed the host, not the version or config)."""

    type: Literal["automation_run"]
    service: Name
    """Service whose instances it works through."""
    name: str = Field(min_length=1)
    """Job or script name as the change log shows it, e.g. unattended-upgrades."""
    kind: Literal["script", "automation"] = "automation"
    """A maintenance script someone ran, or an automation run on a schedule."""
    by: str = "@automation"
    """Who or what ran it."""
    summary: str = ""
    """What the run does, as its log says."""
    every: Duration = Field(default=10.0, ge=0)
    """Time it spends on each instance before the next."""
    error_rate: float = Field(default=1.0, ge=0, le=1)
    """Share of requests that fail on an instance it touched."""
    latency_factor: float = Field(default=1.0, ge=1)
    """Latency multiplier on an instance it touched."""
    error_message: str = "dial tcp: connect: network is unreachable"
    """Log message of the failures."""
    flag: Name | None = None
    """Kill switch: switching this flag off stops the run (instances already touched stay broken)."""


class ResourceExhaustion(FaultBase):
    """A per-host OS resource (threads, file descriptors, ephemeral ports) runs past its limit: the work
    that needs one more fails with the native error. Use can grow with the fleet (a thread per peer)."""

    type: Literal["resource_exhaustion"]
    service: Name
    """Service whose hosts run out."""
    resource: Literal["threads", "file_descriptors", "ephemeral_ports"]
    """Which resource."""
    limit: float = Field(gt=0, le=MAX_OS_RESOURCE)
    """Per-host limit (ulimit -u, ulimit -n, the ephemeral port range)."""
    base: float = Field(default=0.0, ge=0, le=MAX_OS_RESOURCE)
    """Use of a freshly started instance."""
    per_peer: float = Field(default=0.0, ge=0, le=MAX_OS_RESOURCE)
    """Use per instance of ``peers`` the host has seen since it started (threads are not given back until
    a restart): the limit depends on the fleet size."""
    peers: Name | None = None
    """The fleet whose size drives ``per_peer`` (default: the service itself)."""
    per_rps: float = Field(default=0.0, ge=0, le=MAX_OS_RESOURCE)
    """Use per request per second the instance receives (sockets, connections in TIME_WAIT)."""
    per_minute: float = Field(default=0.0, ge=0, le=MAX_OS_RESOURCE)
    """Growth per minute of uptime (a descriptor leak), given back only by a restart."""
    error_message: str | None = None
    """Log message of the failures (default: the resource's native error)."""


class DeployChange(FaultBase):
    """An ordinary deploy of a new version whose settings differ (no bug of its own: the numbers are
    the problem). It is rolled out one instance at a time, and may stop part-way."""

    type: Literal["deploy"]
    service: Name
    """Service deployed."""
    version: str
    """Version rolled out."""
    sets: Settings = Settings()
    """Settings the new version ships with (its defaults changed in code, or a new client library)."""
    by: str = "@deploy-bot"
    """Who deploys it (deploy log)."""
    stop_after: int | None = Field(default=None, ge=0, le=MAX_ROLLOUT_STOP)
    """The rollout stops after replacing this many instances (a stuck rollout, a paused canary, a guard
    that halted it): the service then runs two versions side by side. Default: it completes."""
    pause_above: float | None = Field(default=None, gt=0, le=1)
    """A rollout guard (canary analysis): the rollout pauses, part-way, as soon as the new version's
    instances fail more than this share of their requests. Default: no guard."""


class ConfigChange(FaultBase):
    """An ordinary configuration push that changes settings (a timeout, a pool size, a TTL)."""

    type: Literal["config_change"]
    service: Name
    """Service whose configuration changes."""
    revision: str
    """New configuration revision, e.g. rev-43."""
    sets: Settings = Settings()
    """Settings of the new revision."""
    by: str = "@config-bot"
    """Who pushes it (config audit log)."""
    summary: str = ""
    """What the config tool's audit log says (default: the settings changed, old -> new)."""
    propagation: Duration = 30.0
    """Time for the push to reach every instance."""
    on_version: str | None = None
    """The revision's settings apply only on instances running this version (old code ignores new keys)."""


Fault = Annotated[
    MemoryLeak
    | BadDeploy
    | BadConfig
    | ZoneOutage
    | Latency
    | BadFlag
    | TrafficSurge
    | CacheFailure
    | DiskFill
    | CertExpiry
    | PoolLeak
    | DeployChange
    | ConfigChange
    | ReplicationLag
    | Partition
    | AutomationRun
    | ResourceExhaustion,
    Field(discriminator="type"),
]
"""A fault injected into the system; ``type`` selects the model."""
