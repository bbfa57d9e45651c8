"""Structured logs generated from the same state as the metrics.

Lines are kept as compact tuples in a bounded deque and turned into :class:`LogRecord` on query. Volume
follows the model: access lines are a small sample of requests, error lines follow each error cause
(capped, as real log pipelines rate-limit), events (OOM kills, back-off, rollouts) are logged when they
happen, and every service has its own background chatter.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable

from simulator.telemetry.native import (
    POSTGRES_ERRORS,
    access_message,
    gc_message,
    language_of,
    server_line,
    too_many_clients,
)
from simulator.views import LogRecord
from simulator.world.classes import buffer_message, dns_message
from simulator.world.state import Instance, ServiceState, World

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}

# Error lines per second per service at most: beyond that the pipeline samples.
_ERROR_LINES_CAP = 1.0
# Share of requests that get an access-log line, and the cap per service.
_ACCESS_SAMPLE = 0.004
_ACCESS_CAP = 0.3

_BACKGROUND = {
    "service": [
        ("INFO", "GC pause (G1 Young Generation) {ms}ms"),
        ("INFO", "refreshed service discovery: {n} endpoints"),
        ("WARN", "slow request: {ms}ms exceeded 500ms budget"),
        ("INFO", "metrics flushed to collector"),
        ("WARN", "retrying request to token service (attempt 2)"),
    ],
    "edge": [
        ("INFO", "config reloaded: 0 changes"),
        ("WARN", "client sent invalid Host header; rejected"),
        ("INFO", "TLS session cache hit ratio {pct}%"),
    ],
    "database": [
        ("INFO", "checkpoint complete: wrote {n} buffers"),
        ("WARN", "duration: {ms} ms  statement: SELECT * FROM orders WHERE customer_id = $1"),
        ("INFO", 'automatic vacuum of table "orders": index scans: 1'),
    ],
    "cache": [
        ("INFO", "evicted {n} keys (maxmemory-policy allkeys-lru)"),
        ("INFO", "background saving terminated with success"),
    ],
    "queue": [
        ("INFO", "consumer group rebalanced: {n} partitions"),
        ("WARN", "consumer lag {n} messages on partition 3"),
    ],
}


def trace_id(rng: random.Random) -> str:
    """A W3C trace id: 32 hex digits."""
    return f"{rng.getrandbits(128):032x}"


def span_id(rng: random.Random) -> str:
    """A W3C span id: 16 hex digits."""
    return f"{rng.getrandbits(64):016x}"


_ATTR_KEYS = ("http.route", "http.response.status_code", "error.type", "duration_ms", "probe", "client")
_USER_AGENTS = ("web-chrome", "web-safari", "web-firefox", "ios-7.3.2", "android-7.3.1")


_ATTR_SET = frozenset(_ATTR_KEYS)


def _pack(attributes: dict | None) -> tuple | dict | None:
    """Attributes as a small tuple when they use only the common keys (a dict per line costs ~4x)."""
    if not attributes:
        return None
    if attributes.keys() <= _ATTR_SET:
        get = attributes.get
        return (get("http.route"), get("http.response.status_code"), get("error.type"), get("duration_ms"),
                get("probe"), get("client"))  # fmt: skip
    return dict(attributes)


def _unpack(packed: tuple | dict | None) -> dict:
    if packed is None:
        return {}
    if isinstance(packed, dict):
        return dict(packed)
    return {k: v for k, v in zip(_ATTR_KEYS, packed, strict=True) if v is not None}


def _hex_id(value: str | int) -> int:
    """Trace and span ids are kept as integers (a 32-digit string costs twice as much)."""
    if isinstance(value, int):
        return value
    return int(value, 16) if value else 0


class LogStore:
    """Bounded store of log lines, oldest dropped first.

    Lines are compact tuples (shared strings, integer ids, packed attributes): about 300 bytes each.
    """

    def __init__(self, capacity: int = 150_000) -> None:
        self.lines: deque[tuple] = deque(maxlen=capacity)
        self.total = 0
        self.gate: Callable[[float], bool] | None = None
        """True for a time the log pipeline was down (observability that shares fate): lines of that time are
        lost. A function of the line's time, not of now: lines may be written after their tick (on demand)."""
        self.lost = 0
        """Lines lost while the pipeline was down."""

    def add(
        self,
        t: float,
        level: str,
        service: str,
        version: str,
        zone: str,
        instance: str,
        message: str,
        trace: str | int = "",
        span: str | int = "",
        attributes: dict | None = None,
    ) -> None:
        """Append one line (lost while the log pipeline is down)."""
        if self.gate is not None and self.gate(t):
            self.lost += 1
            return
        self.lines.append(
            (t, level, service, version, zone, instance, message, _hex_id(trace), _hex_id(span), _pack(attributes))
        )
        self.total += 1

    def query(
        self,
        service: str | None = None,
        level: str | None = None,
        text: str | None = None,
        trace_id: str | None = None,
        instance: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[LogRecord]:
        """Lines matching every given filter, oldest first; ``limit`` keeps the newest ones.

        ``level`` is a minimum (WARN gives WARN, ERROR and FATAL); ``text`` is a case-insensitive
        substring of the message.
        """
        min_rank = _LEVEL_RANK.get(level.upper(), 0) if level else 0
        needle = text.lower() if text else None
        if trace_id:
            try:
                wanted_trace = int(trace_id, 16)
            except ValueError:
                return []  # not a hex trace id: nothing can match
        out: list[tuple] = []
        for line in reversed(self.lines):
            t = line[0]
            if until is not None and t > until:
                continue
            if since is not None and t < since:
                break
            if service and line[2] != service:
                continue
            if min_rank and _LEVEL_RANK[line[1]] < min_rank:
                continue
            if trace_id and line[7] != wanted_trace:
                continue
            if instance and line[5] != instance:
                continue
            if needle and needle not in line[6].lower():
                continue
            out.append(line)
            if limit is not None and len(out) >= limit:
                break
        out.reverse()
        return [_record(line) for line in out]

    def since_index(self, index: int, limit: int | None = None) -> tuple[list[LogRecord], int]:
        """Lines appended after the ``index``-th line ever written, and the new index (for live tails).

        With ``limit``, at most that many of the oldest such lines, and the index just after them.
        """
        new = self.total - index
        if new <= 0:
            return [], self.total
        new = min(new, len(self.lines))
        start = len(self.lines) - new
        stop = len(self.lines) if limit is None else min(len(self.lines), start + limit)
        return [_record(self.lines[i]) for i in range(start, stop)], self.total - (len(self.lines) - stop)


def _record(line: tuple) -> LogRecord:
    t, level, service, version, zone, instance, message, trace, span, attrs = line
    return LogRecord(
        t,
        level,
        service,
        version,
        zone,
        instance,
        message,
        f"{trace:032x}" if trace else "",
        f"{span:016x}" if span else "",
        _unpack(attrs),
    )


class LogGenerator:
    """Writes the lines one tick of the model implies."""

    def __init__(self, world: World, store: LogStore, rng: random.Random, entry: str = "") -> None:
        self.world = world
        self.entry = entry
        self.surge_routes: dict[str, str] = {}
        """Route each surge client hammers (set by the simulation)."""
        self.source_routes: dict[str, str] = {}
        """Route each internal source (job, consumer, client, probe) calls (set by the simulation)."""
        self.store = store
        self.rng = rng
        self._debt: dict[str, dict[str, float]] = {}
        self._gc_seq = 0

    def tick(self, t: float, dt: float) -> None:
        """Access samples, error lines by cause, and background chatter for every service."""
        rng = self.rng
        background = dt / 45.0
        for s in self.world.services.values():
            rate = s.rate
            if rate <= 0.0:
                continue
            debt = self._debt.get(s.name)
            if debt is None:
                debt = self._debt[s.name] = {}
            owed = (
                debt.get("", 0.0) + (rate * _ACCESS_SAMPLE if rate * _ACCESS_SAMPLE < _ACCESS_CAP else _ACCESS_CAP) * dt
            )
            while owed >= 1.0:
                owed -= 1.0
                self._access_line(t, s)
            debt[""] = owed
            causes = s.causes
            total = s.errors
            if causes and total > 0:
                # At most _ERROR_LINES_CAP lines a second per service, shared by cause in proportion.
                scale = _ERROR_LINES_CAP / total if total > _ERROR_LINES_CAP else 1.0
                for cause, cause_rate in causes.items():
                    owed = debt.get(cause, 0.0) + cause_rate * scale * dt
                    while owed >= 1.0 - 1e-9:
                        owed -= 1.0
                        # Ids as integers: a line no trace was sampled for needs no hex string.
                        self.error_line(t, s, cause, rng.getrandbits(128), rng.getrandbits(64))
                    debt[cause] = owed
            if rng.random() < background:
                self._background(t, s)
            if s.gc_ratio or (s.max_connections is not None and s.conn_demand > s.max_connections):
                self._runtime_lines(t, dt, s)

    def _pick(self, s: ServiceState, want_fault: bool = False) -> Instance | None:
        """A random live instance in rotation (with a fault effect, if asked)."""
        rotation = s.rotation
        if not rotation:
            return None
        inst = rotation[int(self.rng.random() * len(rotation))]
        if inst.broken_since is None and (inst.fx_err > 0 or not want_fault):
            return inst
        pool = [i for i in rotation if i.broken_since is None and (i.fx_err > 0 or not want_fault)]
        return pool[int(self.rng.random() * len(pool))] if pool else None

    def _access_line(self, t: float, s: ServiceState) -> None:
        inst = self._pick(s)
        if inst is None:
            return
        routes = routes_of(s)
        route = routes[int(self.rng.random() * len(routes))]
        ms = round(s.p50 * (0.5 + self.rng.random()), 1)
        attributes = {"http.route": route, "http.response.status_code": 200, "duration_ms": ms}
        client = self._client_of(s)
        internal = self.world.internal_clients.get(s.name)
        if internal and self.rng.random() * s.rate < sum(internal.values()):
            client = _weighted(internal, self.rng)  # a job's, consumer's or probe's request
            route = attributes["http.route"] = self.source_routes.get(client, route)
        elif client is not None:
            # At the entry, the client (user agent) is visible: a surging client shows in the sample.
            surge_route = self.surge_routes.get(client)
            if surge_route:
                route = attributes["http.route"] = surge_route
        if client is not None:
            attributes["client"] = client
        message = access_message(language_of(s.spec), route, 200, ms, client, inst.pid)
        if message is not None:
            self.emit(t, "INFO", inst, message, attributes=attributes)

    def _client_of(self, s: ServiceState) -> str | None:
        """The client of a sampled entry request, drawn by traffic share (None when not the entry)."""
        world = self.world
        if s.name != self.entry:
            return None
        r = self.rng.random() * (world.user_rate + sum(world.surges.values()))
        if r < world.user_rate or not world.surges:
            return self.rng.choice(_USER_AGENTS)
        r -= world.user_rate
        for client, rps in world.surges.items():
            r -= rps
            if r < 0:
                return client
        return client

    def _runtime_lines(self, t: float, dt: float, s: ServiceState) -> None:
        """What the runtime itself logs under strain: collections when the heap is tight (more often
        the more time goes to GC), PostgreSQL refusing connections past max_connections."""
        debt = self._debt[s.name]
        if s.gc_ratio:
            owed = debt.get("gc", 0.0) + dt * (0.05 + 2.0 * s.gc_ratio)
            while owed >= 1.0:
                owed -= 1.0
                inst = self._pick(s)
                if inst is not None:
                    self._gc_seq += 1
                    heap = s.tuning.heap_mb if s.tuning is not None else None
                    live = s.spec.memory.base * 0.5
                    level = "WARN" if s.gc_ratio > 0.3 else "INFO"
                    self.emit(t, level, inst, gc_message(language_of(s.spec), s.gc_ratio, heap, live, self._gc_seq))
            debt["gc"] = owed
        if s.max_connections is not None and s.conn_demand > s.max_connections:
            refused = 1.0 - s.max_connections / s.conn_demand
            owed = debt.get("conn", 0.0) + dt * min(refused * 5.0, _ERROR_LINES_CAP)
            while owed >= 1.0:
                owed -= 1.0
                inst = self._pick(s)
                if inst is not None:
                    self.emit(t, "FATAL", inst, too_many_clients(inst.pid))
            debt["conn"] = owed

    def _background(self, t: float, s: ServiceState) -> None:
        inst = self._pick(s)
        if inst is None:
            return
        level, template = self.rng.choice(_BACKGROUND.get(s.spec.kind, _BACKGROUND["service"]))
        message = template.format(
            ms=self.rng.randint(12, 900), n=self.rng.randint(3, 4000), pct=self.rng.randint(80, 99)
        )
        self.emit(t, level, inst, server_line(language_of(s.spec), inst.pid, message))

    def error_line(
        self, t: float, s: ServiceState, cause: str, trace: str | int, span: str | int, route: str | None = None
    ) -> None:
        """One line for a failed request of ``cause`` at service ``s`` (also used for sampled traces)."""
        route = route or routes_of(s)[0]
        inst = self._pick(s, want_fault=(cause == "fault"))
        timeout_ms = int(s.tuning.timeout_s * 1000)
        if cause in ("dead_target", "no_healthy_upstream", "rate_limited", "shed"):
            message, status, level = _edge_message(self.world, s, cause, timeout_ms, self.rng)
            zone = inst.zone if inst else "-"
            self.store.add(
                t,
                level,
                s.name,
                s.version,
                zone,
                f"{s.name}-lb",
                message,
                trace,
                span,
                {"http.route": route, "http.response.status_code": status, "error.type": cause},
            )
            return
        if inst is None:
            return
        if cause == "fault":
            message, status, etype = inst.fx_msg or "internal error", 500, "fault"
        elif cause == "no_primary":
            message, status, etype = (
                "FATAL: the database system is in recovery mode; cannot execute INSERT",
                500,
                "PSQLException",
            )
        elif cause == "flag":
            message, status, etype = s.extra_msg or "internal error", 500, "flag"
        elif cause == "overload":
            message, status, etype = _overload_message(s, inst)
        elif cause == "pool_exhausted":
            message, status, etype = pool_message(self.world, s, timeout_ms)
        elif cause == "dependency":
            message, status, etype = _dependency_message(self.world, s, timeout_ms, self.rng)
        elif cause == "dns":
            message, status, etype = dns_message(self.world, s, self.rng)
        elif cause == "buffer_full":
            message, status, etype = buffer_message(s)
        else:
            postgres = language_of(s.spec) == "postgres"
            message, status, etype = self.rng.choice(POSTGRES_ERRORS if postgres else _BASELINE_ERRORS)
            if postgres:
                message = server_line("postgres", inst.pid, message)
        self.emit(
            t,
            "ERROR",
            inst,
            message,
            trace,
            span,
            {"http.route": route, "http.response.status_code": status, "error.type": etype},
        )

    def emit(
        self,
        t: float,
        level: str,
        inst: Instance,
        message: str,
        trace: str = "",
        span: str = "",
        attributes: dict | None = None,
    ) -> None:
        """Write one line from an instance."""
        self.store.add(t, level, inst.service, inst.version, inst.zone, inst.id, message, trace, span, attributes)

    def emit_many(self, t: float, level: str, insts: Iterable[Instance], message: str) -> None:
        """The same line from several instances."""
        for inst in insts:
            self.emit(t, level, inst, message)

    def emit_component(
        self,
        t: float,
        level: str,
        service: str,
        version: str,
        zone: str,
        component: str,
        message: str,
        attributes: dict | None = None,
    ) -> None:
        """One line from a component that is not an instance (a load balancer, a synthetic probe)."""
        self.store.add(t, level, service, version, zone, component, message, attributes=attributes)


def _overload_message(s: ServiceState, inst: Instance) -> tuple[str, int, str]:
    """A shed request's line: the fault that ate the capacity (a pinned regex, a slow path) logs its own
    message, as the request dies in it; only a plain overload says 'queue full'."""
    culprit = inst if inst.fx_msg and (inst.fx_cpu > 1.0 or inst.fx_lat > 1.0) else None
    if culprit is None:
        culprit = next((i for i in s.rotation if i.fx_msg and (i.fx_cpu > 1.0 or i.fx_lat > 1.0)), None)
    if culprit is not None:
        return culprit.fx_msg, 503, "fault"
    return "503 Service Unavailable: overloaded, shedding request (queue full)", 503, "overload"


_BASELINE_ERRORS = [
    ("client disconnected before response was written", 499, "context.Canceled"),
    ("request failed: context canceled", 499, "context.Canceled"),
    ("validation failed: field 'email' is not a valid address", 400, "ValidationError"),
]


def routes_of(s: ServiceState) -> list[str]:
    """HTTP routes (span and log names) of a service: its declared routes or defaults by kind."""
    if s.spec.routes:
        return s.spec.routes
    name = s.name
    if s.spec.kind == "database":
        return [f"SELECT {name}", f"UPDATE {name}"]
    if s.spec.kind == "cache":
        return [f"GET {name}"]
    if s.spec.kind == "queue":
        return [f"publish {name}"]
    return [f"GET /api/{name}", f"POST /api/{name}"]


def pool_message(world: World, s: ServiceState, timeout_ms: int) -> tuple[str, int, str]:
    """What a service logs when its connection pool is exhausted: a JDBC pool for a database, an HTTP
    client's connection limit otherwise."""
    if any(world.services[d].spec.kind == "database" for d in s.spec.calls):
        return (
            f"HikariPool-1 - Connection is not available, request timed out after {timeout_ms}ms.",
            500,
            "java.sql.SQLTransientConnectionException",
        )
    return (
        "upstream connect error or disconnect/reset before headers. reset reason: overflow "
        f"(max connections {s.tuning.pool_size} reached)",
        503,
        "upstream_overflow",
    )


def _dependency_message(world: World, s: ServiceState, timeout_ms: int, rng: random.Random) -> tuple[str, int, str]:
    """The error a caller logs for its worst failing dependency."""
    if not s.dep_causes:
        return "upstream request failed", 502, "dependency"
    dep = _weighted(s.dep_causes, rng)
    d = world.services[dep]
    if d.cert_expired(world.now):
        return (f'Get "https://{dep}.internal/": x509: certificate has expired or is not yet valid', 502, "x509")
    if d.max_connections is not None and d.conn_demand > d.max_connections:
        return (
            f"org.postgresql.util.PSQLException: FATAL: sorry, too many clients already ({dep})",
            500,
            "PSQLException",
        )
    if d.p99 >= timeout_ms * 0.9 or "dead_target" in d.causes:
        return (
            "context deadline exceeded (Client.Timeout exceeded while awaiting headers) "
            f"calling {dep} after {timeout_ms}ms",
            504,
            "timeout",
        )
    if d.spec.kind == "database":
        return (f"org.postgresql.util.PSQLException: I/O error communicating with {dep}", 500, "PSQLException")
    if "no_healthy_upstream" in d.causes:
        return (
            f"upstream connect error or disconnect/reset before headers. reset reason: connection failure ({dep})",
            503,
            "upstream",
        )
    return (f"call to {dep} failed: 500 Internal Server Error", 502, "upstream")


def _weighted(weights: dict[str, float], rng: random.Random) -> str:
    """A key drawn with probability proportional to its weight."""
    r = rng.random() * sum(weights.values())
    for key, w in weights.items():
        r -= w
        if r < 0:
            return key
    return key


def _edge_message(
    world: World, s: ServiceState, cause: str, timeout_ms: int, rng: random.Random
) -> tuple[str, int, str]:
    if cause == "dead_target":
        dead = [i for i in s.instances if i.broken_since is not None and not i.ejected]
        target = rng.choice(dead) if dead else None
        if target is not None and target.zone in world.down_zones:
            hang = int(world.zone_hang.get(target.zone, 3.0) * 1000)
            return (
                f"upstream request timeout: target {target.id} ({target.zone}) did not answer within {hang}ms",
                504,
                "WARN",
            )
        name = target.id if target else s.name
        return (
            f"upstream connect error or disconnect/reset before headers. reset reason: connection refused ({name})",
            502,
            "WARN",
        )
    if cause == "no_healthy_upstream":
        return "no healthy upstream", 503, "ERROR"
    if cause == "rate_limited":
        return "429 Too Many Requests: rate limit exceeded", 429, "WARN"
    return "503 Service Unavailable: load shedding active, non-critical request dropped", 503, "WARN"
