"""Mutable world state: instances, services, zones, flags. Owned by one Simulation."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from scenarios.language.topology import Service as ServiceSpec
from scenarios.language.topology import Topology
from simulator.world.settings import Tuning, base_tuning

# Instance lifecycle states.
STARTING = "starting"
RUNNING = "running"
CRASHED = "crashed"  # dead, waiting out its restart back-off
TERMINATING = "terminating"


_WATCHED = frozenset(
    {
        "state",
        "ready",
        "ejected",
        "broken_since",
        "version",
        "config",
        "fx_err",
        "fx_lat",
        "fx_cpu",
        "zone",
        "leak_per_s",
        "memory_limit",
    }
)
"""Instance fields that change which cohort it belongs to (or whether it is in rotation)."""


class Cohort:
    """Instances of one service in the same state: the tick model computes their figures once."""

    __slots__ = (
        "key",
        "members",
        "zones",
        "dead_zone",
        "rate",
        "errors",
        "cpu",
        "pool_ratio",
        "lat_factor",
        "p99",
        "backlog",
        "gc",
        "collapse",
    )

    def __init__(self, key: tuple, dead_zone: str | None) -> None:
        self.key = key
        self.dead_zone = dead_zone
        self.members: list[Instance] = []
        self.zones: dict[str, int] = {}
        self.rate = 0.0
        self.errors = 0.0
        self.cpu = 0.0
        self.pool_ratio = 0.0
        self.lat_factor = 1.0
        self.p99 = 0.0
        self.backlog = 0.0
        """Requests queued on each member, waiting for a worker."""
        self.gc = 0.0
        """Share of time its members spend in garbage collection."""
        self.collapse = 0.0
        """Share of capacity its members lose to a filling queue."""


class Instance:
    """One replica (a pod): placement, version, config, lifecycle; its figures come from its cohort.

    Setting a field that changes its cohort marks its service dirty, so the tick model regroups only
    when something really changed.
    """

    __slots__ = (
        "owner",
        "id",
        "service",
        "zone",
        "version",
        "config",
        "state",
        "ready",
        "ejected",
        "broken_since",
        "memory",
        "memory_limit",
        "leak_per_s",
        "restarts",
        "backoff",
        "last_exit",
        "started_at",
        "pid",
        "generation",
        "fx_err",
        "fx_lat",
        "fx_cpu",
        "fx_msg",
        "fx_hold",
        "disk",
        "disk_per_s",
        "gray",
        "boot_crash",
        "cohort",
        "pressure",
    )

    def __init__(self, id: str, service: str, zone: str, version: str, config: str, memory_limit: float) -> None:
        self.owner: ServiceState | None = None
        self.id = id
        self.service = service
        self.zone = zone
        self.version = version
        self.config = config
        self.state = STARTING
        self.ready = False
        self.ejected = False
        self.broken_since: float | None = None
        self.memory = 0.0
        self.memory_limit = memory_limit
        self.leak_per_s = 0.0
        self.restarts = 0
        self.backoff = 10.0
        self.last_exit: str | None = None
        self.started_at = 0.0
        self.pid = 1
        self.generation = 0  # bumped on every (re)start so stale processes can tell they are stale
        self.fx_err = 0.0
        self.fx_lat = 1.0
        self.fx_cpu = 1.0
        self.fx_msg = ""
        self.fx_hold = 0.0
        self.disk = 0.0
        self.disk_per_s = 0.0
        self.gray = False
        self.boot_crash = False
        """Its config makes it crash as it loads (it cannot fetch a revert until it is replaced)."""
        self.cohort: Cohort | None = None
        self.pressure = 1.0

    def __setstate__(self, state: tuple) -> None:
        """A copy (simulator/session/snapshots.py) gets the fields as they were: it marks nothing dirty."""
        fields, slots = state if isinstance(state, tuple) else (state, None)
        for name, value in {**(fields or {}), **(slots or {})}.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value) -> None:
        object.__setattr__(self, name, value)
        if name in _WATCHED:
            owner = self.owner
            if owner is not None:
                owner.dirty = True

    @property
    def rate(self) -> float:
        """Requests per second it received in the last tick."""
        return self.cohort.rate if self.cohort is not None else 0.0

    @property
    def errors(self) -> float:
        """Failed requests per second in the last tick."""
        return self.cohort.errors if self.cohort is not None else 0.0

    @property
    def cpu(self) -> float:
        """CPU use, 0-1."""
        if self.cohort is not None:
            return self.cohort.cpu
        return 0.03 if self.state == RUNNING and self.broken_since is None else 0.0

    @property
    def pool_ratio(self) -> float:
        """Connection pool use / size."""
        return self.cohort.pool_ratio if self.cohort is not None else 0.0

    @property
    def lat_factor(self) -> float:
        """Its median latency relative to the service's nominal latency."""
        return self.cohort.lat_factor if self.cohort is not None else 1.0


