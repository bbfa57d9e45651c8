"""The simulated system: zones, services, replicas, resources and the call graph."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from scenarios.durations import Duration
from scenarios.language.base import Model, Name
from scenarios.language.data import AsyncCall, DataSpec, Reconnect, TrafficClass
from scenarios.language.settings import FlagSettings
from scenarios.language.sources import TrafficSource
from scenarios.language.stacks import Stack
from scenarios.limits import (
    MAX_BACKOFF_S,
    MAX_CACHE_KEYS,
    MAX_CACHE_TTL_S,
    MAX_COLLAPSE,
    MAX_FAN_OUT,
    MAX_MEMORY_MB,
    MAX_POOL,
    MAX_REPLICAS,
    MAX_RPS,
    MAX_SERVICES,
    MAX_TRAFFIC_CLASSES,
    MAX_ZONES,
)

DEFAULT_LOAD_SPREAD = 0.05
"""Coefficient of variation of the per-instance load when a scenario says nothing: round-robin
balancing over requests of uneven cost keeps instances within about +/-10 % of the mean, so the
hottest reach capacity while the mean is near 88 % of it."""

FanOut = Annotated[float, Field(ge=0, le=MAX_FAN_OUT)]
"""Calls per request to one dependency (0.2: one request in five)."""


class Memory(Model):
    """Memory of one instance of a service."""

    base: float = Field(default=256.0, gt=0, le=MAX_MEMORY_MB)
    """Working set in MB of a freshly started instance."""
    limit: float = Field(default=1024.0, gt=0, le=MAX_MEMORY_MB)
    """Container memory limit in MB; an instance above it is OOM-killed (exit 137)."""

    @model_validator(mode="after")
    def _base_below_limit(self) -> Memory:
        if self.base >= self.limit:
            raise ValueError(f"base ({self.base} MB) must be below limit ({self.limit} MB)")
        return self


class Service(Model):
    """One service of the system, run as identical replicas spread across the zones."""

    name: Name
    """Service name, unique in the topology (kebab-case)."""
    kind: Literal["service", "database", "cache", "queue", "edge", "dns"] = "service"
    """What the service is; shapes its log messages and span names (``dns``: a resolver its clients
    name in ``dns``, failing with resolver errors rather than HTTP ones)."""
    replicas: int = Field(default=3, ge=1, le=MAX_REPLICAS)
    """Number of instances at t=0, placed round-robin across the zones."""
    version: str = "v1.0.0"
    """Version every instance runs at t=0."""
    config: str = "rev-1"
    """Configuration revision every instance has at t=0."""
    capacity_rps: float = Field(default=200.0, gt=0, le=MAX_RPS)
    """Requests per second one instance serves before it saturates and sheds load."""
    queue: Duration = Field(default=5.0, ge=0)
    """Seconds of work an instance queues when overloaded before it rejects the excess (503)."""
    latency_ms: float = Field(default=20.0, gt=0)
    """Median time the service spends on a request itself, excluding its dependencies."""
    latency_spread: float = Field(default=0.8, gt=0, le=3)
    """Log-normal sigma of its own latency (0.8 gives p99 about 6x p50)."""
    error_rate: float = Field(default=0.0001, ge=0, le=1)
    """Baseline share of requests that fail on a healthy instance."""
    memory: Memory = Memory()
    """Memory base and limit of one instance."""
    pool_size: int = Field(default=64, ge=1, le=MAX_POOL)
    """Connections (or worker threads) one instance has for calls to its dependencies."""
    timeout: Duration = Field(default=2.0, gt=0)
    """How long it waits for a dependency (or a pool connection) before failing the call."""
    primary_zone: Name | None = None
    """For a single-writer database: the zone of its primary. While the primary is unreachable, the
    share ``write_share`` of its requests (the writes) fail until a replica is promoted."""
    write_share: float = Field(default=0.3, ge=0, le=1)
    """For a database with a primary: share of requests that need the primary."""
    auto_failover: Duration | None = 90.0
    """Promote a replica automatically after this long without a primary; null = manual (failover)."""
    health_check: bool = True
    """Its load balancer ejects targets that fail health checks; false for client-side balancing that
    keeps sending to dead instances until they are drained."""
    startup: Duration = Field(default=20.0, ge=0)
    """Time from start to passing its readiness check."""
    routes: list[str] = Field(default_factory=list)
    """HTTP routes it serves, used for span names and log attributes (defaults by kind)."""
    calls: dict[Name, FanOut] = Field(default_factory=dict)
    """Call graph edges: dependency name -> calls per request (fan-out; 0.2 means one request in five)."""
    retries_flag: Name | None = None
    """Feature flag that enables the retries (retries apply only while it is on); none = always on."""
    cache_for: Name | None = None
    """For a cache: the service it fronts (cache-aside). Callers of the cache call that service on a miss."""
    hit_ratio: float = Field(default=0.95, ge=0, lt=1)
    """For a cache: the hit ratio when warm."""
    warm_minutes: float = Field(default=8.0, gt=0)
    """For a cache: minutes for an empty cache to refill most of the way when its backend answers."""
    max_connections: int | None = Field(default=None, ge=1, le=MAX_POOL)
    """For a database: connections it accepts in total; beyond it clients get 'too many clients'."""
    disk_gb: float = Field(default=100.0, gt=0)
    """Disk size of one instance."""
    disk_used_gb: float = Field(default=30.0, ge=0)
    """Disk used on a fresh instance (logs rotate at this level)."""
    cert_days_left: float = Field(default=212.0)
    """Days until its TLS certificate expires at t=0 (a cert_expiry fault overrides it)."""
    retries: int = Field(default=0, ge=0, le=5)
    """Retries per failed dependency call (each retry multiplies load on the dependency)."""
    backoff: Duration = Field(default=0.0, ge=0, le=MAX_BACKOFF_S)
    """Wait before each retry (adds to latency and holds a pool connection meanwhile)."""
    cache_ttl: Duration | None = Field(default=None, gt=0, le=MAX_CACHE_TTL_S)
    """For a cache: entry lifetime. Unset: entries live until evicted (hit ratio = hit_ratio). Set: the warm
    hit ratio is hit_ratio x r*ttl / (1 + r*ttl + r*fill), r = requests per second per key, fill = the
    backend's median latency (requests arriving while an expired key is refetched also miss: a stampede)."""
    cache_keys: int = Field(default=10_000, ge=1, le=MAX_CACHE_KEYS)
    """For a cache with cache_ttl: distinct hot keys the traffic spreads over."""
    heap_mb: float | None = Field(default=None, gt=0, le=MAX_MEMORY_MB)
    """Maximum heap (JVM -Xmx, Go GOMEMLIMIT) in MB. Set: garbage collection is modelled from the live set
    (half of memory.base) and the load; a heap close to the live set spends its CPU in GC."""
    collapse: float = Field(default=0.0, ge=0, le=MAX_COLLAPSE)
    """Share of its capacity a saturated instance loses as its queue fills (thrashing, lock contention,
    GC of queued requests). Above 0 an overload can become metastable: it lasts after its trigger is
    gone, until load is shed below the collapsed capacity."""
    owner: str = "@team"
    """Owning team or person, shown in dashboards and runbooks."""
    stack: Stack | None = None
    """Its runtime and code names as profiles and thread dumps show them (default: by kind)."""

    data: DataSpec | None = None
    """For a database with a ``primary_zone``: its data set, replication lag, backups and restore
    speed (opt-in; see scenarios/README.md, "Data")."""
    dns: Name | None = None
    """The resolver (a service of kind ``dns``) it looks up its dependencies' names with."""
    dns_ttl: Duration = Field(default=60.0, gt=0, le=86400)
    """For a ``dns`` service: how long its clients cache an answer."""
    withdraws_without: Name | None = None
    """For a ``dns`` service reached over anycast: its routes are announced only while this service is up
    (its health check); when that service is down (no instance serving, or failing more than half) the
    resolver withdraws them and nobody can reach it, though its own pods are healthy (Facebook, October
    2021: the DNS servers withdrew their prefixes when they lost the backbone)."""
    cache_ttl: Duration | None = Field(default=None, gt=0, le=86400)
    """For a cache: entries expire after this long; while its backend fails they cannot be refreshed,
    so the hit ratio decays with this time constant (null: entries never expire)."""
    reconnect: Reconnect | None = None
    """Its clients hold sessions and reconnect together when it comes back after failing."""
    load_spread: float = Field(default=DEFAULT_LOAD_SPREAD, ge=0, le=1)
    """Spread of the load its instances get (the coefficient of variation: uneven balancing, uneven
    request costs). Instances pushed past capacity give way first (their queue outlasts the callers'
    timeouts, or, with a queue shorter than those, they refuse their excess), so goodput degrades
    gradually as the mean load nears capacity: with the default 0.05, errors begin near 88 %
    utilisation. 0 opts out (every instance gets the mean load: a step at capacity); say why."""
    calls_async: dict[Name, AsyncCall] = Field(default_factory=dict)
    """Fire-and-forget dependencies: callee -> buffer, e.g. {events-queue: {calls: 1, buffer: 5000}}."""

    @model_validator(mode="after")
    def _no_self_call(self) -> Service:
        if self.name in self.calls or self.name in self.calls_async:
            raise ValueError(f"service {self.name!r} calls itself")
        return self


