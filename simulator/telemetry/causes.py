"""What a failed request logs, by its cause in the model and the runtime of the service that failed it.

One table (``CAUSES``) says what each cause logs in the common case; a runtime overrides the causes it
logs in its own words (``NATIVE``: nginx's error log, a JVM's exceptions with their stack traces,
PostgreSQL's ``ERROR:`` lines). A writer is a function of a :class:`FailedRequest` and returns the
:class:`ErrorText` to write. Random draws stay the same across runtimes for the same cause (one draw to
choose the failing dependency, one to choose an everyday error), so a service's runtime changes what its
lines say and never which lines the rest of the system writes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import simulator.telemetry.jvm as jvm
import simulator.telemetry.nginx as nginx
from simulator.telemetry.native import POSTGRES_ERRORS, language_of, server_line
from simulator.world.classes import buffer_message, dns_message
from simulator.world.state import Instance, ServiceState, World


@dataclass(frozen=True, slots=True)
class FailedRequest:
    """A failed request as an error-line writer sees it."""

    world: World
    service: ServiceState
    inst: Instance
    route: str
    trace: int
    """Its trace id as an integer (nginx's connection number and client address follow from it)."""
    timeout_ms: int
    rng: random.Random


@dataclass(frozen=True, slots=True)
class ErrorText:
    """What the line says: message, the HTTP status the client got, the error type, the record's level."""

    message: str
    status: int
    etype: str
    level: str = "ERROR"
    component: bool = False
    """Written by the load balancer in front of the service (``<service>-lb``), not by an instance."""


Writer = Callable[[FailedRequest], ErrorText]

LB_CAUSES = ("dead_target", "no_healthy_upstream", "rate_limited", "shed")
"""Causes the load balancer in front of a service logs (its targets dead, none left, limits)."""


def weighted(weights: dict[str, float], rng: random.Random) -> str:
    """A key drawn with probability proportional to its weight."""
    r = rng.random() * sum(weights.values())
    for key, w in weights.items():
        r -= w
        if r < 0:
            return key
    return key


# --- the common case -------------------------------------------------------------------------------


def overload_text(s: ServiceState, inst: Instance) -> tuple[str, int, str] | None:
    """A fault that ate the capacity (a pinned regex, a slow path) logs its own message as the request
    dies in it; None when the overload is plain."""
    culprit = inst if inst.fx_msg and (inst.fx_cpu > 1.0 or inst.fx_lat > 1.0) else None
    if culprit is None:
        culprit = next((i for i in s.rotation if i.fx_msg and (i.fx_cpu > 1.0 or i.fx_lat > 1.0)), None)
    return (culprit.fx_msg, 503, "fault") if culprit is not None else None


def _overload(req: FailedRequest) -> ErrorText:
    own = overload_text(req.service, req.inst)
    if own is not None:
        return ErrorText(*own)
    return ErrorText("503 Service Unavailable: overloaded, shedding request (queue full)", 503, "overload")


def pool_message(world: World, s: ServiceState, timeout_ms: int) -> tuple[str, int, str]:
    """What a service logs when its connection pool is exhausted: a JDBC pool for a database, nginx's
    ``no live upstreams`` (every server at ``max_conns``), an HTTP client's connection limit otherwise."""
    if any(world.services[d].spec.kind == "database" for d in s.spec.calls):
        return (
            f"HikariPool-1 - Connection is not available, request timed out after {timeout_ms}ms.",
            500,
            "java.sql.SQLTransientConnectionException",
        )
    if language_of(s.spec) == "nginx":
        return nginx.NO_LIVE_UPSTREAMS, 502, "no_live_upstreams"
    return (
        "upstream connect error or disconnect/reset before headers. reset reason: overflow "
        f"(max connections {s.tuning.pool_size} reached)",
        503,
        "upstream_overflow",
    )


def upstream_failure(world: World, s: ServiceState, timeout_ms: int, rng: random.Random) -> tuple[str, str]:
    """How the worst failing dependency fails, as the caller sees it: (kind, dependency).

    Kinds: ``x509`` (its certificate expired), ``too_many_clients`` (a database past max_connections),
    ``timeout`` (slower than the caller's timeout, or a target that hangs or is down), ``db_io``, ``unhealthy``
    (no healthy target left), ``error`` (it answered with its own 5xx), ``unknown`` (no dependency fails).
    """
    if not s.dep_causes:
        return "unknown", ""
    dep = weighted(s.dep_causes, rng)
    d = world.services[dep]
    if d.cert_expired(world.now):
        return "x509", dep
    if d.max_connections is not None and d.conn_demand > d.max_connections:
        return "too_many_clients", dep
    if d.p99 >= timeout_ms * 0.9 or "dead_target" in d.causes:
        return "timeout", dep
    if d.spec.kind == "database":
        return "db_io", dep
    if "no_healthy_upstream" in d.causes:
        return "unhealthy", dep
    return "error", dep


_DEPENDENCY_TEXT = {
    "x509": lambda dep, ms: (f'Get "https://{dep}.internal/": x509: certificate has expired or is not yet valid', 502,
                             "x509"),
    "too_many_clients": lambda dep, ms: (
        f"org.postgresql.util.PSQLException: FATAL: sorry, too many clients already ({dep})", 500, "PSQLException"),
    "timeout": lambda dep, ms: (
        f"context deadline exceeded (Client.Timeout exceeded while awaiting headers) calling {dep} after {ms}ms", 504,
        "timeout"),
    "db_io": lambda dep, ms: (f"org.postgresql.util.PSQLException: I/O error communicating with {dep}", 500,
                              "PSQLException"),
    "unhealthy": lambda dep, ms: (
        f"upstream connect error or disconnect/reset before headers. reset reason: connection failure ({dep})", 503,
        "upstream"),
    "error": lambda dep, ms: (f"call to {dep} failed: 500 Internal Server Error", 502, "upstream"),
    "unknown": lambda dep, ms: ("upstream request failed", 502, "dependency"),
}  # fmt: skip
"""What a caller logs for each way its dependency fails (the common case)."""


def _dependency(req: FailedRequest) -> ErrorText:
    kind, dep = upstream_failure(req.world, req.service, req.timeout_ms, req.rng)
    return ErrorText(*_DEPENDENCY_TEXT[kind](dep, req.timeout_ms))


BASELINE_ERRORS = [
    ("client disconnected before response was written", 499, "context.Canceled"),
    ("request failed: context canceled", 499, "context.Canceled"),
    ("validation failed: field 'email' is not a valid address", 400, "ValidationError"),
]
"""Everyday failed requests (the baseline share of errors)."""


def _baseline(req: FailedRequest) -> ErrorText:
    return ErrorText(*req.rng.choice(BASELINE_ERRORS))


def _edge(req: FailedRequest, cause: str) -> ErrorText:
    """A load balancer's line: its targets dead (a hanging zone times out, a dead process refuses), none
    left, a rate limit, load shedding."""
    world, s = req.world, req.service
    if cause == "dead_target":
        dead = [i for i in s.instances if i.broken_since is not None and not i.ejected]
        target = req.rng.choice(dead) if dead else None
        if target is not None and target.zone in world.down_zones:
            hang = int(world.zone_hang.get(target.zone, 3.0) * 1000)
            text = f"upstream request timeout: target {target.id} ({target.zone}) did not answer within {hang}ms"
            return ErrorText(text, 504, cause, "WARN", True)
        name = target.id if target else s.name
        text = f"upstream connect error or disconnect/reset before headers. reset reason: connection refused ({name})"
        return ErrorText(text, 502, cause, "WARN", True)
    if cause == "no_healthy_upstream":
        return ErrorText("no healthy upstream", 503, cause, "ERROR", True)
    if cause == "rate_limited":
        return ErrorText("429 Too Many Requests: rate limit exceeded", 429, cause, "WARN", True)
    return ErrorText("503 Service Unavailable: load shedding active, non-critical request dropped", 503, cause, "WARN",
                     True)  # fmt: skip


CAUSES: dict[str, Writer] = {
    "dead_target": lambda req: _edge(req, "dead_target"),
    "no_healthy_upstream": lambda req: _edge(req, "no_healthy_upstream"),
    "rate_limited": lambda req: _edge(req, "rate_limited"),
    "shed": lambda req: _edge(req, "shed"),
    "fault": lambda req: ErrorText(req.inst.fx_msg or "internal error", 500, "fault"),
    "no_primary": lambda req: ErrorText(
        "FATAL: the database system is in recovery mode; cannot execute INSERT", 500, "PSQLException"
    ),
    "flag": lambda req: ErrorText(req.service.extra_msg or "internal error", 500, "flag"),
    "overload": _overload,
    "pool_exhausted": lambda req: ErrorText(*pool_message(req.world, req.service, req.timeout_ms)),
    "dependency": _dependency,
    "dns": lambda req: ErrorText(*dns_message(req.world, req.service, req.rng)),
    "buffer_full": lambda req: ErrorText(*buffer_message(req.service)),
}
"""The common case, by cause; any other cause is an everyday error (``BASELINE_ERRORS``)."""


# --- nginx ------------------------------------------------------------------------------------------


def _nginx_request(req: FailedRequest, group: str, addr: str | None = None) -> nginx.NginxRequest:
    method, _, path = req.route.partition(" ")
    return nginx.NginxRequest(req.service.name, req.inst.pid, req.trace, method, path or "/", group, addr)


def _nginx_error(req: FailedRequest, group: str, addr: str | None, text: str, status: int, etype: str,
                 severity: str = "error") -> ErrorText:  # fmt: skip
    line = nginx.error_line(severity, _nginx_request(req, group, addr), text)
    return ErrorText(line, status, etype, nginx.LEVEL_OF[severity])


def _nginx_access(req: FailedRequest, group: str, addr: str | None, status: int, etype: str,
                  upstream_status: int | None, upstream_ms: float = 2.0) -> ErrorText:  # fmt: skip
    """An access line for a request nginx answered with ``status`` (the upstream's own when it answered)."""
    waited = min(upstream_ms, req.timeout_ms) / 1000.0 if upstream_status else 0.002
    line = nginx.access_line(
        _nginx_request(req, group, addr), status, "-", waited + 0.001, waited if upstream_status else None,
        upstream_status,
    )  # fmt: skip
    return ErrorText(line, status, etype, nginx.record_level(status))


_UPSTREAM_STATUS = {"overload": 503, "shed": 503, "no_healthy_upstream": 503, "rate_limited": 429}
"""What an upstream answers, by its own main cause (anything else: 500), passed through by nginx."""


def _nginx_dependency(req: FailedRequest) -> ErrorText:
    """nginx's own words for a failing upstream, from the upstream's state in the model."""
    kind, dep = upstream_failure(req.world, req.service, req.timeout_ms, req.rng)
    if not dep:
        return _nginx_access(req, "backend", None, 502, "upstream", 502)
    d = req.world.services[dep]
    members = d.rotation or d.instances
    pick = members[req.trace % len(members)] if members else None
    addr = nginx.address_of(pick.id, pick.zone) if pick is not None else None
    if kind == "x509":
        return _nginx_error(req, dep, addr, nginx.CERTIFICATE_EXPIRED, 502, "x509")
    if kind == "unhealthy":
        return _nginx_error(req, dep, None, nginx.NO_LIVE_UPSTREAMS, 502, "no_live_upstreams")
    if kind == "timeout":
        hung = [i for i in d.instances if i.broken_since is not None and not i.ejected]
        if "dead_target" in d.causes and hung:
            target = hung[req.trace % len(hung)]
            addr = nginx.address_of(target.id, target.zone)
            if target.zone not in req.world.down_zones:
                return _nginx_error(req, dep, addr, nginx.CONNECTION_REFUSED, 502, "connection_refused")
            # A gray failure accepts the connection and never answers; a dead zone never accepts it.
            text = nginx.UPSTREAM_TIMED_OUT_READING if target.gray else nginx.UPSTREAM_TIMED_OUT_CONNECTING
            return _nginx_error(req, dep, addr, text, 504, "timeout")
        return _nginx_error(req, dep, addr, nginx.UPSTREAM_TIMED_OUT_READING, 504, "timeout")
    # The upstream answered with its own error: nginx passes it on and writes no error line.
    main = max(d.causes, key=d.causes.get) if d.causes else ""
    status = _UPSTREAM_STATUS.get(main, 500)
    return _nginx_access(req, dep, addr, status, "upstream", status, d.p50)


def _nginx_overload(req: FailedRequest) -> ErrorText:
    own = overload_text(req.service, req.inst)
    if own is not None:
        return ErrorText(*own)
    group = next(iter(req.service.spec.calls), "backend")
    return _nginx_error(req, group, None, nginx.worker_connections_exhausted(), 503, "overload", "alert")


def _nginx_pool(req: FailedRequest) -> ErrorText:
    message, status, etype = pool_message(req.world, req.service, req.timeout_ms)
    calls, services = req.service.spec.calls, req.world.services
    # the upstream whose slow answers hold the connections: the most time held per request
    group = max(calls, key=lambda dep: calls[dep] * services[dep].p50) if calls else "backend"
    return _nginx_error(req, group, None, message, status, etype)


_LOOKUP = re.compile(r"lookup (\S+) on")


def _nginx_dns(req: FailedRequest) -> ErrorText:
    message, status, etype = dns_message(req.world, req.service, req.rng)
    found = _LOOKUP.search(message)
    host = found.group(1) if found else "backend"
    text = nginx.could_not_be_resolved(host, timed_out=etype == "dns.timeout")
    return _nginx_error(req, host.split(".", 1)[0], None, text, 502, etype)


def _nginx_limited(req: FailedRequest) -> ErrorText:
    excess = (req.trace % 40_000) / 1000.0 + 1.0
    group = next(iter(req.service.spec.calls), "backend")
    text = nginx.limiting_requests(excess, f"{req.service.name}_limit")
    return _nginx_error(req, group, None, text, 429, "rate_limited")


def _nginx_baseline(req: FailedRequest) -> ErrorText:
    _, status, etype = req.rng.choice(BASELINE_ERRORS)  # the same draw as every runtime's
    group = next(iter(req.service.spec.calls), "backend")
    return _nginx_access(req, group, None, status, "client_closed" if status == 499 else etype, None)


NGINX: dict[str, Writer] = {
    "dependency": _nginx_dependency,
    "overload": _nginx_overload,
    "pool_exhausted": _nginx_pool,
    "dns": _nginx_dns,
    "rate_limited": _nginx_limited,
    "shed": lambda req: _nginx_access(req, next(iter(req.service.spec.calls), "backend"), None, 503, "shed", None),
    "baseline": _nginx_baseline,
}


# --- the JVM and PostgreSQL ---------------------------------------------------------------------------


def _java(writer: Writer) -> Writer:
    """The common writer's line as a JVM logs it: an exception with its stack trace."""

    def write(req: FailedRequest) -> ErrorText:
        text = writer(req)
        message = jvm.exception_trace(req.service.spec, req.route, text.message, text.etype)
        return ErrorText(message, text.status, text.etype, text.level, text.component)

    return write


def _java_dependency(req: FailedRequest) -> ErrorText:
    kind, dep = upstream_failure(req.world, req.service, req.timeout_ms, req.rng)
    message, status, etype = _DEPENDENCY_TEXT[kind](dep, req.timeout_ms)
    if kind == "timeout":
        kind_of_dep = req.world.services[dep].spec.kind
        message = jvm.read_timeout(req.service.spec, req.route, dep, kind_of_dep, _request_at(req, dep), req.timeout_ms)
        return ErrorText(message, status, "java.net.SocketTimeoutException")
    return ErrorText(jvm.exception_trace(req.service.spec, req.route, message, etype, dep), status, etype)


def _request_at(req: FailedRequest, dep: str) -> tuple[str, str]:
    """The method and path a call to ``dep`` asks for: its first declared route (else ``GET /api/<dep>``),
    ids filled in."""
    routes = req.world.services[dep].spec.routes
    method, _, path = routes[0].partition(" ") if routes else ("GET", "", f"/api/{dep}")
    return method or "GET", nginx.concrete_path(path or "/", req.trace)


def _java_overload(req: FailedRequest) -> ErrorText:
    gc = req.service.gc_of(req.inst) if hasattr(req.service, "gc_of") else req.service.gc_ratio
    if gc >= jvm.HEAP_EXHAUSTED_FROM and overload_text(req.service, req.inst) is None:
        return ErrorText(jvm.heap_exhausted(req.service.spec, req.route), 500, "java.lang.OutOfMemoryError")
    return _overload(req)


def _java_baseline(req: FailedRequest) -> ErrorText:
    message, status, etype = req.rng.choice(jvm.CLIENT_ABORTS)
    level = "WARN" if status < 500 else "ERROR"
    return ErrorText(jvm.exception_trace(req.service.spec, req.route, message, etype), status, etype, level)


JAVA: dict[str, Writer] = {
    "fault": _java(CAUSES["fault"]),
    "flag": _java(CAUSES["flag"]),
    "no_primary": lambda req: ErrorText(
        jvm.exception_trace(req.service.spec, req.route, "org.postgresql.util.PSQLException: FATAL: the database "
                            "system is in recovery mode", "PSQLException"), 500, "PSQLException"),
    "pool_exhausted": _java(CAUSES["pool_exhausted"]),
    "dependency": _java_dependency,
    "overload": _java_overload,
    "baseline": _java_baseline,
}  # fmt: skip


def _postgres_baseline(req: FailedRequest) -> ErrorText:
    message, status, etype = req.rng.choice(POSTGRES_ERRORS)
    return ErrorText(server_line("postgres", req.inst.pid, message), status, etype)


NATIVE: dict[str, dict[str, Writer]] = {
    "nginx": NGINX,
    "java": JAVA,
    "postgres": {"baseline": _postgres_baseline},
}
"""Per runtime, the causes it logs in its own words."""


def error_text(language: str, cause: str, req: FailedRequest) -> ErrorText:
    """What a failed request of ``cause`` logs at a service running ``language``."""
    native = NATIVE.get(language)
    writer = native.get(cause) if native is not None else None
    if writer is None:
        writer = CAUSES.get(cause)
    if writer is None:
        writer = native.get("baseline", _baseline) if native is not None else _baseline
    return writer(req)
