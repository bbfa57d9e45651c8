"""Telemetry consistency: traces agree with logs, spans form trees, queries filter, stores stay bounded."""

from __future__ import annotations

import math
import random
import struct
from array import array

import pytest
from simkit import chain_spec, sim_of

from simulator.telemetry.cold import ColdChunk
from simulator.telemetry.logs import LogStore
from simulator.telemetry.series import SeriesStore
from simulator.telemetry.traces import TraceStore
from simulator.views import Span, Trace


@pytest.fixture(scope="module")
def db_fault():
    spec = chain_spec(capacity_rps=1000)
    spec["faults"] = [{"type": "bad_deploy", "at": "30s", "service": "db", "version": "15.5", "error_rate": 0.3}]
    sim = sim_of(spec, seed=4)
    sim.run_until(600)
    return sim


def test_every_error_trace_id_appears_in_an_error_log_line(db_fault):
    errors = db_fault.traces(errors_only=True, limit=1000)
    assert len(errors) >= 5
    for trace in errors:
        lines = db_fault.log_store.query(trace_id=trace.trace_id)
        assert any(line.level == "ERROR" for line in lines), trace.trace_id
        span_ids = {s.span_id for s in trace.spans}
        assert all(line.span_id in span_ids for line in lines)


def test_spans_form_a_tree_and_the_culprit_is_marked(db_fault):
    traces = db_fault.traces(limit=1000)
    assert any(not t.error for t in traces) and any(t.error for t in traces)
    for trace in traces:
        ids = [s.span_id for s in trace.spans]
        assert len(ids) == len(set(ids))
        roots = [s for s in trace.spans if not s.parent_id]
        assert len(roots) == 1 and roots[0].service == "web" and roots[0].kind == "SERVER"
        assert set(s.parent_id for s in trace.spans if s.parent_id) <= set(ids)
        by_id = {s.span_id: s for s in trace.spans}
        for s in trace.spans:
            if s.parent_id:
                parent = by_id[s.parent_id]
                assert (parent.kind, s.kind) in {("SERVER", "CLIENT"), ("CLIENT", "SERVER")}
                assert s.start_ms >= parent.start_ms - 1e-9
            assert s.duration_ms >= 0
            assert (s.status == "ERROR") == (s.status_code >= 500)
        assert trace.status == roots[0].status
        if trace.error:
            culprits = [s for s in trace.spans if s.culprit]
            assert len(culprits) == 1 and culprits[0].service == "db" and culprits[0].status == "ERROR"
            assert culprits[0].error_type == "fault"


def test_span_names_follow_the_call_graph(db_fault):
    trace = db_fault.traces(limit=1)[0]
    services = [s.service for s in trace.spans if s.kind == "SERVER"]
    assert services[:3] == ["web", "api", "db"]
    assert all(s.name.split(" ", 1)[0] in ("GET", "POST", "SELECT", "UPDATE", "call", "query") for s in trace.spans)


def test_log_query_filters(db_fault):
    store = db_fault.log_store
    everything = store.query()
    assert everything and [r.t for r in everything] == sorted(r.t for r in everything)
    assert {r.service for r in store.query(service="api")} == {"api"}
    warn_up = store.query(level="warn")
    assert warn_up and {r.level for r in warn_up} <= {"WARN", "ERROR", "FATAL"}
    assert len(warn_up) == sum(r.level in ("WARN", "ERROR", "FATAL") for r in everything)
    hits = store.query(text="NULLPOINTEREXCEPTION")
    assert hits and all("nullpointerexception" in r.message.lower() for r in hits)
    tid = next(r.trace_id for r in everything if r.trace_id)
    assert {r.trace_id for r in store.query(trace_id=tid)} == {tid}
    window = store.query(since=100, until=200)
    assert window and all(100 <= r.t <= 200 for r in window)
    newest = store.query(limit=5)
    assert newest == everything[-5:]
    both = store.query(service="db", level="ERROR", text="cart")
    assert both and all(r.service == "db" and r.level == "ERROR" for r in both)