@dataclass(slots=True)
class ServiceState:
    """A service's desired state, its instances and its last-tick aggregate figures."""

    spec: ServiceSpec
    version: str
    config: str
    memory_limit: float
    desired: int
    instances: list[Instance] = field(default_factory=list)
    version_history: list[str] = field(default_factory=list)
    """Versions deployed before the current one, oldest first."""
    config_history: list[str] = field(default_factory=list)
    """Config revisions before the current one, oldest first."""
    rate_limit: float | None = None
    shed: float = 0.0
    fallbacks: set[str] = field(default_factory=set)
    drained_zones: set[str] = field(default_factory=set)
    pod_hash: str = "0000000000"
    # Last tick's aggregate figures.
    offered: float = 0.0
    admitted: float = 0.0
    pass_ratio: float = 1.0
    """Share of admitted requests that got far enough to call dependencies (feeds the next tick)."""
    rate: float = 0.0
    errors: float = 0.0
    error_ratio: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    sigma: float = 0.8
    cpu: float = 0.0
    memory_ratio: float = 0.0
    pool_ratio: float = 0.0
    restarts_total: int = 0
    req_total: float = 0.0
    err_total: float = 0.0
    # Error causes of the last tick (requests per second by cause), for logs and traces.
    causes: dict[str, float] = field(default_factory=dict)
    call_error: dict[str, float] = field(default_factory=dict)
    """Per dependency: share of call attempts that failed (errors or timeouts) as this service saw them."""
    dep_causes: dict[str, float] = field(default_factory=dict)
    """Per dependency: share of this service's requests failed by that dependency."""
    rotation: list[Instance] = field(default_factory=list)
    """Instances the load balancer sends traffic to."""
    cohorts: list[Cohort] = field(default_factory=list)
    """Rotation grouped by state."""
    growing: list[Instance] = field(default_factory=list)
    """Running instances whose memory or disk use grows."""
    steady_memory_ratio: float = 0.0
    """Highest memory / limit among running instances that do not leak."""
    steady_disk_ratio: float = 0.0
    """Highest disk use / size among running instances whose disk does not fill."""
    disk_ratio: float = 0.0
    """Highest disk use / size in the last tick."""
    extra_err: float = 0.0
    """Service-wide extra failure share (a bad flag's cohort)."""
    extra_msg: str = ""
    primary_zone: str | None = None
    """For a single-writer database: where its primary runs now."""
    primary_down: bool = False
    """The primary is unreachable: writes fail until a failover."""
    hit: float = 0.0
    """For a cache: current hit ratio."""
    cert_expires_at: float = 1e12
    """Simulated time its TLS certificate expires."""
    tls_share: float = 1.0
    """Share of its user traffic that uses TLS (lost when the certificate expires)."""
    probe_tls: bool = True
    """Its synthetic probe uses https (fails with the certificate) rather than plain http."""
    lost: float = 0.0
    """Requests per second that never reached it (TLS handshake failures at the clients)."""
    lost_total: float = 0.0
    excluded: float = 0.0
    """Requests per second refused by a per-client rate limit (excluded from the SLI)."""
    excluded_total: float = 0.0
    conn_demand: float = 0.0
    """For a database: connections its callers wanted in the last tick."""
    conn_demand_next: float = 0.0
    retry_rate: float = 0.0
    """Retried calls per second it sent in the last tick."""
    client_limits: dict[str, float] = field(default_factory=dict)
    """Per-client rate limits at this service."""
    dirty: bool = True
    """Set when an instance or a service setting changed: the tick model regroups and recomputes it."""
    recompute: bool = False
    """Set when only an input of its figures changed (a DNS or buffer error share): the tick model
    recomputes it without regrouping its instances (a regroup every tick was a third of a DNS storm's tick)."""
    changed: bool = True
    """Its figures were recomputed in the last tick (the telemetry tape takes a new frame of them)."""
    moved: bool = True
    """What its callers read of it (``model.CALLER_READS``) moved in its last recomputation: callers
    recompute when a dependency moved; one that was recomputed to the same figures leaves them be."""
    demand_moved: bool = False
    """Its connection demand (which callers read too) moved since its last recomputation."""
    queued: bool = False
    """Some instance has a queue backlog (its figures move every tick until it drains)."""
    hit_changed: bool = False
    """For a cache: its hit ratio moved in the last tick."""
    last_offered: float = -1.0
    last_admitted: float = -1.0
    last_conn_demand: float = -1.0
    last_connections: float = 0.0
    # Settings (simulator/world/settings.py).
    tuning: Tuning | None = None
    """Per-instance settings of its desired version and revision (what a new instance gets)."""
    tuner: Callable[[Instance], Tuning] | None = None
    """Resolves an instance's own settings; None when only the spec sets them."""
    settings_applied: dict[str, object] = field(default_factory=dict)
    """Service-wide settings applied so far (name -> value), to tell what a change moved."""
    max_connections: int | None = None
    """For a database: connections it accepts in total now."""
    warm_hit: float = 0.0
    """For a cache: hit ratio when warm, as its settings say now."""
    cache_ttl: float | None = None
    """For a cache: entry lifetime in seconds (None: until evicted)."""
    profiles: list[tuple[float, Tuning]] = field(default_factory=list)
    """Share of live instances in rotation per distinct call settings (retries, back-off, timeout)."""
    gc_ratio: float = 0.0
    """Share of time its busiest instances spent in garbage collection in the last tick."""
    collapse_ratio: float = 0.0
    """Share of capacity lost to a collapsing queue in its worst cohort in the last tick."""
    replication_lag: float = 0.0
    """For a database with data: the largest lag of a serving replica, in seconds (simulator/world/data.py)."""
    data_serving: bool = True
    """For a database with data: it has a primary and every copy serves (simulator/world/data.py)."""
    withdrawn: bool = False
    """For a resolver with ``withdraws_without``: its anycast routes are withdrawn (nobody reaches it)."""
    primary_rtt_ms: float = 0.0
    """For a database with data: the round trip its callers pay to reach the primary where it runs now
    (``data.primary_rtt_ms``), added to the calls that need the primary (simulator/world/data.py)."""
    blocked_err: float = 0.0
    """Share of requests failed by what the traffic extras decide (a full async buffer, failed name
    lookups), simulator/world/classes.py."""
    class_shed: float = 0.0
    """For the entry: share of its offered requests refused because their traffic class is shed."""
    blocked_cause: str = ""
    """Cause of ``blocked_err`` for logs and traces: buffer_full or dns."""
    name: str = ""
    """Service name (its spec's, kept in a slot: read many times a tick, a property costs ~5x)."""

    def set_figures(self, rate, errors, p50, p95, p99, sigma, cpu, memory_ratio, pool_ratio) -> None:
        """Store one tick's aggregate figures."""
        self.rate = rate
        self.errors = errors
        self.error_ratio = errors / rate if rate > 0 else 0.0
        self.p50, self.p95, self.p99, self.sigma = p50, p95, p99, sigma
        self.cpu = cpu
        self.memory_ratio = memory_ratio
        self.pool_ratio = pool_ratio

    def cert_expired(self, now: float) -> bool:
        """Whether its certificate has expired at ``now``."""
        return now >= self.cert_expires_at


