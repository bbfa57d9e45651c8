"""What a JVM service writes: exceptions with their multi-line stack traces, and unified GC log lines.

A Spring Boot service logs a failed request as the exception's first line, then one ``\\tat`` frame a
line (innermost first), then each ``Caused by:`` with its own frames and ``... N more`` for the frames
it shares with the exception above. The whole trace is one log entry (one record, its message has line
breaks), as a log shipper's multi-line rule joins it. Frames name the service's own code as its profiles
do (``{package}.web.{Service}Controller.{verb}{Path}``, or the scenario's ``stack.handlers``).

GC lines are JDK unified logging (``-Xlog:gc``): ``[12.345s][info][gc] GC(42) Pause Young (Normal)
(G1 Evacuation Pause) 512M->128M(1024M) 12.345ms``, with the instance's uptime, the collection's number
since it started, and heap figures from the model: the heap is the service's ``heap_mb`` (or 75 % of the
memory limit, the usual ``-XX:MaxRAMPercentage=75``), what survives is the model's live set (half the
base memory, times the instance's memory pressure), and pause x frequency is the model's share of time in
GC. Past 30 % of the time in GC the collector falls back to full compactions.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

from simulator.world.model import LIVE_SET_SHARE

DEFAULT_HEAP_SHARE = 0.75
"""Heap of a JVM without ``heap_mb``: ``-XX:MaxRAMPercentage=75`` of its container's memory limit."""
FULL_GC_FROM = 0.3
"""Share of time in GC past which G1 falls back to full compactions (the model's 'thrashing' zone)."""
HEAP_EXHAUSTED_FROM = 0.9
"""Share of time in GC at which allocations fail: ``java.lang.OutOfMemoryError: Java heap space``."""
QUIET_GC_EVERY_S = 10.0
"""Time between young collections of a JVM whose GC time the model does not count (no ``heap_mb``)."""

EXCEPTION = re.compile(r"^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)(?::|$)")
"""A message that is a Java exception's first line: ``pkg.Class(Exception|Error)[: message]``."""

_SERVER = (
    "org.springframework.web.servlet.FrameworkServlet.processRequest",
    "org.springframework.web.servlet.DispatcherServlet.doDispatch",
    "org.apache.catalina.core.ApplicationFilterChain.doFilter",
    "org.apache.coyote.http11.Http11Processor.service",
    "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun",
    "java.lang.Thread.run",
)
"""Frames below the controller of every request thread (Tomcat + Spring MVC), innermost first."""
_HIKARI = (
    "com.zaxxer.hikari.pool.HikariPool.createTimeoutException",
    "com.zaxxer.hikari.pool.HikariPool.getConnection",
    "com.zaxxer.hikari.HikariDataSource.getConnection",
    "org.springframework.jdbc.datasource.DataSourceUtils.fetchConnection",
    "org.springframework.jdbc.core.JdbcTemplate.execute",
)
_PGJDBC = (
    "org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication",
    "org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl",
    "org.postgresql.jdbc.PgConnection.<init>",
    "org.postgresql.Driver.makeConnection",
    "com.zaxxer.hikari.pool.PoolBase.newConnection",
    "com.zaxxer.hikari.pool.HikariPool.createPoolEntry",
)
_PGJDBC_IO = (
    "org.postgresql.core.v3.QueryExecutorImpl.execute",
    "org.postgresql.jdbc.PgStatement.executeInternal",
    "org.postgresql.jdbc.PgPreparedStatement.executeQuery",
    "org.springframework.jdbc.core.JdbcTemplate.query",
)
_SOCKET_READ = (
    "java.base/sun.nio.ch.NioSocketImpl.timedRead",
    "java.base/sun.nio.ch.NioSocketImpl.implRead",
    "java.base/java.net.Socket$SocketInputStream.read",
    "org.apache.http.impl.io.SessionInputBufferImpl.fillBuffer",
    "org.apache.http.impl.conn.DefaultHttpResponseParserFactory.parse",
    "org.apache.http.impl.execchain.MainClientExec.execute",
)
_REST_TEMPLATE = (
    "org.springframework.web.client.RestTemplate.doExecute",
    "org.springframework.web.client.RestTemplate.execute",
)
_CLIENT_ABORT = (
    "org.apache.catalina.connector.OutputBuffer.realWriteBytes",
    "org.apache.catalina.connector.OutputBuffer.flush",
    "org.apache.catalina.connector.CoyoteOutputStream.flush",
    "com.fasterxml.jackson.core.json.UTF8JsonGenerator.flush",
)
_SOCKET_WRITE = (
    "java.base/sun.nio.ch.SocketDispatcher.write0",
    "java.base/sun.nio.ch.IOUtil.write",
    "java.base/sun.nio.ch.SocketChannelImpl.write",
    "org.apache.tomcat.util.net.NioChannel.write",
)
_ALLOCATION = ("java.base/java.util.Arrays.copyOf", "java.base/java.util.ArrayList.grow")
_NATIVE = frozenset({"java.base/sun.nio.ch.SocketDispatcher.write0"})


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def package_of(spec) -> str:
    """The service's own package (``stack.package`` or ``com.shop.<name>``, as its profiles name it)."""
    if spec.stack is not None and spec.stack.package:
        return spec.stack.package
    return "com.shop." + spec.name.replace("-", "")