def test_simulation_logs_are_the_lines_of_the_fault_the_world_runs(db_fault):
    lines = db_fault.logs(service="db", level="ERROR")
    assert lines == db_fault.log_store.query(service="db", level="ERROR")
    fault = db_fault.scenario.faults[0]
    bad = {i.id: i for i in db_fault.world.services["db"].instances}
    assert {i.version for i in bad.values()} == {"15.5"}  # the rollout of the bad version has finished
    # Every db error line is the bad version's failure, from an instance that runs it, after the
    # rollout began; none before, none from the good version.
    assert len(lines) > 100
    assert min(r.t for r in lines) > fault.at
    for r in lines:
        assert (r.version, r.message, r.instance in bad) == ("15.5", fault.error_message, True), r
        assert (r.attributes["error.type"], r.attributes["http.response.status_code"]) == ("fault", 500), r
    window = db_fault.logs(service="db", level="ERROR", since=300, until=400)
    assert window == [r for r in lines if 300 <= r.t <= 400] and window
    assert db_fault.logs(service="db", level="ERROR", limit=3) == lines[-3:]


def test_log_lines_have_otel_fields(db_fault):
    for r in db_fault.log_store.query(level="ERROR", service="web")[:50]:
        assert r.trace_id and len(r.trace_id) == 32 and len(r.span_id) == 16
        assert {"http.route", "http.response.status_code", "error.type"} <= set(r.attributes)
        assert r.zone in ("zone-a", "zone-b", "zone-c") and r.instance.startswith("web-")


def test_log_store_is_bounded():
    store = LogStore(capacity=10)
    for k in range(25):
        store.add(float(k), "INFO", "s", "v", "z", "i", f"line {k}")
    assert len(store.query()) == 10 and store.total == 25
    assert [r.message for r in store.query()][0] == "line 15"
    lines, index = store.since_index(20)
    assert [r.message for r in lines] == [f"line {k}" for k in range(20, 25)] and index == 25
    lines, _ = store.since_index(0)
    assert len(lines) == 10, "a tail that fell behind gets what is retained"


@pytest.mark.parametrize(("capacity", "lines", "every"), [(8, 60, 1), (1500, 4200, 97)])
def test_log_store_retains_the_newest_lines_exactly_across_its_cuts(capacity, lines, every):
    """The columns are appended to and cut back in one go (not a ring), and every 1,024 lines their messages
    are packed into one compressed block: after each line (every ``every``-th for the long run), what a
    query, a text filter, a tail and a trace lookup see is exactly the newest ``capacity`` lines, odd times,
    long ids, stack traces and odd characters too."""
    store = LogStore(capacity=capacity)
    written = []
    frames = "".join(f"\tat com.shop.Api.call{k}(Api.java:{k})\n" for k in range(30))
    for k in range(lines):
        t = k if k % 7 == 0 else float(k)  # an integer time now and then (kept as given)
        trace = (1 << 130) + k if k % 5 == 0 else k + 1  # an id too long for the columns now and then
        message = f"line {k}" if k % 11 else f"Błąd \ud800 {k}\n{frames}"  # a stack trace, a lone surrogate
        store.add(t, "WARN" if k % 3 else "INFO", "s", "v", "z", "i", message, trace, k + 2, {"probe": k})
        written.append((t, message, f"{trace:032x}", k))
        if k % every and k != lines - 1:
            continue
        kept = written[-capacity:]
        seen = [(r.t, r.message, r.trace_id, r.attributes["probe"]) for r in store.query()]
        assert seen == kept and all(type(a[0]) is type(b[0]) for a, b in zip(seen, kept, strict=True)), k
        assert len(store) == len(kept) and store.total == k + 1
        numbered = store._tail_first + len(store._t)
        assert numbered - store.dropped <= store.cut_at, "the cut keeps the lines bounded"
        assert len(store._t) < 1024 and len(store._blocks) * 1024 <= store.cut_at + 1024, "and the blocks"
        lines_, index = store.since_index(max(k - 2, 0))
        want = [m for _, m, _, _ in written[max(k - 2, k + 1 - capacity, 0) :]]
        assert [r.message for r in lines_] == want and index == k + 1
        assert [r.message for r in store.query(trace_id=f"{trace:032x}")] == [message]
        assert [r.t for r in store.query(text=f"BŁĄD \ud800 {k - k % 11}\n")] == [
            t for t, m, _, _ in kept if m.startswith(f"Błąd \ud800 {k - k % 11}\n")
        ]
        assert store.query(text=f"line {k - 1}line {k}") == [], "a text across two lines is in neither"
        needle = f"LINE {max(k - capacity // 2, 0)}"  # a line packed long ago, in the long run
        assert [r.t for r in store.query(text=needle)] == [t for t, m, _, _ in kept if needle.lower() in m.lower()]
    assert store.dropped > 0 and store.query(level="WARN", limit=2)[-1].message == written[-1][1]
    if lines > 1024:
        assert len(store._blocks) * 1024 >= capacity // 2, "lines are packed in sealed blocks"