class FeatureFlag(Model):
    """A runtime feature flag, flipped without a deploy (its changes go to the flag audit log)."""

    name: Name
    """Flag name."""
    enabled: bool = False
    """State at t=0."""
    service: Name | None = None
    """Service that reads the flag (optional, for display)."""
    sets: list[FlagSettings] = Field(default_factory=list)
    """Settings the flag applies to services in one state: a kill switch's protection (while on, the
    rules engine rate-limits bots; switched off, the limit goes with it) or a code path's settings."""


class Topology(Model):
    """Zones, services and their call graph."""

    zones: list[Name] = Field(min_length=1, max_length=MAX_ZONES)
    """Availability zones, e.g. [eu-west-1a, eu-west-1b, eu-west-1c]."""
    services: list[Service] = Field(min_length=1, max_length=MAX_SERVICES)
    """Services, in any order; the call graph must be acyclic."""
    flags: list[FeatureFlag] = Field(default_factory=list)
    """Feature flags the trainee may flip."""


class Traffic(Model):
    """User traffic entering the system."""

    entry: Name | None = None
    """Service that receives user traffic (default: the SLO service)."""
    base_rps: float = Field(default=500.0, gt=0, le=MAX_RPS)
    """Mean requests per second at t=0 before the diurnal curve."""
    diurnal: bool = True
    """Follow a daily curve (peak early evening, trough at night)."""
    diurnal_amplitude: float = Field(default=0.3, ge=0, lt=1)
    """Relative swing of the daily curve."""
    start_hour: float = Field(default=14.0, ge=0, lt=24)
    """Local hour of day at t=0, positions the diurnal curve."""
    noise: float = Field(default=0.05, ge=0, le=0.5)
    """Relative size of seeded random fluctuation (slowly varying)."""
    sources: list[TrafficSource] = Field(default_factory=list)
    """Internal traffic: scheduled jobs, queue consumers, internal clients and probes calling one service
    directly, each with its own retries (they are not users: not in the SLI unless they call the SLO service)."""
    dns: Name | None = None
    """Resolver (a service of kind ``dns``) users look the entry's name up with, cached for its
    ``dns_ttl``: while it fails or cannot be reached, cached answers expire and those users' requests
    never arrive (failed in the SLI; the entry sees its traffic drop); when it answers again they come
    back within seconds, all together."""
    classes: list[TrafficClass] = Field(default_factory=list, max_length=MAX_TRAFFIC_CLASSES)
    """Classes of the entry's traffic with priorities (opt-in), e.g. [{name: interactive, share: 0.8,
    priority: 0}, {name: bulk, share: 0.2, priority: 2, deferrable: true}]; shares add up to 1."""
