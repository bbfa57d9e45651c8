"""CPU and heap profiles in the formats profilers read: pprof (gzip'd profile.proto) and speedscope JSON.

pprof is written by hand (a varint and a length-delimited field are all profile.proto needs), so this
works on the core install. The message and field numbers are those of
github.com/google/pprof/proto/profile.proto: a string table (index 0 is ""), one Function and one
Location per distinct frame name, and one Sample per stack with its location ids leaf first.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from simulator.diagnostics.profiles import SAMPLE_HZ, CpuProfile, HeapProfile

MIB = 1024 * 1024
SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


# --- protobuf wire format ---------------------------------------------------------------------


def _varint(value: int) -> bytes:
    """Base-128 varint (negative int64 as its two's complement, as protobuf does)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _int_field(number: int, value: int) -> bytes:
    """A varint field (omitted when 0, the proto3 default)."""
    return _varint(number << 3) + _varint(value) if value else b""


def _bytes_field(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _packed(number: int, values: list[int]) -> bytes:
    return _bytes_field(number, b"".join(_varint(v) for v in values)) if values else b""


class _Pprof:
    """Builds one profile.proto message."""

    def __init__(self) -> None:
        self.strings: dict[str, int] = {"": 0}
        self.functions: dict[str, int] = {}
        self.body = bytearray()

    def string(self, text: str) -> int:
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def location(self, frame: str) -> int:
        """Location id of a frame (one function and one location per distinct name; ids from 1)."""
        ident = self.functions.get(frame)
        if ident is None:
            ident = self.functions[frame] = len(self.functions) + 1
        return ident

    def value_type(self, number: int, kind: str, unit: str) -> None:
        self.body += _bytes_field(number, _int_field(1, self.string(kind)) + _int_field(2, self.string(unit)))

    def sample(self, stack_root_first: tuple[str, ...], values: list[int], labels: dict[str, str]) -> None:
        ids = [self.location(f) for f in reversed(stack_root_first)]  # pprof: the leaf first
        label_bytes = b"".join(
            _bytes_field(3, _int_field(1, self.string(k)) + _int_field(2, self.string(v))) for k, v in labels.items()
        )
        self.body += _bytes_field(2, _packed(1, ids) + _packed(2, values) + label_bytes)

    def encode(self, tail: bytes) -> bytes:
        out = bytearray(self.body)
        for name, ident in self.functions.items():
            function = _int_field(1, ident) + _int_field(2, self.string(name)) + _int_field(3, self.string(name))
            out += _bytes_field(5, function)
            line = _int_field(1, ident)
            out += _bytes_field(4, _int_field(1, ident) + _bytes_field(4, line))
        out += tail
        for text in self.strings:  # insertion order is index order
            out += _bytes_field(6, text.encode("utf-8"))
        return bytes(out)


def _comment(p: _Pprof, profile: CpuProfile | HeapProfile, scenario: str, seed: int) -> bytes:
    text = (
        f"misfortune {scenario} seed {seed}: {profile.kind} profile of {profile.instance} "
        f"({profile.service} {profile.version}, {profile.language}), simulated {profile.start:.0f}s-{profile.end:.0f}s"
    )
    return _int_field(13, p.string(text))


def cpu_pprof(profile: CpuProfile, scenario: str = "", seed: int = 0) -> bytes:
    """A CPU profile as gzip'd pprof: sample types samples/count and cpu/nanoseconds at SAMPLE_HZ."""
    p = _Pprof()
    period = 1_000_000_000 // SAMPLE_HZ
    p.value_type(1, "samples", "count")
    p.value_type(1, "cpu", "nanoseconds")
    for stack, n in profile.stacks:
        p.sample(stack, [n, n * period], {})
    tail = bytearray()
    tail += _int_field(10, int(round((profile.end - profile.start) * 1e9)))
    tail += _bytes_field(11, _int_field(1, p.string("cpu")) + _int_field(2, p.string("nanoseconds")))
    tail += _int_field(12, period)
    tail += _comment(p, profile, scenario, seed)
    tail += _int_field(14, p.string("cpu"))
    return gzip.compress(p.encode(bytes(tail)), mtime=0)


def _heap_stacks(profile: HeapProfile) -> list[tuple[tuple[str, ...], int]]:
    """(stack root first, retained bytes) per allocation site (a site without a stack is its own frame)."""
    return [(site.stack or (site.site,), int(round(site.retained_mb * MIB))) for site in profile.sites]


def heap_pprof(profile: HeapProfile, scenario: str = "", seed: int = 0) -> bytes:
    """A heap profile as gzip'd pprof: sample type inuse_space/bytes per allocation site."""
    p = _Pprof()
    p.value_type(1, "inuse_space", "bytes")
    for stack, size in _heap_stacks(profile):
        p.sample(stack, [size], {})
    tail = bytearray()
    tail += _int_field(10, int(round((profile.end - profile.start) * 1e9)))
    tail += _bytes_field(11, _int_field(1, p.string("space")) + _int_field(2, p.string("bytes")))
    tail += _comment(p, profile, scenario, seed)
    return gzip.compress(p.encode(bytes(tail)), mtime=0)


def to_pprof(profile: CpuProfile | HeapProfile, scenario: str = "", seed: int = 0) -> bytes:
    """Either kind of profile as gzip'd pprof."""
    if isinstance(profile, CpuProfile):
        return cpu_pprof(profile, scenario, seed)
    return heap_pprof(profile, scenario, seed)


def to_speedscope(profile: CpuProfile | HeapProfile, scenario: str = "", seed: int = 0) -> str:
    """A profile as a speedscope file: one sampled profile, stacks root first, weighted."""
    frames: dict[str, int] = {}
    samples: list[list[int]] = []
    weights: list[float] = []
    if isinstance(profile, CpuProfile):
        stacks: list[tuple[tuple[str, ...], float]] = [(s, n / SAMPLE_HZ) for s, n in profile.stacks]
        unit = "seconds"
    else:
        stacks = [(s, float(size)) for s, size in _heap_stacks(profile)]
        unit = "bytes"
    for stack, weight in stacks:
        samples.append([frames.setdefault(f, len(frames)) for f in stack])
        weights.append(weight)
    name = f"{profile.kind} {profile.instance} ({profile.service} {profile.version})"
    doc: dict[str, Any] = {
        "$schema": SPEEDSCOPE_SCHEMA,
        "name": f"misfortune {scenario} seed {seed}: {name}",
        "exporter": "misfortune",
        "activeProfileIndex": 0,
        "shared": {"frames": [{"name": f} for f in frames]},
        "profiles": [
            {
                "type": "sampled",
                "name": name,
                "unit": unit,
                "startValue": 0,
                "endValue": sum(weights),
                "samples": samples,
                "weights": weights,
            }
        ],
    }
    return json.dumps(doc, indent=1) + "\n"