@dataclass(slots=True)
class World:
    """Everything that changes during a run."""

    zones: list[str]
    services: dict[str, ServiceState]
    order: list[str]
    """Services in topological order, callers before callees."""
    flags: dict[str, bool]
    down_zones: set[str] = field(default_factory=set)
    zone_fail_share: dict[str, float] = field(default_factory=dict)
    """Share of requests to a dead zone's targets that hang (below 1 for a partial gray failure)."""
    zone_hang: dict[str, float] = field(default_factory=dict)
    """Seconds a request to a dead target in that zone hangs."""
    traffic_factor: float = 1.0
    """Product of active traffic spikes."""
    surges: dict[str, float] = field(default_factory=dict)
    """Extra requests per second at the entry by client label (set every tick)."""
    user_rate: float = 0.0
    """Ordinary user requests per second at the entry in the last tick."""
    internal: dict[str, float] = field(default_factory=dict)
    internal_clients: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per target: each running internal source's requests per second this tick (for access logs)."""
    """Requests per second internal sources (jobs, consumers, clients, probes) send each target this tick."""
    flag_off_at: dict[str, float] = field(default_factory=dict)
    """When each flag was last switched off (clients notice at their next poll)."""
    now: float = 0.0
    """Time of the tick being computed."""
    instance_seq: int = 0
    data_lost_records: float = 0.0
    """Writes no surviving copy holds, so far (simulator/world/data.py; the report's data loss)."""
    class_split: dict[str, list[float]] = field(default_factory=dict)
    """The entry's last tick by traffic class: class -> [rate, failed, p99 (nan)] (simulator/world/classes.py)."""
    data_lost_s: float = 0.0
    """The widest window of writes lost so far, in seconds (the incident's recovery point, RPO)."""

    def instance(self, instance_id: str) -> Instance | None:
        """The live instance with this id, if any."""
        for svc in self.services.values():
            for inst in svc.instances:
                if inst.id == instance_id:
                    return inst
        return None

    def all_instances(self) -> list[Instance]:
        """Every live instance of every service."""
        return [i for s in self.services.values() for i in s.instances]

    def count_requests(self, dt: float) -> None:
        """Add the tick's requests, errors, lost and excluded requests to every service's counters."""
        for s in self.services.values():
            s.req_total += s.rate * dt
            errors, lost, excluded = s.errors, s.lost, s.excluded
            # Adding 0.0 leaves a total as it is (never -0.0: they start at 0.0), so the sums of the
            # shares that are zero almost everywhere (lost and excluded: only the entry's) are skipped.
            if errors:
                s.err_total += errors * dt
            if lost:
                s.lost_total += lost * dt
            if excluded:
                s.excluded_total += excluded * dt


_ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def pod_suffix(rng: random.Random, n: int = 5) -> str:
    """A Kubernetes-style random suffix such as ``x7k2p``."""
    return "".join(rng.choice(_ALNUM) for _ in range(n))


def topological_order(services: list[ServiceSpec]) -> list[str]:
    """Service names with every caller before its callees (the graph is checked acyclic)."""
    names = [s.name for s in services]
    backends = {s.name: s.cache_for for s in services if s.cache_for}
    calls = {s.name: [d for d in s.calls if d in names] for s in services}
    for s in services:
        # Cache-aside: a caller of a cache also calls the cache's backend on a miss.
        for d in list(calls[s.name]):
            backend = backends.get(d)
            if backend in names and backend not in calls[s.name] and backend != s.name:
                calls[s.name].append(backend)
    indegree = {n: 0 for n in names}
    for deps in calls.values():
        for d in deps:
            indegree[d] += 1
    ready = [n for n in names if indegree[n] == 0]
    order: list[str] = []
    while ready:
        n = ready.pop(0)
        order.append(n)
        for d in calls[n]:
            indegree[d] -= 1
            if indegree[d] == 0:
                ready.append(d)
    assert len(order) == len(names), "call graph must be acyclic (the loader checks this)"
    return order


def build_world(topology: Topology) -> World:
    """The world at the start of a run: every service as specified, with no instances placed yet."""
    services = {
        spec.name: ServiceState(
            spec=spec,
            name=spec.name,
            version=spec.version,
            config=spec.config,
            memory_limit=spec.memory.limit,
            desired=spec.replicas,
            cert_expires_at=spec.cert_days_left * 86400.0,
            primary_zone=spec.primary_zone,
            hit=spec.hit_ratio if spec.cache_for else 0.0,
            tuning=base_tuning(spec),
            profiles=[(1.0, base_tuning(spec))],
            max_connections=spec.max_connections,
            warm_hit=spec.hit_ratio,
            cache_ttl=spec.cache_ttl,
            sigma=spec.latency_spread,
            p50=spec.latency_ms,
            p95=spec.latency_ms * 3.7,
            p99=spec.latency_ms * 6.4,
        )
        for spec in topology.services
    }
    return World(
        zones=list(topology.zones),
        services=services,
        order=topological_order(topology.services),
        flags={f.name: f.enabled for f in topology.flags},
    )
