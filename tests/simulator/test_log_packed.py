"""The log store's sealed blocks (simulator/telemetry/logs.py: ``_Lines``) read exactly as the columns they
replace: the same lines, fields, order, ids and query results as a store that never seals (the same module
loaded a second time with a block size no test reaches, so every line stays a row of the tail's columns), at
every cut point, and a session with packed blocks captures, copies, pickles and rewinds as one would that kept
them as columns. That the columns themselves read as before is the goldens' and fingerprints' part."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import pickle
import random
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.catalog import load_by_ref
from simulator.session.checkpoint import capture
from simulator.session.simulation import Simulation
from simulator.session.snapshots import restore, take
from simulator.telemetry import logs
from simulator.telemetry.cold import ColdChunk
from simulator.telemetry.logs import LogStore

_spec = importlib.util.spec_from_file_location("log_store_unsealed", logs.__file__)
assert _spec is not None and _spec.loader is not None
reference = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = reference  # (its dataclasses look their module up)
_spec.loader.exec_module(reference)
NEVER = 10**9
"""The reference's block size: its tail never fills, so it never seals."""
reference._BLOCK = NEVER

_FRAMES = "".join(f"\tat com.shop.Api.call{k}(Api.java:{k})\n" for k in range(25))
_WORDS = ("timeout", "Refused", "line", "Błąd", "GET", "7")


@contextlib.contextmanager
def _blocks_of(size: int):
    """The packed store seals every ``size`` lines (small: many block boundaries in few lines)."""
    saved = logs._BLOCK
    logs._BLOCK = size
    try:
        yield
    finally:
        logs._BLOCK = saved


def _line(rng: random.Random, k: int) -> tuple:  # noqa: C901 (one draw per field)
    """A line as LogStore.add takes it: odd times, ids of every shape, stack traces, odd characters."""
    t: float = k // 3 + rng.choice((0.0, 0.5, 0.25))
    if rng.random() < 0.05:
        t = k // 3  # an integer time
    elif rng.random() < 0.05:
        t -= rng.random() * 5  # written late (on demand): times are not in order
    service = rng.choice(("api", "db", "edge"))
    shape = rng.random()
    trace: str | int = ""
    span: str | int = ""
    if shape < 0.5:
        trace, span = rng.getrandbits(128), rng.getrandbits(64)
    elif shape < 0.6:
        trace, span = f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(64):016x}"
    elif shape < 0.65:
        trace, span = (1 << 130) + k, 5  # too long for the columns
    elif shape < 0.7:
        trace, span = 0, rng.getrandbits(64)  # a span without a trace
    elif shape < 0.73:
        trace, span = rng.getrandbits(128), 1 << 70
    kind = rng.random()
    if kind < 0.3:
        message = f"line {k} {rng.choice(_WORDS)}"
    elif kind < 0.5:
        message = "connection refused"  # repeated: shared
    elif kind < 0.6:
        message = f"java.io.IOException: request {k} timed out\n{_FRAMES}"
    elif kind < 0.7:
        message = f"Błąd \ud800 {k}"
    elif kind < 0.75:
        message = ""
    else:
        message = f"GET /api/{rng.randint(1, 9)} 200 {rng.random() * 100:.1f}ms"
    a = rng.random()
    attributes: dict | None = None
    if a < 0.4:
        attributes = {"http.route": "GET /x", "duration_ms": rng.random() * 100, "http.response.status_code": 200}
    elif a < 0.5:
        attributes = {"other": [1, -0.0, 5e-324, "\ud800"], "probe": k}  # not the common keys: a dict
    elif a < 0.6:
        attributes = {"probe": k}
    level = rng.choice(logs.LEVELS)
    return (t, level, service, "v1", rng.choice(("z1", "z2")), f"{service}-{rng.randint(1, 3)}", message, trace,
            span, attributes)  # fmt: skip


