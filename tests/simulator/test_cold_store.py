"""Cold telemetry (simulator/telemetry/cold.py): blobs kept in a temporary file read back bit for bit, a
session whose old series chunks and packed traces are cold reads, copies, captures and rewinds exactly as
one that keeps everything in memory, and no file outlives its session."""

from __future__ import annotations

import copy
import gc
import math
import os
import pickle
import random
import struct
import tempfile
import weakref
from dataclasses import replace

import pytest

from scenarios.catalog import load_by_ref
from simulator.session.checkpoint import capture
from simulator.session.simulation import Simulation
from simulator.session.snapshots import restore, take
from simulator.telemetry import cold, series
from simulator.telemetry.cold import ColdChunk, ColdFile
from simulator.telemetry.series import SeriesStore

SEED = 1


def _cold_files() -> list:
    """The open files of every cold store alive in this process (weak references)."""
    gc.collect()
    return [weakref.ref(f._file) for f in gc.get_objects() if type(f) is ColdFile and f._file is not None]


def test_blobs_read_back_as_kept_through_the_write_buffer_and_the_cache(monkeypatch):
    monkeypatch.setattr(cold, "WRITE_BUFFER", 1000)  # many flushes
    rng = random.Random(7)
    file = ColdFile(cache=3)
    blobs = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 700))) for _ in range(60)]
    chunks = [file.put(blob) for blob in blobs]
    assert file.size == sum(map(len, blobs))
    order = list(range(60)) * 2
    rng.shuffle(order)
    for i in order:  # out of order, some cached, some still in the write buffer
        assert chunks[i].read() == blobs[i], i
        a, b = sorted(rng.randrange(-5, len(blobs[i]) + 5) for _ in range(2))
        assert chunks[i].read_range(a, b) == blobs[i][max(0, a) : max(0, b)], i
    assert len(file._cache) <= 3
    uncached = ColdFile(cache=0)
    chunk = uncached.put(b"abc")
    assert chunk.read() == b"abc" and not uncached._cache


def test_a_chunk_copies_as_itself_and_pickles_as_its_bytes():
    file = ColdFile()
    chunk = file.put(b"\x00\x01sealed")
    assert copy.deepcopy(chunk) is chunk and copy.copy(chunk) is chunk and copy.deepcopy(file) is file
    assert pickle.loads(pickle.dumps(chunk)) == b"\x00\x01sealed"
    again = pickle.loads(pickle.dumps(file))
    assert isinstance(again, ColdFile) and again is not file and again.size == 0


def _fill(store: SeriesStore, steps: int, seed: int) -> None:
    rng = random.Random(seed)
    for k in range(steps):
        at = store.begin_step(float(k))
        for name in ("a", "b", "flat"):
            store.writer(name)[at] = 2.0 if name == "flat" else rng.choice((rng.random(), -0.0, math.nan, 1.0))
        if k == 30:
            store.writer("late")
        if k > 30:
            store.writer("late")[at] = float(k)


def _packed(values: list[float] | None) -> bytes | None:
    return None if values is None else struct.pack(f"{len(values)}d", *values)


def _readings(store: SeriesStore) -> list[bytes]:
    out = []
    for name in store.names():
        w = store.window(name)
        out.append(struct.pack(f"{len(w.values)}d", *w.values))
        out.append(struct.pack("d", store.value_at(name, 17.0)))
        out.append(struct.pack(f"{len(store.values(name, 5.0, 90.0))}d", *store.values(name, 5.0, 90.0)))
    return out