def handler_of(spec, route: str) -> tuple[str, ...]:
    """The frames of the service's own code that serve ``route``, caller first, as its profiles name them
    (simulator.diagnostics.frames): the scenario's ``stack.handlers`` entry, else its controller and
    service methods."""
    if spec.stack is not None and route in spec.stack.handlers:
        return (spec.stack.handlers[route],)
    package, svc = package_of(spec), _camel(spec.name)
    verb, _, path = route.partition(" ")
    words = [w for w in re.split(r"[/{}]+", path) if w and w != "api"]
    path_camel = "".join("By" + _camel(w) if route.count("{" + w + "}") else _camel(w) for w in words) or "Root"
    method = f"{verb.lower()}{path_camel}"
    return f"{package}.web.{svc}Controller.{method}", f"{package}.{svc}Service.{method}"


@lru_cache(maxsize=4096)
def frame(function: str) -> str:
    """One ``\\tat`` line: ``pkg.Class.method(Class.java:NN)``, line numbers stable per function."""
    if function in _NATIVE:
        return f"\tat {function}(Native Method)"
    owner = function.rsplit(".", 1)[0].rsplit("/", 1)[-1]
    source = owner.rsplit(".", 1)[-1].split("$", 1)[0]
    return f"\tat {function}({source}.java:{zlib.crc32(function.encode()) % 900 + 40})"


def stack_trace(head: str, frames: tuple[str, ...], *causes: tuple[str, tuple[str, ...]]) -> str:
    """An exception with its frames, then each ``Caused by:`` with the frames it does not share with the
    one above it and ``... N more`` for those it does (as ``Throwable.printStackTrace`` writes them)."""
    lines = [head, *(frame(f) for f in frames)]
    above = frames
    for cause_head, cause_frames in causes:
        shared = 0
        while shared < min(len(above), len(cause_frames)) and above[-1 - shared] == cause_frames[-1 - shared]:
            shared += 1
        lines.append(f"Caused by: {cause_head}")
        lines.extend(frame(f) for f in cause_frames[: len(cause_frames) - shared])
        if shared:
            lines.append(f"\t... {shared} more")
        above = cause_frames
    return "\n".join(lines)


def request_frames(spec, route: str, *inner: str) -> tuple[str, ...]:
    """A request thread's frames, innermost first: ``inner`` (a library's), then the service's own
    service and controller methods, then Spring and Tomcat."""
    return (*inner, *reversed(handler_of(spec, route)), *_SERVER)


_TRACES: dict[tuple, tuple[object, str]] = {}
"""Traces already written, by (spec identity, route, message, type, dependency): an error line repeats its
trace (same exception, same handler) and building one costs ~40 us."""


def exception_trace(spec, route: str, message: str, etype: str, dependency: str = "") -> str:
    """A failed request's message as the JVM logs it: the exception with its frames (and causes).

    A message that is not a Java exception (an author's plain text) is left as it is.
    """
    key = (id(spec), route, message, etype, dependency)
    hit = _TRACES.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    if len(_TRACES) > 4096:
        _TRACES.clear()
    text = _exception_trace(spec, route, message, etype, dependency)
    _TRACES[key] = (spec, text)
    return text


def _exception_trace(spec, route: str, message: str, etype: str, dependency: str) -> str:
    if message.startswith("HikariPool-"):
        return _pool_timeout(spec, route, f"{etype}: {message}")
    if message.startswith("org.postgresql.util.PSQLException: FATAL: sorry, too many clients"):
        return stack_trace(message, request_frames(spec, route, *_PGJDBC, *_HIKARI[1:]))
    if message.startswith("org.postgresql.util.PSQLException: I/O error"):
        outer = request_frames(spec, route, *_PGJDBC_IO)
        read = ("java.base/sun.nio.ch.NioSocketImpl.implRead",
                "org.postgresql.core.VisibleBufferedInputStream.readMore")  # fmt: skip
        return stack_trace(message, outer, ("java.net.SocketException: Connection reset", read + outer))
    if message.startswith("org.apache.catalina.connector.ClientAbortException"):
        write = (*_SOCKET_WRITE, *_CLIENT_ABORT)
        return stack_trace(
            message, request_frames(spec, route, *_CLIENT_ABORT), ("java.io.IOException: Broken pipe", write)
        )
    if not EXCEPTION.match(message):
        return message
    own = f"{package_of(spec)}.client.{_camel(dependency)}Client.call" if dependency else ""
    return stack_trace(message, request_frames(spec, route, *((own,) if own else ())))