def _queries(rng: random.Random, written: list[tuple]) -> list[dict]:
    some = written[rng.randrange(len(written))] if written else None
    traced = next((line for line in reversed(written) if line[7]), None)
    out: list[dict] = [{}, {"limit": rng.randint(1, 40)}, {"level": "warn"}, {"service": "db", "level": "ERROR"}]
    out.append({"text": rng.choice(_WORDS).upper()})
    out.append({"text": "refused", "limit": 3, "instance": "api-2"})
    out.append({"text": "\ud800"})
    out.append({"trace_id": "0"})  # lines without a trace id (as before)
    out.append({"trace_id": "not hex"})
    if traced is not None:
        trace = traced[7]
        out.append({"trace_id": trace if type(trace) is str else f"{trace:032x}"})
    if some is not None:
        out.append({"since": some[0] - 2, "until": some[0] + 1})
        out.append({"since": some[0], "text": "line", "limit": 5})
        out.append({"since": some[0] - 1, "text": "\ud800"})  # a rarer text: blocks without it
        out.append({"until": some[0], "level": "INFO", "limit": 7})
    return out


def _same(packed: LogStore, ref, rng: random.Random, written: list[tuple]) -> None:
    """Every read of ``packed`` gives what ``ref`` gives, to the bit (repr: float times and ints apart)."""
    assert repr(packed.query()) == repr(ref.query())
    for filters in _queries(rng, written):
        assert repr(packed.query(**filters)) == repr(ref.query(**filters)), filters
    for _ in range(3):
        index = rng.randint(0, packed.total + 1)
        limit = rng.choice((None, 1, 5, 50))
        assert repr(packed.since_index(index, limit)) == repr(ref.since_index(index, limit)), (index, limit)
    assert (len(packed), packed.total, packed.dropped, packed.lost) == (len(ref), ref.total, ref.dropped, ref.lost)
    assert packed.checkpoint_state()["lines"] == _lines_of(ref), "captured by what the lines hold"


def _lines_of(ref) -> tuple[int, str]:
    """What LogStore.checkpoint_state says of its lines, from the reference's columns (it never sealed)."""
    assert not ref._blocks
    return ref.checkpoint_state()["lines"]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(0, 140),
    capacity=st.integers(1, 70),
    block=st.sampled_from([2, 3, 8, 16]),
)
def test_a_packed_store_reads_as_the_columns_did_at_every_cut_point(seed, count, capacity, block):
    rng = random.Random(seed)
    with _blocks_of(block):
        packed, ref = LogStore(capacity), reference.LogStore(capacity)
        written: list[tuple] = []
        for k in range(count):
            line = _line(rng, k)
            packed.add(*line)
            ref.add(*line)
            written.append(line)
            if rng.random() < 0.15:
                _same(packed, ref, rng, written)
        _same(packed, ref, rng, written)
        # A sealed block's ids are in the store's cold file (24 bytes a line off the heap), read back as written.
        assert all(type(block.ids) is ColdChunk for block in packed._blocks)
        # A copy and a pickle read the same, and go on the same.
        for twin in (copy.deepcopy(packed), pickle.loads(pickle.dumps(packed))):
            assert twin.checkpoint_state() == packed.checkpoint_state()
            for k in range(count, count + block + 3):
                line = _line(random.Random(k), k)
                twin.add(*line)
            assert twin.total == packed.total + block + 3
        for k in range(count, count + block + 3):
            line = _line(random.Random(k), k)
            packed.add(*line)
            ref.add(*line)
            written.append(line)
        _same(packed, ref, rng, written)


