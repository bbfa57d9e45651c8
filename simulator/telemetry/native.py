"""Each stack logs in its own shape: reading logs should teach what real logs look like.

A PostgreSQL server writes ``LOG:  duration: ... statement: ...`` and ``FATAL:  sorry, too many clients
already``, never an HTTP access line; Envoy writes its access-log format; nginx its combined access log
and its error log (simulator.telemetry.nginx); a Go service writes logfmt and ``gctrace`` lines; a JVM
writes exceptions with multi-line stack traces and unified GC lines (simulator.telemetry.jvm). A Redis
node does not log requests at all. The language comes from the service's ``stack`` or its kind (as the
profiler's). What each runtime writes for a failed request is in simulator.telemetry.causes.
"""

from __future__ import annotations

KIND_LANGUAGE = {"service": "java", "queue": "java", "database": "postgres", "cache": "redis", "edge": "envoy"}
"""The runtime a service without ``stack.language`` runs, by kind (the profiler uses the same table). An
edge declared ``stack: {language: nginx}`` logs as nginx."""


def language_of(spec) -> str:
    """The runtime a service logs as."""
    if spec.stack is not None and spec.stack.language is not None:
        return spec.stack.language
    return KIND_LANGUAGE.get(spec.kind, "java")


def _sql(route: str) -> str:
    verb, _, table = route.partition(" ")
    table = (table.removesuffix("-db") or "items").replace("-", "_")
    if verb == "UPDATE":
        return f"UPDATE {table} SET updated_at = now() WHERE id = $1"
    if verb == "INSERT":
        return f"INSERT INTO {table} VALUES ($1, $2, $3)"
    return f"SELECT * FROM {table} WHERE id = $1"


def access_message(language: str, route: str, status: int, ms: float, client: str | None, pid: int) -> str | None:
    """The access line a request leaves in this runtime's own format (None: it logs none)."""
    method, _, path = route.partition(" ")
    who = f" client={client}" if client is not None else ""
    if language == "postgres":
        return f"[{pid}] LOG:  duration: {ms:.3f} ms  statement: {_sql(route)}"
    if language == "redis":
        return None  # Redis logs no requests (its slowlog is queried, not written)
    if language == "envoy":
        agent = client or "-"
        return f'"{method} {path or "/"} HTTP/1.1" {status} - 0 {int(ms * 97) % 9000 + 120} {int(ms)} "{agent}"'
    if language == "go":
        return f'level=info msg="request handled" method={method} path={path} status={status} duration={ms}ms{who}'
    return f"{route} {status} {ms}ms{who}"


def gc_message(language: str, gc_ratio: float, heap_mb: float | None, live_mb: float, seq: int) -> str:
    """A Go collection as ``GODEBUG=gctrace=1`` prints it (its pause follows from the share of time in GC).
    A JVM's lines are simulator.telemetry.jvm.gc_line."""
    heap = int(heap_mb or live_mb * 2)
    before = min(heap, int(live_mb + (heap - live_mb) * 0.95))
    pause = 5.0 + 400.0 * gc_ratio
    return f"gc {seq} @{seq * 0.7:.3f}s {gc_ratio * 100:.0f}%: {pause:.1f} ms clock, {before}->{int(live_mb)} MB"


def too_many_clients(pid: int) -> str:
    """What PostgreSQL itself logs when a client connects past max_connections."""
    return f"[{pid}] FATAL:  sorry, too many clients already"


POSTGRES_ERRORS = [
    ("ERROR:  canceling statement due to user request", 499, "QueryCanceled"),
    ("LOG:  could not receive data from client: Connection reset by peer", 499, "ConnectionReset"),
    ("ERROR:  could not serialize access due to concurrent update", 409, "SerializationFailure"),
]
"""A PostgreSQL server's everyday errors (the baseline share of failed requests)."""


def server_line(language: str, pid: int, message: str) -> str:
    """A line a database daemon writes, with its own prefix (``[pid] LOG:  ...``)."""
    if language == "postgres" and not message.startswith(("LOG:", "ERROR:", "FATAL:", "WARNING:")):
        return f"[{pid}] LOG:  {message}"
    if language == "postgres":
        return f"[{pid}] {message}"
    return message
