"""Sampled traces: span trees along the call graph, drawn from the tick's model state.

Head sampling keeps one trace every few seconds; tail sampling keeps a share of failed requests, whose
failure is placed where the model says the errors come from (own fault, overload, pool, a dependency),
so a trace's culprit span agrees with the metrics and with the error log line carrying its trace id.
"""

from __future__ import annotations

import marshal
import math
import random
from collections import deque
from dataclasses import dataclass, replace

from simulator.telemetry.causes import pool_message
from simulator.telemetry.cold import ColdChunk, ColdFile, as_bytes
from simulator.telemetry.logs import LogGenerator, routes_of, span_id, trace_id
from simulator.views import Span, Trace
from simulator.world.state import ServiceState, World

_UNPACKED = 64
"""The newest traces a store keeps as they are (what the trace list shows); older ones are packed."""

_HEAD_EVERY = 5.0  # seconds between head-sampled traces
_ERROR_SAMPLE = 0.02  # share of failed entry requests kept...
_ERROR_MAX_PER_S = 0.25  # ...but no more than one every four seconds
_MAX_SPANS = 120
_SOURCE_EVERY = 20.0  # seconds between sampled traces of one internal source (a job, a consumer, a probe)

_STATUS = {
    "fault": (500, "fault"),
    "flag": (500, "flag"),
    "no_primary": (500, "no_primary"),
    "baseline": (500, "internal"),
    "overload": (503, "overload"),
    "pool_exhausted": (500, "SQLTransientConnectionException"),
    "dead_target": (504, "timeout"),
    "no_healthy_upstream": (503, "no_healthy_upstream"),
    "rate_limited": (429, "rate_limited"),
    "shed": (503, "shed"),
    "dns": (502, "dns"),
    "buffer_full": (503, "buffer_full"),
}


_CLIENT_NAMES: dict[tuple[str, str], str] = {}


def _client_name(kind: str, dep: str) -> str:
    """A CLIENT span's name (``query db``, ``call api``), one string per callee shared by all its spans."""
    name = _CLIENT_NAMES.get((kind, dep))
    if name is None:
        if len(_CLIENT_NAMES) > 10_000:
            _CLIENT_NAMES.clear()
        name = _CLIENT_NAMES[(kind, dep)] = f"{kind == 'database' and 'query' or 'call'} {dep}"
    return name


def _mark_slow_span(spans: list[Span], typical_ms: float) -> None:
    """In a slow request, mark the span whose own time (minus its children) dominates: the waterfall's
    slow span. A request near the typical latency has no culprit."""
    if spans[0].duration_ms < 3.0 * max(typical_ms, 1.0):
        return
    children: dict[str, float] = {}
    for sp in spans:
        if sp.parent_id:
            children[sp.parent_id] = children.get(sp.parent_id, 0.0) + sp.duration_ms
    own = [(sp.duration_ms - children.get(sp.span_id, 0.0), i) for i, sp in enumerate(spans)]
    _, worst = max(own)
    spans[worst] = replace(spans[worst], culprit=True)


_SERVICE_SETS: dict[frozenset[str], frozenset[str]] = {}
"""One copy of each set of services a packed trace went through (a frozenset is 200 bytes or more)."""


@dataclass(frozen=True, slots=True)
class _PackedTrace:
    """A trace past the newest few: its spans' fields as one ``marshal`` string (about 120 bytes a span,
    against about 300 as objects) kept in the store's cold file, unpacked when read; the fields queries
    filter on kept as they are."""

    trace_id: str
    t: float
    root_service: str
    name: str
    duration_ms: float
    status: str
    services: frozenset[str]
    spans: ColdChunk | bytes

    @staticmethod
    def of(trace: Trace, cold: ColdFile) -> _PackedTrace:
        """``trace`` packed."""
        fields = tuple(
            (sp.span_id, sp.parent_id, sp.service, sp.instance, sp.name, sp.kind, sp.start_ms, sp.duration_ms,
             sp.status, sp.status_code, sp.error_type, sp.culprit)
            for sp in trace.spans
        )  # fmt: skip
        services = frozenset(sp.service for sp in trace.spans)
        if len(_SERVICE_SETS) > 10_000:
            _SERVICE_SETS.clear()  # bounded: traces keep the sets they have, later ones share anew
        services = _SERVICE_SETS.setdefault(services, services)
        return _PackedTrace(
            trace.trace_id, trace.t, trace.root_service, trace.name, trace.duration_ms, trace.status, services,
            cold.put(marshal.dumps(fields)),
        )  # fmt: skip

    def unpack(self) -> Trace:
        """The trace as it was added."""
        spans = tuple(Span(*fields) for fields in marshal.loads(as_bytes(self.spans)))
        return Trace(self.trace_id, self.t, self.root_service, self.name, self.duration_ms, self.status, spans)

    @property
    def error(self) -> bool:
        """True when the root span failed."""
        return self.status == "ERROR"

    def __deepcopy__(self, memo: dict) -> _PackedTrace:
        return self  # immutable: a session's snapshot shares it