def test_a_full_size_store_reads_as_the_columns_did_across_its_cuts():
    """Real blocks (1,024 lines), a cut every 750 lines that falls inside blocks."""
    rng = random.Random(7)
    packed, ref = LogStore(3000), reference.LogStore(3000)
    written: list[tuple] = []
    for k in range(9000):
        line = _line(rng, k)
        packed.add(*line)
        ref.add(*line)
        written.append(line)
        if k % 1500 in (1023, 1024, 1499) or k == 8999:
            _same(packed, ref, rng, written)
    assert packed.dropped > 0 and len(packed._blocks) >= 3 and len(packed._t) < 1024
    assert packed._blocks[0].first <= packed.dropped < packed._blocks[0].first + 1024, "no block held for nothing"


def test_sealed_blocks_cost_a_fraction_of_the_columns():
    """What a line costs once sealed: its packed times and where-codes, and its ids."""
    rng = random.Random(3)
    store = LogStore()
    for k in range(10 * 1024):
        store.add(*_line(rng, k))
    blocks = store._blocks
    assert len(blocks) == 10 and not store._t
    columns = sum(len(b.columns) for b in blocks) / (10 * 1024)
    assert columns < 6, f"{columns:.1f} bytes a line for the times and where-codes (as columns: 12)"
    assert all(len(b.ids) == 24 * 1024 for b in blocks)


def _session(capacity: int | None = None) -> Simulation:
    scenario, _ = load_by_ref("retry-storm")
    sim = Simulation(scenario, 1)
    if capacity is not None:
        sim.log_store.capacity, sim.log_store.cut_at = capacity, capacity + capacity // 4
    return sim


def _until_sealed(sim: Simulation) -> None:
    logs_ = sim.log_store
    first = logs_._tail_first
    while logs_._tail_first == first:
        sim.run_until(sim.now + 20.0)
        logs_.catch_up()


def test_a_rewind_across_a_block_boundary_is_the_straight_run():
    """A snapshot taken with a part-written tail, restored after the live store has sealed that tail (and
    started a new one): the restored session holds the lines as they were, as a tail, and runs on to
    exactly the original's state, lines and queries."""
    sim = _session()
    sim.run_until(600.0)
    sim.log_store.catch_up()
    assert 0 < len(sim.log_store._t) and sim.log_store._blocks, "a part-written tail after sealed blocks"
    tail = len(sim.log_store._t)
    before = capture(sim)
    snapshot = take(sim)
    _until_sealed(sim)
    _until_sealed(sim)
    restored = restore(snapshot)
    assert capture(restored) == before
    assert len(restored.log_store._t) == tail and restored.log_store._tail_first < sim.log_store._tail_first
    restored.run_until(sim.now)
    restored.log_store.catch_up()
    assert capture(restored) == capture(sim)
    assert repr(restored.log_store.query()) == repr(sim.log_store.query())
    assert repr(restored.log_store.query(text="error", limit=50)) == repr(sim.log_store.query(text="error", limit=50))
    assert repr(restored.log_store.since_index(0)) == repr(sim.log_store.since_index(0))


def test_a_restored_store_shares_the_sealed_blocks_and_not_its_tail():
    sim = _session()
    sim.run_until(600.0)
    sim.log_store.catch_up()
    restored = restore(take(sim))
    live, copied = sim.log_store, restored.log_store
    assert copied._blocks and all(a is b for a, b in zip(copied._blocks, live._blocks, strict=True))
    assert copied._blocks is not live._blocks and copied._t is not live._t and copied._message is not live._message


def test_a_session_with_a_small_log_captures_the_same_rewound_across_cuts_and_seals():
    """Cuts inside blocks and seals between snapshot and restore; a checkpoint is by value: the same state
    captured however the lines are kept."""
    sim = _session(capacity=1500)
    straight = _session(capacity=1500)
    sim.run_until(900.0)
    sim.log_store.catch_up()
    assert sim.log_store.dropped > 0
    restored = restore(take(sim))
    for t in (1200.0, 1500.0):
        for each in (restored, straight):
            each.run_until(t)
            each.log_store.catch_up()
        assert capture(restored) == capture(straight)
        assert repr(restored.log_store.query(limit=2000)) == repr(straight.log_store.query(limit=2000))
