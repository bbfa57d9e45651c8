"""Profiles for real profilers: pprof parsed with profile.proto's schema, speedscope JSON."""

from __future__ import annotations

import gzip
import json

import pytest

from scenarios.catalog import load_by_ref
from simulator.diagnostics.desk import take
from simulator.exports.profiles import to_pprof, to_speedscope
from simulator.session.simulation import Simulation
from tui.cli import main

protobuf = pytest.importorskip("google.protobuf", reason="the protobuf runtime comes with misfortune[export]")

# github.com/google/pprof/proto/profile.proto, as (message, [(field, number, type, repeated)]).
PROFILE_PROTO = {
    "Profile": [
        ("sample_type", 1, "ValueType", True),
        ("sample", 2, "Sample", True),
        ("mapping", 3, "Mapping", True),
        ("location", 4, "Location", True),
        ("function", 5, "Function", True),
        ("string_table", 6, "string", True),
        ("drop_frames", 7, "int64", False),
        ("keep_frames", 8, "int64", False),
        ("time_nanos", 9, "int64", False),
        ("duration_nanos", 10, "int64", False),
        ("period_type", 11, "ValueType", False),
        ("period", 12, "int64", False),
        ("comment", 13, "int64", True),
        ("default_sample_type", 14, "int64", False),
    ],
    "ValueType": [("type", 1, "int64", False), ("unit", 2, "int64", False)],
    "Sample": [("location_id", 1, "uint64", True), ("value", 2, "int64", True), ("label", 3, "Label", True)],
    "Label": [("key", 1, "int64", False), ("str", 2, "int64", False), ("num", 3, "int64", False)],
    "Mapping": [("id", 1, "uint64", False), ("memory_start", 2, "uint64", False)],
    "Location": [
        ("id", 1, "uint64", False),
        ("mapping_id", 2, "uint64", False),
        ("address", 3, "uint64", False),
        ("line", 4, "Line", True),
        ("is_folded", 5, "bool", False),
    ],
    "Line": [("function_id", 1, "uint64", False), ("line", 2, "int64", False)],
    "Function": [
        ("id", 1, "uint64", False),
        ("name", 2, "int64", False),
        ("system_name", 3, "int64", False),
        ("filename", 4, "int64", False),
        ("start_line", 5, "int64", False),
    ],
}


@pytest.fixture(scope="module")
def Profile():  # noqa: N802 (a message class)
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fd = descriptor_pb2.FileDescriptorProto(name="test_profile.proto", package="perftools.profiles", syntax="proto3")
    scalar = descriptor_pb2.FieldDescriptorProto
    types = {
        "int64": scalar.TYPE_INT64,
        "uint64": scalar.TYPE_UINT64,
        "string": scalar.TYPE_STRING,
        "bool": scalar.TYPE_BOOL,
    }
    for message, fields in PROFILE_PROTO.items():
        m = fd.message_type.add(name=message)
        for name, number, kind, repeated in fields:
            f = m.field.add(name=name, number=number)
            f.label = scalar.LABEL_REPEATED if repeated else scalar.LABEL_OPTIONAL
            if kind in types:
                f.type = types[kind]
            else:
                f.type, f.type_name = scalar.TYPE_MESSAGE, f".perftools.profiles.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("perftools.profiles.Profile"))


@pytest.fixture(scope="module")
def leaking():
    sc, _ = load_by_ref("checkout-oom-leak")
    sim = Simulation(sc, 2)
    sim.run_until(1500)
    inst = next(i.id for i in sim.instances("checkout") if i.state == "running")
    return sim, take(sim, "cpu", inst, 30.0), take(sim, "heap", inst, 300.0)


def _stacks(Profile, data: bytes):  # noqa: N803
    assert data[:2] == b"\x1f\x8b", "gzip'd, as pprof reads it"
    prof = Profile.FromString(gzip.decompress(data))
    strings = list(prof.string_table)
    assert strings[0] == ""
    names = {f.id: strings[f.name] for f in prof.function}
    where = {loc.id: names[loc.line[0].function_id] for loc in prof.location}
    stacks = {tuple(where[i] for i in reversed(s.location_id)): list(s.value) for s in prof.sample}
    types = [(strings[t.type], strings[t.unit]) for t in prof.sample_type]
    return prof, strings, stacks, types


def test_cpu_pprof_has_the_in_app_stacks_and_sample_counts(Profile, leaking):  # noqa: N803
    sim, cpu, _heap = leaking
    prof, strings, stacks, types = _stacks(Profile, to_pprof(cpu, sim.scenario.id, sim.seed))
    assert types == [("samples", "count"), ("cpu", "nanoseconds")]
    assert stacks == {stack: [n, n * 10_000_000] for stack, n in cpu.stacks}
    assert sum(v[0] for v in stacks.values()) == cpu.samples
    assert prof.period == 10_000_000 and strings[prof.period_type.type] == "cpu"
    assert prof.duration_nanos == int(round((cpu.end - cpu.start) * 1e9))
    assert "checkout-oom-leak seed 2" in strings[prof.comment[0]]
    assert strings[prof.default_sample_type] == "cpu"


def test_heap_pprof_holds_the_retained_bytes_of_each_site(Profile, leaking):  # noqa: N803
    sim, _cpu, heap = leaking
    _prof, _strings, stacks, types = _stacks(Profile, to_pprof(heap))
    assert types == [("inuse_space", "bytes")]
    total = sum(v[0] for v in stacks.values())
    assert total == pytest.approx(sum(s.retained_mb for s in heap.sites) * 1024 * 1024, abs=len(heap.sites))
    leak = max(heap.sites, key=lambda s: s.retained_mb)
    assert stacks[leak.stack or (leak.site,)][0] == round(leak.retained_mb * 1024 * 1024)


def test_speedscope_weights_match_the_profile(leaking):
    sim, cpu, heap = leaking
    doc = json.loads(to_speedscope(cpu, sim.scenario.id, sim.seed))
    frames = [f["name"] for f in doc["shared"]["frames"]]
    (profile,) = doc["profiles"]
    assert profile["type"] == "sampled" and profile["unit"] == "seconds"
    got = {tuple(frames[i] for i in s): w for s, w in zip(profile["samples"], profile["weights"], strict=True)}
    assert got == {stack: pytest.approx(n / 100) for stack, n in cpu.stacks}
    assert profile["endValue"] == pytest.approx(cpu.samples / 100)
    heap_doc = json.loads(to_speedscope(heap))
    assert heap_doc["profiles"][0]["unit"] == "bytes"


def test_inspect_writes_a_profile_file(tmp_path, capsys, Profile):  # noqa: N803
    out = tmp_path / "cpu.pb.gz"
    args = ["inspect", "checkout-oom-leak", "--at", "20m", "--seed", "2", "--show", "profile", "--service", "checkout"]
    assert main([*args, "--format", "pprof", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    _prof, _strings, stacks, _types = _stacks(Profile, out.read_bytes())
    assert stacks
    assert main([*args[:6], "--show", "logs", "--format", "pprof", "-o", str(out)]) == 2
    assert "needs --show profile" in capsys.readouterr().err