def _pool_timeout(spec, route: str, head: str) -> str:
    """Spring's wrapper around Hikari's timeout, ``Caused by:`` the pool's own exception."""
    frames = request_frames(spec, route, *_HIKARI)
    outer = request_frames(spec, route, "org.springframework.jdbc.datasource.DataSourceUtils.getConnection",
                           "org.springframework.jdbc.core.JdbcTemplate.execute")  # fmt: skip
    return stack_trace(
        f"org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection; nested "
        f"exception is {head}",
        outer,
        (head, frames),
    )


_JEDIS = ("redis.clients.jedis.Protocol.read", "redis.clients.jedis.Connection.getBulkReply",
          "redis.clients.jedis.Jedis.get")  # fmt: skip


def read_timeout(spec, route: str, dependency: str, kind: str, request: tuple[str, str], timeout_ms: int) -> str:
    """A call that waited ``timeout_ms`` for its dependency's answer, by the client that made it: JDBC to
    a database, Jedis to a cache, RestTemplate to an HTTP service; each caused by the socket's timeout."""
    own = f"{package_of(spec)}.client.{_camel(dependency)}Client.call"
    if kind == "database":
        library, head = (
            _PGJDBC_IO,
            "org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend.",
        )
    elif kind == "cache":
        library, head = (
            _JEDIS,
            "redis.clients.jedis.exceptions.JedisConnectionException: java.net.SocketTimeoutException: Read timed out",
        )
    else:
        library = _REST_TEMPLATE
        head = (
            f"org.springframework.web.client.ResourceAccessException: I/O error on {request[0]} request for "
            f'"http://{dependency}{request[1]}": Read timed out (after {timeout_ms}ms)'
        )
    outer = request_frames(spec, route, *library, own)
    inner = (*_SOCKET_READ[:3], *outer)
    return stack_trace(head, outer, ("java.net.SocketTimeoutException: Read timed out", inner))


def heap_exhausted(spec, route: str) -> str:
    """The JVM's answer to an allocation when the heap is full of live objects."""
    return stack_trace("java.lang.OutOfMemoryError: Java heap space", request_frames(spec, route, *_ALLOCATION))


CLIENT_ABORTS = [
    ("org.apache.catalina.connector.ClientAbortException: java.io.IOException: Broken pipe", 499,
     "ClientAbortException"),
    ("org.apache.catalina.connector.ClientAbortException: java.io.IOException: Connection reset by peer", 499,
     "ClientAbortException"),
    ("Resolved [org.springframework.web.bind.MethodArgumentNotValidException: Validation failed for argument [0]: "
     "field 'email': rejected value [n/a]; must be a well-formed email address]", 400,
     "MethodArgumentNotValidException"),
]  # fmt: skip
"""A JVM service's everyday failed requests (the baseline), as many as the other runtimes' (same draws)."""


def heap_of(heap_mb: float | None, memory_limit: float) -> float:
    """The JVM's heap: ``heap_mb`` if the service sets it, else ``MaxRAMPercentage`` of its limit."""
    return heap_mb if heap_mb is not None else memory_limit * DEFAULT_HEAP_SHARE


def live_set(base_mb: float, pressure: float) -> float:
    """What survives a collection: the model's live set (simulator.world.model.LIVE_SET_SHARE)."""
    return base_mb * LIVE_SET_SHARE * pressure


def young_pause_ms(live_mb: float) -> float:
    """A young pause copies the survivors: about 2 ms plus 0.05 ms per live MB."""
    return 2.0 + 0.05 * live_mb


def full_pause_ms(live_mb: float) -> float:
    """A full compaction marks and moves the whole live set: about 50 ms plus 1.5 ms per live MB."""
    return 50.0 + 1.5 * live_mb


def gc_line(uptime_s: float, gc_share: float, heap_mb: float, live_mb: float) -> tuple[str, bool]:
    """The unified-logging line of the instance's latest collection, and whether it was a full one.

    Collections come every ``pause / gc_share`` seconds (the model's share of time in GC), so the
    ``GC(n)`` number is how many there were since the JVM started. A collection starts when the heap
    is nearly full and leaves the live set behind.
    """
    live = min(live_mb, heap_mb)
    full = gc_share > FULL_GC_FROM
    pause = full_pause_ms(live) if full else young_pause_ms(live)
    every_s = pause / 1000.0 / gc_share if gc_share > 0 else QUIET_GC_EVERY_S
    number = int(max(uptime_s, 0.0) / every_s)
    before = live + (heap_mb - live) * 0.95
    kind = "Pause Full (G1 Compaction Pause)" if full else "Pause Young (Normal) (G1 Evacuation Pause)"
    return (
        f"[{number * every_s:.3f}s][info][gc] GC({number}) {kind} {before:.0f}M->{live:.0f}M({heap_mb:.0f}M) "
        f"{pause:.3f}ms",
        full,
    )
