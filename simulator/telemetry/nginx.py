"""nginx as an edge proxy writes two logs: an access log line per request and an error log line when it
cannot get an answer from an upstream. Both are written here from what the model says is happening.

Access lines are the ``combined`` format with the timing fields operators add to it
(``rt=$request_time uct=$upstream_connect_time urt=$upstream_response_time ua=$upstream_addr
us=$upstream_status``). Error lines are nginx's own: ``[error] 31#31: *4117 upstream timed out (110:
Connection timed out) while reading response header from upstream, client: ..., server: ..., request:
"GET /u/42 HTTP/1.1", upstream: "http://10.0.2.14:8080/u/42", host: "..."``. As with PostgreSQL's
``log_line_prefix``, the time nginx writes first (``2026/12/01 10:00:00`` in the error log,
``[$time_local]`` in the access log) is the record's own time column, so it is not repeated in the text.

Which error line follows from the upstream's state in the model (see :func:`upstream_failure`): a
timeout (504) only when the upstream answers slower than the timeout or its target hangs, ``connect()
failed (111: Connection refused)`` (502) when a target is down, ``no live upstreams`` (502) when none is
left, and no error line at all when the upstream answered with its own 5xx (the access line shows it).

Addresses are stable per instance (one subnet per zone: ``eu-central-1b`` -> ``10.0.2.0/24``), and the
connection number, worker and client address follow from the request's trace id, so the same request is
logged the same way whenever it is asked for.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

UPSTREAM_PORT = 8080
WORKERS = 4
"""Worker processes (``worker_processes 4``): a line's ``pid#tid`` is one of them."""
WORKER_CONNECTIONS = 4096
"""``worker_connections``: what the ``worker_connections are not enough`` alert names."""


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def address_of(instance_id: str, zone: str) -> str:
    """An instance's address: one /24 per zone (by the zone's letter: a -> 10.0.1.x), a host per instance."""
    last = zone[-1:].lower()
    subnet = ord(last) - ord("a") + 1 if "a" <= last <= "z" else _crc(zone) % 200 + 30
    return f"10.0.{subnet}.{_crc(instance_id) % 240 + 10}:{UPSTREAM_PORT}"


def client_address(trace: int) -> str:
    """The remote address of a request (documentation range 198.51.100.0/24, by its trace id)."""
    return f"198.51.100.{trace % 250 + 2}"


def connection_number(trace: int) -> int:
    """nginx's ``*N`` connection number of a request (by its trace id)."""
    return (trace >> 64) % 9_000_000 + 1_000


def worker_pid(master_pid: int, trace: int) -> int:
    """The worker that served the request: one of the ``WORKERS`` after the master's pid."""
    return master_pid + 1 + trace % WORKERS


_PARAMETER = re.compile(r"\{[^}]*\}|\*")


def concrete_path(path: str, trace: int) -> str:
    """A route's path as a client requested it: each ``{id}`` (or ``*``) a number from the trace id."""
    return _PARAMETER.sub(lambda m: str((trace >> 16) % 90_000 + 10_000), path) if "{" in path or "*" in path else path


def server_name(service: str) -> str:
    """The ``server_name`` (and Host header) of an edge service."""
    return f"{service}.example.com"


@dataclass(frozen=True, slots=True)
class NginxRequest:
    """What nginx knows of one request when it logs it."""

    service: str
    master_pid: int
    trace: int
    method: str
    path: str
    upstream_group: str
    """The ``upstream`` block's name (the called service): shown when no address was chosen."""
    upstream_addr: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", concrete_path(self.path, self.trace))