def test_a_packed_message_block_gives_back_every_message_as_written():
    """Unpacked a piece at a time: messages longer than a piece, empty ones, odd characters, come back whole."""
    from simulator.telemetry.logs import _PIECE, _Block

    texts = ["", "x" * (3 * _PIECE + 7), "Błąd \ud800", *(f"line {k} " * (k % 40) for k in range(2000)), "end"]
    block = _Block.of(5, texts)
    assert block.texts() == texts and block.first == 5
    assert len(block.packed) < sum(map(len, texts)) // 10
    with pytest.raises(ValueError, match="ends early"):
        _Block(5, block.packed[: len(block.packed) // 2]).texts()


def test_log_store_keeps_stack_traces_whole_and_shares_their_frames():
    frames = "".join(f"\tat com.shop.api.Client.call{k}(Client.java:{k})\n" for k in range(20)).rstrip("\n")
    store = LogStore(capacity=10)
    for k in range(4):
        store.add(float(k), "ERROR", "api", "v1", "z", "api-1", f"java.io.IOException: request {k} timed out\n{frames}")
    short = "line one\nline two"
    store.add(4.0, "ERROR", "api", "v1", "z", "api-1", short)
    assert [r.message for r in store.since_index(0)[0]] == [
        *(f"java.io.IOException: request {k} timed out\n{frames}" for k in range(4)),
        short,
    ]
    # A filter across the first line's end finds the trace; one that is in no message finds nothing.
    assert [r.t for r in store.query(text="request 2 timed out\n\tat com.shop")] == [2.0]
    assert store.query(text="request 2 timed out\tat") == []
    # Every trace shares one copy of its frames.
    kept = {id(m[1]) for m in store._message if isinstance(m, tuple)}
    assert len(kept) == 1 and store._message[4] == short


# --- series ---------------------------------------------------------------------------------------


def fill(store: SeriesStore, n: int, t0: float = 0.0) -> None:
    for k in range(n):
        idx = store.begin_step(t0 + k * store.interval)
        store.writer("a")[idx] = float(k)


def test_series_store_before_wrap():
    store = SeriesStore(2.0, 5)
    assert store.latest("a") != store.latest("a")  # NaN before any sample
    fill(store, 3, t0=10.0)
    w = store.window("a")
    assert w.times == (10.0, 12.0, 14.0) and w.values == (0.0, 1.0, 2.0)
    assert store.latest("a") == 2.0 and store.value_at("a", 13.0) == 1.0
    assert math.isnan(store.value_at("a", 9.0)) and math.isnan(store.value_at("a", 100.0))
    assert store.window("a", 11.0, 14.0).values == (1.0, 2.0)
    assert store.window("missing").values == ()


def test_series_store_wraps_around_and_stays_bounded():
    store = SeriesStore(1.0, 4)
    fill(store, 11)
    w = store.window("a")
    assert w.times == (7.0, 8.0, 9.0, 10.0) and w.values == (7.0, 8.0, 9.0, 10.0)
    assert len(store.writer("a")) == 4
    assert math.isnan(store.value_at("a", 6.0)), "overwritten samples are gone, not stale"
    assert store.value_at("a", 8.5) == 8.0 and store.latest("a") == 10.0
    assert store.window("a", 0.0, 8.0).values == (7.0, 8.0)
    assert w.last() == 10.0


def test_series_created_late_reads_nan_before_creation():
    store = SeriesStore(1.0, 4)
    fill(store, 2)
    idx = store.begin_step(2.0)
    store.writer("a")[idx] = 2.0
    store.writer("b")[idx] = 5.0
    assert [v == v for v in store.window("b").values] == [False, False, True]


def test_series_summary_is_what_alert_rules_read_of_values():
    """An alert rule's window summary (count, sum, first, last) equals what it read of values(): the sum bit
    for bit, across a wrap, with NaN gaps dropped, and empty windows empty."""
    store = SeriesStore(1.0, 6)
    for k in range(9):  # wraps: samples 3..8 kept, 7 missing; 1 + 1e-16 + 1e-16 sums to 1 added in order
        idx = store.begin_step(float(k))
        store.writer("a")[idx] = math.nan if k == 7 else 1.0 if k % 4 == 0 else 1e-16
    for start, end in ((0.0, 8.0), (4.0, 6.0), (6.0, 6.0), (4.5, 8.0), (7.0, 7.0), (20.0, 30.0)):
        values = store.values("a", start, end)
        count, total, first, last = store.summary("a", start, end)
        assert count == len(values)
        if values:
            assert (total.hex(), first, last) == (sum(values).hex(), values[0], values[-1])
        else:
            assert total == 0.0 and math.isnan(first) and math.isnan(last)
    assert store.summary("missing", 0.0, 8.0)[0] == 0


def test_simulation_series_are_bounded_by_duration():
    spec = chain_spec()
    spec["duration"] = "10m"
    sim = sim_of(spec)
    sim.run_until(10_000)
    assert sim.now == 600
    capacity = sim.series.capacity
    assert capacity <= 600 + 2
    assert len(sim.metric("web", "rate").values) <= capacity
    store = sim.series
    for name in store.names():  # the open chunk and the sealed ones: no more than the ring's slots, rounded up
        held = len(store.writer(name)) + sum(len(store.sealed(name, j)) // 8 for j in range(store.sealed_chunks))
        assert held <= capacity + store.chunk


class RingReference:
    """What a chunked store must read like: one ring buffer per series (the store before chunks)."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.steps, self.buffers = capacity, 0, {}

    def write(self, name: str, value: float) -> None:
        buf = self.buffers.setdefault(name, [math.nan] * self.capacity)
        buf[(self.steps - 1) % self.capacity] = value

    def retained(self, name: str) -> list[float]:
        buf = self.buffers.get(name, [math.nan] * self.capacity)
        first = max(0, self.steps - self.capacity)
        return [buf[k % self.capacity] for k in range(first, self.steps)]


def same(a, b) -> bool:
    return [struct.pack("d", v) for v in a] == [struct.pack("d", v) for v in b]


@pytest.mark.parametrize(("capacity", "chunk"), [(10, 4), (12, 4), (7, 7), (5, 16), (23, 5)])
def test_chunked_series_read_exactly_as_one_ring_buffer(capacity, chunk):
    """Series written (or not, some steps), created late, constant or moving, -0.0 beside 0.0, NaN, over
    three laps: every reader gives what one ring buffer of ``capacity`` slots per series gives."""
    rng = random.Random(capacity * 100 + chunk)
    store, ref = SeriesStore(2.0, capacity, chunk), RingReference(capacity)
    constant = (0.0, -0.0, 1.0, math.nan)
    for k in range(capacity * 3 + 2):
        t = 100.0 + 2.0 * k
        at = store.begin_step(t)
        ref.steps += 1
        writes = {"moving": float(k), "flat": 7.0, "sometimes": constant[(k // 6) % 4]}
        if k >= capacity // 2:
            writes["late"] = 3.0
        if k % 5 == 2:
            del writes["sometimes"]  # not written this step: the slot keeps what it had
        for name, value in writes.items():
            store.writer(name)[at] = value
            ref.write(name, value)
        for name in ("moving", "flat", "sometimes", "late"):
            expected = ref.retained(name) if name in store else []
            times = [100.0 + 2.0 * j for j in range(max(0, ref.steps - capacity), ref.steps)]
            assert same(store.window(name).values, expected), (k, name)
            if not expected:
                continue
            assert store.window(name).times == tuple(times)
            assert same([store.latest(name)], [expected[-1]])
            lo, hi = sorted(rng.sample(range(len(expected)), 2)) if len(expected) > 1 else (0, 0)
            part = store.window(name, times[lo] - 0.5, times[hi] + 0.5)
            assert same(part.values, expected[lo : hi + 1]) and part.times == tuple(times[lo : hi + 1])
            assert same(store.values(name, times[lo], times[hi]), [v for v in expected[lo : hi + 1] if v == v])
            assert same([store.value_at(name, times[lo] + 1.0)], [expected[lo]])
        names = ("moving", "flat")
        back = rng.randrange(min(ref.steps, capacity))
        changes = store.changes_since(names, t - 2.0 * back)
        assert changes == [ref.retained(n)[-1] - ref.retained(n)[-1 - back] for n in names]
    assert store.changes_since(names, t - 2.0 * capacity) is None and math.isnan(store.value_at("flat", 0.0))


def test_changes_since_reads_a_chunk_sealed_again_anew():
    """The SLI's read of a sealed chunk is kept as arrays; once that chunk is written and sealed again (the
    next lap) it is read anew, even with no other chunk read between."""
    store = SeriesStore(1.0, 8, 4)
    fill(store, 6)
    assert store.changes_since(("a",), 1.0) == [4.0]  # sealed chunk 0 (samples 0-3)
    for k in range(6, 14):
        store.writer("a")[store.begin_step(float(k))] = float(k)
        assert store.changes_since(("a",), float(k)) == [0.0]  # the open chunk only
    assert store.changes_since(("a",), 9.0) == [4.0]  # chunk 0 again, sealed with samples 8-11


def test_a_chunk_that_holds_one_value_is_kept_once():
    """Sealed chunks of a value that stays put are one object per value, in every series; moving ones
    are their own. The store holds its open chunks and no more sealed bytes than the ring's slots."""
    store = SeriesStore(1.0, 40, 8)
    for k in range(30):
        at = store.begin_step(float(k))
        store.writer("zero")[at] = 0.0
        store.writer("also-zero")[at] = 0.0
        store.writer("negative-zero")[at] = -0.0
        store.writer("moving")[at] = float(k)
    assert store.sealed_chunks == 3
    for j in range(3):
        assert store.sealed("zero", j) is store.sealed("also-zero", j)
        assert store.sealed("zero", j) is not store.sealed("negative-zero", j)
        assert store.sealed("moving", j) is not store.sealed("zero", j)
    assert store.sealed("zero", 0) is store.sealed("zero", 1)
    assert array("d", store.sealed("moving", 2)).tolist() == [float(k) for k in range(16, 24)]


def test_error_log_line_falls_within_its_trace(db_fault):
    checked = 0
    for trace in db_fault.traces(errors_only=True, limit=1000):
        end = trace.t + trace.duration_ms / 1000.0
        for line in db_fault.log_store.query(trace_id=trace.trace_id):
            checked += 1
            assert trace.t <= line.t <= end + 1e-6, (trace.trace_id, trace.t, line.t)
    assert checked


def _trace(k: int) -> Trace:
    """A trace whose every field varies with ``k`` (floats to the last bit, a lone surrogate, shared strings)."""
    services = ("web", "api", "db", "cache")
    spans = tuple(
        Span(
            f"{k:08x}{j:08x}",
            "" if j == 0 else f"{k:08x}{j - 1:08x}",
            services[(k + j) % 4],
            f"{services[(k + j) % 4]}-{k % 7}" + ("\udcff" if k % 11 == 0 else ""),
            "GET /a" if j == 0 else "query db",
            "SERVER" if j % 2 == 0 else "CLIENT",
            -0.0 if j == 0 else j / 3.0,
            math.nextafter(k * 1.7, math.inf),
            "ERROR" if (k + j) % 5 == 0 else "OK",
            500 + j if (k + j) % 5 == 0 else 200,
            "timeout" if j == 3 else "",
            j == 1 and k % 2 == 0,
        )
        for j in range(1 + k % 5)
    )
    root = spans[0]
    return Trace(f"{k:032x}", 10.0 + k * 0.5, root.service, root.name, root.duration_ms, root.status, spans)


def test_trace_store_gives_back_every_trace_as_added_packed_or_not():
    """Past the newest few, traces are packed: every query and lookup gives back traces equal to those added
    (every field, to the last bit), with each filter, across the capacity's drops."""
    store, added = TraceStore(capacity=150), []
    for k in range(400):
        trace = _trace(k)
        store.add(trace)
        added = [*added, trace][-150:]
        if k % 37 and k != 399:
            continue
        assert store.query(limit=1000) == added[::-1]
        assert all(store.get(tr.trace_id) == tr for tr in added)
        assert store.get(_trace(k - 150).trace_id) is None if k >= 150 else True
        for service in ("db", "cache"):
            expected = [tr for tr in reversed(added) if any(sp.service == service for sp in tr.spans)]
            assert store.query(service=service, limit=1000) == expected
        assert store.query(errors_only=True, limit=7) == [tr for tr in reversed(added) if tr.error][:7]
        assert store.query(min_duration_ms=200.0, since=60.0, until=150.0, limit=1000) == [
            tr for tr in reversed(added) if tr.duration_ms >= 200.0 and 60.0 <= tr.t <= 150.0
        ]
    assert repr(store.query(limit=1000)) == repr(added[::-1])  # -0.0 stays -0.0, the surrogate stays
    packed = [entry for entry in store.traces if type(entry) is not Trace]
    assert len(packed) == 150 - 64 and all(isinstance(entry.spans, ColdChunk) for entry in packed)
    assert all(store._by_id[entry.trace_id] is entry for entry in store.traces), "the index keeps no unpacked copy"
    sets: dict = {}
    assert all(sets.setdefault(entry.services, entry.services) is entry.services for entry in packed)
    assert len(sets) < 20, "equal sets of services are one object"