def _unpacked(entry: Trace | _PackedTrace) -> Trace:
    return entry.unpack() if type(entry) is _PackedTrace else entry


def _has_service(entry: Trace | _PackedTrace, service: str) -> bool:
    if type(entry) is _PackedTrace:
        return service in entry.services
    return any(sp.service == service for sp in entry.spans)


class TraceStore:
    """Bounded store of sampled traces, newest last: the newest ``_UNPACKED`` as they are, older ones
    packed (:class:`_PackedTrace`); queries and lookups give back equal traces either way."""

    def __init__(self, capacity: int = 5000) -> None:
        self.traces: deque[Trace | _PackedTrace] = deque(maxlen=capacity)
        self._by_id: dict[str, Trace | _PackedTrace] | None = {}
        """The traces by id (None in a copy until first needed: rebuilt from ``traces``)."""
        self._cold = ColdFile()
        """Where packed traces keep their spans (shared by every copy of the store)."""

    def add(self, trace: Trace) -> None:
        """Keep a trace (dropping the oldest beyond capacity, packing the one that is no longer of the newest)."""
        if self._by_id is None:
            self._by_id = self._index()
        traces = self.traces
        if len(traces) == traces.maxlen:
            self._by_id.pop(traces[0].trace_id, None)
        traces.append(trace)
        self._by_id[trace.trace_id] = trace
        if len(traces) > _UNPACKED:
            older = traces[-_UNPACKED - 1]
            if type(older) is Trace:
                packed = traces[-_UNPACKED - 1] = _PackedTrace.of(older, self._cold)
                if self._by_id.get(older.trace_id) is older:
                    self._by_id[older.trace_id] = packed

    def __getstate__(self) -> dict:
        """The store as copied (a session's snapshot, 8 of them kept): without the index by id, rebuilt from the
        traces when a copy first needs it (5,000 entries: 0.2 MB a snapshot)."""
        state = self.__dict__.copy()
        state["_by_id"] = None
        return state

    def _index(self) -> dict[str, Trace | _PackedTrace]:
        return {trace.trace_id: trace for trace in self.traces}

    def get(self, trace_id: str) -> Trace | None:
        """The trace with this id, if retained."""
        if self._by_id is None:
            self._by_id = self._index()
        found = self._by_id.get(trace_id)
        return None if found is None else _unpacked(found)

    def query(
        self,
        service: str | None = None,
        errors_only: bool = False,
        min_duration_ms: float | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
    ) -> list[Trace]:
        """Newest traces first that match every filter (``service``: any span of that service)."""
        out: list[Trace] = []
        for tr in reversed(self.traces):
            if until is not None and tr.t > until:
                continue
            if since is not None and tr.t < since:
                break
            if errors_only and not tr.error:
                continue
            if min_duration_ms is not None and tr.duration_ms < min_duration_ms:
                continue
            if service and not _has_service(tr, service):
                continue
            out.append(_unpacked(tr))
            if len(out) >= limit:
                break
        return out