def error_line(level: str, req: NginxRequest, text: str) -> str:
    """An error-log line in nginx's format (after its timestamp): ``[error] pid#tid: *cid text, client:
    ..., server: ..., request: "...", upstream: "...", host: "..."``."""
    pid = worker_pid(req.master_pid, req.trace)
    target = req.upstream_addr or req.upstream_group
    host = server_name(req.service)
    return (
        f"[{level}] {pid}#{pid}: *{connection_number(req.trace)} {text}, client: {client_address(req.trace)}, "
        f'server: {host}, request: "{req.method} {req.path} HTTP/1.1", upstream: "http://{target}{req.path}", '
        f'host: "{host}"'
    )


def access_line(
    req: NginxRequest,
    status: int,
    agent: str,
    request_s: float,
    upstream_s: float | None,
    upstream_status: int | None,
) -> str:
    """An access-log line: ``combined`` plus request and upstream timings, address and status (``-`` for an
    upstream never reached)."""
    body = 0 if status >= 400 and upstream_status is None else (req.trace % 9000) + 120
    if upstream_s is None:
        uct = urt = ua = us = "-"
    else:
        uct, urt = f"{min(upstream_s, 0.001):.3f}", f"{upstream_s:.3f}"
        ua, us = req.upstream_addr or req.upstream_group, str(upstream_status)
    return (
        f'{client_address(req.trace)} - - "{req.method} {req.path} HTTP/1.1" {status} {body} "-" "{agent}" '
        f'rt={request_s:.3f} uct="{uct}" urt="{urt}" ua="{ua}" us="{us}"'
    )


LEVEL_OF = {"warn": "WARN", "error": "ERROR", "crit": "ERROR", "alert": "ERROR", "emerg": "FATAL"}
"""The record's level for nginx's own severity."""


def record_level(status: int) -> str:
    """The record's level of an access line: 5xx ERROR, 4xx WARN, else INFO."""
    return "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"


UPSTREAM_TIMED_OUT_READING = (
    "upstream timed out (110: Connection timed out) while reading response header from upstream"
)
UPSTREAM_TIMED_OUT_CONNECTING = "upstream timed out (110: Connection timed out) while connecting to upstream"
CONNECTION_REFUSED = "connect() failed (111: Connection refused) while connecting to upstream"
NO_LIVE_UPSTREAMS = "no live upstreams while connecting to upstream"
CERTIFICATE_EXPIRED = (
    "upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream"
)


def worker_connections_exhausted() -> str:
    """What a worker logs when it cannot take another connection (the edge is overloaded)."""
    return f"{WORKER_CONNECTIONS} worker_connections are not enough while connecting to upstream"


def limiting_requests(excess: float, zone: str) -> str:
    """What ``limit_req`` logs when it rejects a request."""
    return f'limiting requests, excess: {excess:.3f} by zone "{zone}"'


def could_not_be_resolved(host: str, timed_out: bool) -> str:
    """What nginx's ``resolver`` logs when an upstream's name does not resolve."""
    return f"{host} could not be resolved ({'110: Operation timed out' if timed_out else '2: Server failure'})"


_BACKGROUND = {
    "config reloaded: 0 changes": ("notice", "[notice] {pid}#{pid}: signal 1 (SIGHUP) received, reconfiguring"),
    "client sent invalid Host header; rejected": (
        "info",
        "[info] {wpid}#{wpid}: *{cid} client sent invalid host header while reading client request headers, "
        'client: {client}, server: {server}, request: "GET / HTTP/1.1"',
    ),
}
_KEEPALIVE = ("info", "[info] {wpid}#{wpid}: *{cid} client {client} closed keepalive connection")


def background(template: str, master_pid: int, key: int, service: str) -> tuple[str, str]:
    """An edge's everyday chatter as nginx writes it (reloads, bad requests, closed keepalives), and the
    record's level for nginx's own severity."""
    severity, text = _BACKGROUND.get(template, _KEEPALIVE)
    message = text.format(
        pid=master_pid,
        wpid=worker_pid(master_pid, key),
        cid=connection_number(key << 64),
        client=client_address(key),
        server=server_name(service),
    )
    return LEVEL_OF.get(severity, "INFO"), message