@pytest.mark.parametrize("hot_chunks", [0, 1, 2])
@pytest.mark.parametrize(("capacity", "chunk", "steps"), [(40, 4, 37), (40, 4, 133), (23, 5, 100), (12, 4, 30)])
def test_a_store_with_cold_chunks_reads_and_copies_as_one_kept_in_memory(
    monkeypatch, capacity, chunk, steps, hot_chunks
):
    monkeypatch.setattr(series, "HOT", 10**9)
    hot = SeriesStore(1.0, capacity, chunk)
    _fill(hot, steps, 3)
    monkeypatch.setattr(series, "HOT", hot_chunks)
    chilled = SeriesStore(1.0, capacity, chunk)
    _fill(chilled, steps, 3)
    kept = [c for sealed in chilled._sealed.values() for c in sealed]
    if -(-capacity // chunk) > hot_chunks + 1 and steps > (hot_chunks + 2) * chunk:
        assert any(type(c) is ColdChunk for c in kept), "old chunks went cold"
        assert all(type(c) is bytes for c in chilled._sealed["flat"]), "a constant chunk stays, shared"
    assert _readings(chilled) == _readings(hot)
    for t in (float(steps - 1), float(steps - 9), 3.0):
        assert _packed(chilled.changes_since(("a", "b"), t)) == _packed(hot.changes_since(("a", "b"), t))
    assert _readings(copy.deepcopy(chilled)) == _readings(hot)
    assert _readings(pickle.loads(pickle.dumps(chilled))) == _readings(hot)
    copied = copy.deepcopy(chilled)
    _fill(copied, 50, 9)  # a copy writing on (a rewound session) leaves the original's chunks as they were
    assert _readings(chilled) == _readings(hot)


def test_a_session_captures_the_same_with_its_old_telemetry_cold_or_in_memory(monkeypatch):
    scenario, _ = load_by_ref("checkout-oom-leak")
    shipped = series.HOT  # the chilled session keeps as many hot chunks as the engine does
    monkeypatch.setattr(series, "HOT", 10**9)
    hot = Simulation(scenario, SEED)
    hot.traces(limit=5)  # read along: traces are kept (and packed) from now on
    hot.run_until(2400.0)
    hot.traces(limit=5)
    monkeypatch.setattr(series, "HOT", shipped)
    chilled = Simulation(scenario, SEED)
    chilled.traces(limit=5)
    chilled.run_until(2400.0)
    chilled.traces(limit=5)
    assert any(type(getattr(t, "spans", None)) is ColdChunk for t in chilled.trace_store.traces)
    cold_chunks = [c for sealed in chilled.recorder.series._sealed.values() for c in sealed if type(c) is ColdChunk]
    assert cold_chunks, "40 minutes seal chunks older than the HOT newest"
    assert capture(chilled) == capture(hot)


def test_a_rewind_past_cold_chunks_replays_the_same_and_no_file_outlives_the_session(monkeypatch):
    monkeypatch.setattr(cold, "WRITE_BUFFER", 1)  # every blob written to the file at once
    scenario, _ = load_by_ref("checkout-oom-leak")
    listed = set(os.listdir(tempfile.gettempdir()))
    sim = Simulation(scenario, SEED)
    sim.run_until(600.0)
    snapshot = take(sim)
    sim.run_until(3000.0)  # chunks sealed after the snapshot go cold in the live store
    files = [ref for ref in _cold_files() if ref() is sim.recorder.series._cold._file]
    assert files and os.readlink(f"/proc/self/fd/{files[0]().fileno()}").endswith("(deleted)")
    assert not [n for n in set(os.listdir(tempfile.gettempdir())) - listed if n.startswith("misfortune-cold-")]
    rewound = restore(snapshot)
    rewound.run_until(3000.0)
    straight = Simulation(scenario, SEED)
    straight.run_until(3000.0)
    assert capture(rewound) == capture(straight) == capture(sim)
    opened = _cold_files()
    del sim, snapshot, rewound, straight
    gc.collect()
    assert [ref for ref in opened if ref() is not None and not ref().closed] == [], "closed with their session"


class _Opaque:
    """An attribute value marshal cannot write."""

    def __repr__(self) -> str:
        return "opaque"


ROUTES = tuple(f"GET /api/{k}" for k in range(7))


def _attributes(i: int, fresh: bool) -> dict | None:
    route = ROUTES[i % 7]
    if fresh:
        route = "".join(list(route))  # an equal str, another object (the other store shares one per route)
    kinds = i % 6
    if kinds == 0:
        return None
    if kinds == 1:
        return {"http.route": route, "http.response.status_code": 200, "duration_ms": (-0.0, 1e-310, 12.5)[i % 3]}
    if kinds == 2:
        return {"http.route": route, "error.type": "timeout\udc80", "duration_ms": math.nan, "client": "ios"}
    if kinds == 3:
        return {"extra": [1, (2, 3.0), {"k": math.inf}], "big": 1 << 80, "flag": True}
    if kinds == 4 and i == 1000:
        return {"odd": _Opaque()}  # one block's attributes stay as they are
    return {"http.route": route, "probe": "readiness"}


def _floats(attributes: dict) -> list[bytes]:
    return [struct.pack("d", v) for v in attributes.values() if type(v) is float]


def test_log_attributes_packed_with_their_block_read_back_exactly_and_capture_by_value():
    from simulator.session.checkpoint import plain
    from simulator.telemetry.logs import LogStore, _AttrBlock

    stores = []
    for fresh in (False, True):
        store = LogStore(capacity=10_000)
        for i in range(4200):
            store.add(float(i), "INFO", "api", "v1", "z", "api-1", f"line {i}", attributes=_attributes(i, fresh))
        stores.append(store)
    store = stores[0]
    kinds = [type(block.attrs) for block in store._blocks]
    assert kinds == [tuple, _AttrBlock, _AttrBlock, tuple], (
        "the second and third blocks packed (the fourth not yet; the first holds what marshal cannot write)"
    )
    lines, _ = store.since_index(0)
    for i, line in enumerate(lines):
        want = _attributes(i, False) or {}
        assert repr(line.attributes) == repr(want), i  # NaN, inf, surrogates, tuples in lists kept
        assert _floats(line.attributes) == _floats(want), i  # -0.0 and a subnormal to the bit
    assert [r.attributes for r in store.query(text="line 2047")] == [_attributes(2047, False)]
    for each in stores:  # (the opaque value is compared by identity)
        first = each._blocks[0]
        each._blocks[0] = replace(first, attrs=(*first.attrs[:1000], None, *first.attrs[1001:]))
    assert plain(stores[0]) == plain(stores[1]), "attributes are captured by value, however they were shared"


def test_log_attributes_read_right_across_cuts_of_a_bounded_store():
    from simulator.telemetry.logs import LogStore, _AttrBlock

    store = LogStore(capacity=3000)  # cut back to 3,000 lines at 3,750: cuts fall inside blocks
    for i in range(12000):
        store.add(float(i), "INFO", "api", "v1", "z", "api-1", f"line {i}", attributes=_attributes(i + 1, False))
    assert store.dropped > 0 and any(type(block.attrs) is _AttrBlock for block in store._blocks)
    lines, _ = store.since_index(0)
    first = 12000 - len(lines)
    assert [repr(line.attributes) for line in lines] == [
        repr(_attributes(i + 1, False) or {}) for i in range(first, 12000)
    ]
    unpacked = len(store._t) + 1024 * sum(type(block.attrs) is not _AttrBlock for block in store._blocks)
    assert unpacked <= 2 * 1024, "only the newest lines stay unpacked"


@pytest.mark.parametrize("fails", ["create", "write"])
def test_a_file_that_cannot_be_created_or_written_keeps_the_blobs_in_memory(monkeypatch, fails):
    """A full disk or a read-only temporary directory must not end the session: blobs stay in memory and
    read back as kept, those already written as well as the ones that could not be."""
    monkeypatch.setattr(cold, "WRITE_BUFFER", 100)
    file = ColdFile(cache=0)
    blobs = [bytes([i]) * 60 for i in range(10)]
    chunks = [file.put(blob) for blob in blobs[:4]]  # two flushes reach the file
    assert file._written > 0 and not file.in_memory

    refusals = []

    def refuse(*args, **kwargs):
        refusals.append(args)
        raise OSError(28, "No space left on device")

    if fails == "create":
        monkeypatch.setattr(cold.tempfile, "TemporaryFile", refuse)
        file = ColdFile(cache=0)
        chunks = []
    else:
        monkeypatch.setattr(cold.os, "pwrite", refuse)
    chunks += [file.put(blob) for blob in blobs[len(chunks) :]]
    assert file.in_memory and len(refusals) == 1, "tried once, not again on every later flush"
    assert [chunk.read() for chunk in chunks] == blobs[10 - len(chunks) :]
    assert chunks[-1].read_range(10, 20) == blobs[-1][10:20]