class TraceGenerator:
    """Samples traces each tick and writes the error log lines that go with failed ones."""

    def __init__(self, world: World, entry: str, store: TraceStore, logs: LogGenerator, rng: random.Random) -> None:
        self.world = world
        self.entry = entry
        self.store = store
        self.logs = logs
        self.rng = rng
        self._head_debt = 0.0
        self._error_debt = 0.0
        self.sources: dict[str, object] = {}
        """Internal traffic sources by name (set by the simulation): their requests are traced too."""
        self._source_debt: dict[str, float] = {}

    def tick(self, t: float, dt: float) -> None:
        """Keep the traces sampling calls for in this tick."""
        entry = self.world.services[self.entry]
        self._head_debt += dt / _HEAD_EVERY
        if self._head_debt >= 1.0:
            self._head_debt -= 1.0
            self.sample(t, force_error=False, dt=dt)
        self._error_debt = min(self._error_debt + min(entry.errors * _ERROR_SAMPLE, _ERROR_MAX_PER_S) * dt, 1.0)
        if self._error_debt >= 1.0 and entry.errors > 0:
            self._error_debt -= 1.0
            self.sample(t, force_error=True, dt=dt)
        if self.sources:
            self._sample_sources(t, dt)

    def _sample_sources(self, t: float, dt: float) -> None:
        """One trace every ``_SOURCE_EVERY`` seconds per running internal source."""
        for rates in self.world.internal_clients.values():
            for source in rates:
                debt = self._source_debt.get(source, 0.0) + dt / _SOURCE_EVERY
                if debt >= 1.0:
                    debt -= 1.0
                    self.sample_source(t, self.sources[source])
                self._source_debt[source] = debt

    def sample_source(self, t: float, src) -> Trace:
        """A request of an internal source: its CLIENT span, one SERVER subtree per attempt, and the
        retries (after their back-off) as long as attempts fail and retries are left."""
        rng = self.rng
        tid = trace_id(rng)
        root = span_id(rng)
        spans: list[Span] = [None]  # the root CLIENT span, filled in once its attempts are known
        cursor = 0.0
        code = 200
        for attempt in range(src.retries + 1):
            if attempt:
                cursor += src.backoff * 1000.0
            duration, code, _ = self._server(src.target, root, cursor, False, tid, t, spans)
            cursor += duration
            if code < 500:
                break
        status = "ERROR" if code >= 500 else "OK"
        name = f"{src.kind} {src.name} {src.route}"
        spans[0] = Span(root, "", src.name, src.name, name, "CLIENT", 0.0, round(cursor, 2), status, code)
        trace = Trace(tid, t - cursor / 1000.0, src.name, name, round(cursor, 2), status, tuple(spans))
        self.store.add(trace)
        return trace

    def sample(self, t: float, force_error: bool, dt: float = 1.0) -> Trace:
        """Draw one trace of a request that finished during the tick ending at ``t``."""
        rng = self.rng
        tid = trace_id(rng)
        spans: list[Span] = []
        duration, _, _ = self._server(self.entry, "", 0.0, force_error, tid, t, spans)
        if not any(sp.culprit for sp in spans):
            _mark_slow_span(spans, self.world.services[self.entry].p50)
        root = spans[0]
        # Log lines are stamped at the tick's end (keeping the log in time order); place the request so
        # that its failing span ends at that moment, or so that a healthy one finished within the tick.
        culprit_ends = [sp.start_ms + sp.duration_ms for sp in spans if sp.culprit]
        if culprit_ends:
            begin = t - max(culprit_ends) / 1000.0
        else:
            begin = t - duration / 1000.0 - dt * rng.random()
        trace = Trace(tid, begin, self.entry, root.name, duration, root.status, tuple(spans))
        self.store.add(trace)
        return trace

    def _server(self, name: str, parent: str, start: float, force_error: bool, tid: str, t: float, spans: list[Span]):
        """Append the SERVER span of ``name`` and its subtree; returns (duration, status code, culprit)."""
        rng = self.rng
        s = self.world.services[name]
        sid = span_id(rng)
        index = len(spans)
        routes = routes_of(s)
        route = routes[int(rng.random() * len(routes))]
        spans.append(None)  # placeholder keeps the parent before its children
        rotation = s.rotation

        cause = self._choose_cause(s, force_error) if force_error else self._natural_cause(s)
        if not rotation or cause in ("no_healthy_upstream", "rate_limited", "shed"):
            code, etype = _STATUS.get(cause or "no_healthy_upstream", (503, "no_healthy_upstream"))
            spans[index] = Span(
                sid, parent, name, f"{name}-lb", route, "SERVER", start, 0.8, "ERROR", code, etype, True
            )
            self._log(t, s, cause or "no_healthy_upstream", tid, sid, route)
            return 0.8, code, True
        inst = rotation[int(rng.random() * len(rotation))]
        hangs = inst.broken_since is not None and (
            cause == "dead_target" or rng.random() < self.world.zone_fail_share.get(inst.zone, 1.0)
        )
        if cause == "dead_target" or hangs:
            hang = max(
                self.world.zone_hang.get(inst.zone, 0.0) * 1000.0 if inst.zone in self.world.down_zones else 1.0, 1.0
            )
            spans[index] = Span(sid, parent, name, inst.id, route, "SERVER", start, hang, "ERROR", 504, "timeout", True)
            self._log(t, s, "dead_target", tid, sid, route)
            return hang, 504, True

        own = s.spec.latency_ms * s.lat_factor_of(inst) * math.exp(s.spec.latency_spread * rng.gauss(0.0, 1.0) * 0.6)
        cursor = start + own * 0.3
        failed_child = None
        forced_dep = cause if cause and cause.startswith("dep:") else None
        timeout_ms = s.tuning.timeout_s * 1000.0
        for dep, fanout in s.spec.calls.items():
            if dep in s.fallbacks or len(spans) > _MAX_SPANS:
                continue
            calls = int(fanout) + (1 if rng.random() < fanout - int(fanout) else 0)
            if forced_dep == "dep:" + dep:
                calls = max(calls, 1)
            for k in range(calls):
                force_child = forced_dep == "dep:" + dep and k == calls - 1
                cid = span_id(rng)
                client_index = len(spans)
                spans.append(None)
                child_d, child_code, _ = self._server(dep, cid, cursor + 0.2, force_child, tid, t, spans)
                d = self.world.services[dep]
                timed_out = child_d >= timeout_ms
                client_d = min(child_d + 0.4, timeout_ms)
                error = child_code >= 500 or timed_out
                spans[client_index] = Span(
                    cid,
                    sid,
                    name,
                    inst.id,
                    _client_name(d.spec.kind, dep),
                    "CLIENT",
                    cursor,
                    client_d,
                    "ERROR" if error else "OK",
                    504 if timed_out else child_code,
                    "timeout" if timed_out else ("upstream" if error else ""),
                    timed_out,
                )
                cursor += client_d
                if error:
                    failed_child = (dep, timed_out)
        duration = cursor - start + own * 0.7
        code, etype, culprit = 200, "", False
        if cause in ("fault", "flag", "no_primary", "baseline", "overload", "pool_exhausted", "dns", "buffer_full"):
            code, etype = _STATUS[cause]
            if cause == "pool_exhausted":
                _, code, etype = pool_message(self.world, s, int(timeout_ms))
            culprit = True
            if cause == "pool_exhausted":
                duration = max(duration, timeout_ms)
            self._log(t, s, cause, tid, sid, route)
        elif failed_child is not None:
            code, etype = (504, "timeout") if failed_child[1] else (502, "upstream")
        duration = round(duration, 2)
        status = "ERROR" if code >= 500 else "OK"
        spans[index] = Span(sid, parent, name, inst.id, route, "SERVER", start, duration, status, code, etype, culprit)
        return duration, code, culprit

    def _natural_cause(self, s: ServiceState) -> str | None:
        """For a head-sampled request: fail at this hop with the model's own-error probability."""
        r = self.rng.random() * (s.rate or 1.0)
        for cause, rate in s.causes.items():
            if cause == "dependency":
                continue
            r -= rate
            if r < 0:
                return cause
        return None

    def _choose_cause(self, s: ServiceState, force_error: bool) -> str | None:
        """For a failed request: where it failed, weighted as the model's error causes are."""
        weights: dict[str, float] = {c: v for c, v in s.causes.items() if c != "dependency" and v > 0}
        dep_total = s.causes.get("dependency", 0.0)
        if dep_total > 0 and s.dep_causes:
            share = sum(s.dep_causes.values())
            for dep, fail in s.dep_causes.items():
                weights["dep:" + dep] = dep_total * fail / share
        if not weights:
            return None
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def _log(self, t: float, s: ServiceState, cause: str, tid: str, sid: str, route: str) -> None:
        self.logs.error_line(t, s, cause, tid, sid, route)
