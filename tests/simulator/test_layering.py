"""The engine imports no UI and reads neither the wall clock nor the global random generator."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "simulator").glob("*.py"))


def test_importing_the_engine_does_not_import_textual():
    code = (
        "import sys, simulator.session.simulation, simulator.session.journal, simulator.incident.scoring; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui', 'rich')]; "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


FORBIDDEN = [
    (re.compile(r"^\s*(import time\b|from time import)", re.M), "imports the time module"),
    (re.compile(r"\btime\.(time|monotonic|perf_counter|process_time)\("), "reads the wall clock"),
    (re.compile(r"\b(datetime|date)\.(now|utcnow|today)\("), "reads the wall clock"),
    (re.compile(r"^\s*from random import", re.M), "imports from the global random module"),
    # `import random` is fine for the random.Random type; any other module-level use is the global generator.
    (re.compile(r"\brandom\.(?!Random\b)\w+"), "uses the global random generator"),
    (re.compile(r"\b(os\.urandom|uuid\.uuid[14]|secrets\.)"), "uses unseeded randomness"),
    (re.compile(r"\bhash\("), "uses salted hash()"),
]


def code_only(source: str) -> str:
    """The source with comments and string literals blanked (docstrings may mention ``time.time()``)."""
    lines = source.splitlines(keepends=True)
    out = [list(line) for line in lines]
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.STRING):
            (r0, c0), (r1, c1) = tok.start, tok.end
            for r in range(r0, r1 + 1):
                row = out[r - 1]
                lo = c0 if r == r0 else 0
                hi = c1 if r == r1 else len(row)
                for c in range(lo, hi):
                    if row[c] != "\n":
                        row[c] = " "
    return "".join("".join(row) for row in out)


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_engine_source_reads_no_wall_clock_and_no_global_random(path):
    text = code_only(path.read_text(encoding="utf-8"))
    problems = [
        f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}: {why}: {m.group(0)!r}"
        for pattern, why in FORBIDDEN
        for m in pattern.finditer(text)
    ]
    assert not problems, problems


def test_the_source_check_catches_what_it_should():
    samples = ["import time\n", "x = time.time()\n", "datetime.now()\n", "random.random()\n", "from random import x\n"]
    for sample in samples:
        assert any(p.search(sample) for p, _ in FORBIDDEN), sample
    assert "time.time" not in code_only('"""uses time.time()"""\nx = 1  # not time.time()\n')
    for fine in ("import random\n", "rng: random.Random\n", "self.rng.random()\n", "self.rng.gauss(0, 1)\n"):
        assert not any(p.search(fine) for p, _ in FORBIDDEN), fine
