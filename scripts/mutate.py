"""A quick mutation pass over the engine's core: which small changes does no test notice?

    python scripts/mutate.py                      # every mutant of the default files, focused tests
    python scripts/mutate.py --list               # the mutants only, nothing runs
    python scripts/mutate.py --only 12,40         # some mutants by number
    python scripts/mutate.py --confirm            # survivors also meet the slower golden tests

One mutant at a time: a comparison flipped (``<`` and ``<=``, ``>`` and ``>=``, ``==`` and ``!=``) or
a numeric constant nudged (an integer by one, a float by 10 %, zero to 0.1); with ``--arithmetic`` also
an operator swapped (``+`` and ``-``, ``*`` and ``/``). Subscripts, cache sizes and parameter defaults
are left alone. Each is written into a copy of the checkout (the worktree is never
touched) and the focused tests run against it, stopping at the first failure. A mutant no test fails
is a *survivor*: either a test is missing, or the change makes no observable difference (an
equivalent mutant). Prints one line per mutant and the survivors at the end; asserts nothing.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("simulator/world/model.py", "simulator/incident/scoring.py")
FOCUSED = (
    "tests/simulator/test_model.py",
    "tests/simulator/test_scoring.py",
    "tests/simulator/test_faults.py",
    "tests/simulator/test_actions.py",
    "tests/simulator/test_telemetry.py",
    "tests/scenarios/test_library_part1.py",
    "tests/scenarios/test_library_part2.py",
)
"""Fast tests that exercise the model and the score (about 10 s together)."""
CONFIRM = ("tests/simulator/test_postmortem_golden.py", "tests/simulator/test_tick_skipping.py")
"""Slower tests a survivor meets with --confirm: the golden postmortems and the skipping equivalence."""
TIMEOUT = 300

_FLIP = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">", ast.Eq: "!=", ast.NotEq: "=="}
_SWAP = {ast.Add: "-", ast.Sub: "+", ast.Mult: "/", ast.Div: "*"}
_SYMBOL = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


@dataclass(frozen=True)
class Mutant:
    """One change to one file: replace ``old`` at (line, column) with ``new``."""

    path: str
    line: int
    col: int
    old: str
    new: str
    where: str

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        row = lines[self.line - 1]
        assert row[self.col : self.col + len(self.old)] == self.old, (self, row)
        lines[self.line - 1] = row[: self.col] + self.new + row[self.col + len(self.old) :]
        return "".join(lines)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col + 1} ({self.where}) {self.old!r} -> {self.new!r}"


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the constant nodes that are docstrings (never mutated)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _bookkeeping(tree: ast.AST) -> set[int]:
    """ids of constants that are not model figures: subscripts, cache sizes, defaults of parameters."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            out.update(id(n) for n in ast.walk(node.slice))
        elif isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                out.update(id(n) for n in ast.walk(d))
            for default in node.args.defaults + node.args.kw_defaults:
                if default is not None:
                    out.update(id(n) for n in ast.walk(default))
    return out


def _operator_column(text_line: str, start: int, end: int, symbol: str) -> int | None:
    """Column of ``symbol`` between two operands on one line (None when it is not alone there)."""
    segment = text_line[start:end]
    hits = [i for i in range(len(segment)) if segment.startswith(symbol, i)]
    # `<` must not be the start of `<=`, `*` not part of `**`, and so on.
    hits = [i for i in hits if segment[i + len(symbol) : i + len(symbol) + 1] not in ("=", "*", "/")]
    hits = [i for i in hits if i == 0 or segment[i - 1] not in ("<", ">", "=", "!", "*", "/")]
    return start + hits[0] if len(hits) == 1 else None


def mutants_of(path: str, arithmetic: bool = False) -> list[Mutant]:
    """Every mutant of one file, in source order."""
    text = (ROOT / path).read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    skip = _docstrings(tree) | _bookkeeping(tree)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]

    def where(node: ast.AST) -> str:
        inside = [f for f in functions if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)]
        return min(inside, key=lambda f: (f.end_lineno or 0) - f.lineno).name if inside else "<module>"

    out: list[Mutant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            left = node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                new = _FLIP.get(type(op))
                if new and left.end_lineno == right.lineno == left.lineno:
                    col = _operator_column(
                        lines[left.lineno - 1], left.end_col_offset, right.col_offset, _SYMBOL[type(op)]
                    )
                    if col is not None:
                        out.append(Mutant(path, left.lineno, col, _SYMBOL[type(op)], new, where(node)))
                left = right
        elif arithmetic and isinstance(node, ast.BinOp) and type(node.op) in _SWAP:
            a, b = node.left, node.right
            if a.end_lineno == b.lineno:
                col = _operator_column(lines[b.lineno - 1], a.end_col_offset, b.col_offset, _SYMBOL[type(node.op)])
                if col is not None:
                    out.append(Mutant(path, b.lineno, col, _SYMBOL[type(node.op)], _SWAP[type(node.op)], where(node)))
        elif isinstance(node, ast.Constant) and id(node) not in skip and node.lineno == node.end_lineno:
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            old = lines[node.lineno - 1][node.col_offset : node.end_col_offset]
            new = repr(value + 1) if isinstance(value, int) else repr(round(value * 1.1 if value else 0.1, 12))
            out.append(Mutant(path, node.lineno, node.col_offset, old, new, where(node)))
    return sorted(out, key=lambda m: (m.path, m.line, m.col))


def run_tests(checkout: Path, tests: tuple[str, ...]) -> bool:
    """True when the tests pass in ``checkout`` (pytest there imports the checkout's own packages)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--no-header", *tests]
    try:
        done = subprocess.run(cmd, cwd=checkout, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False  # a mutant that makes the tests hang counts as killed
    return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="*", default=list(FILES), help="files to mutate (repository paths)")
    parser.add_argument("--only", help="comma-separated mutant numbers")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--arithmetic", action="store_true", help="also swap + and -, * and /")
    parser.add_argument("--confirm", action="store_true", help="run the slower golden tests on survivors")
    args = parser.parse_args(argv)

    mutants = [m for path in args.files for m in mutants_of(path, args.arithmetic)]
    chosen = {int(x) for x in args.only.split(",")} if args.only else set(range(1, len(mutants) + 1))
    if args.list:
        for number, m in enumerate(mutants, 1):
            print(f"M{number} {m}")
        return 0

    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        checkout = Path(tmp) / "tree"
        shutil.copytree(
            ROOT, checkout, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", "__pycache__", ".pytest_cache")
        )
        if not run_tests(checkout, FOCUSED):
            print("the focused tests fail on the unmutated tree: fix that first")
            return 1
        survivors: list[tuple[int, Mutant, str]] = []
        for number, m in enumerate(mutants, 1):
            if number not in chosen:
                continue
            target = checkout / m.path
            original = target.read_text(encoding="utf-8")
            try:
                target.write_text(m.apply(original), encoding="utf-8")
                killed = not run_tests(checkout, FOCUSED)
                verdict = "killed" if killed else "SURVIVED"
                if not killed and args.confirm:
                    verdict = "killed by the golden tests" if not run_tests(checkout, CONFIRM) else "SURVIVED"
            finally:
                target.write_text(original, encoding="utf-8")
            print(f"M{number} {verdict}: {m}", flush=True)
            if verdict != "killed":
                survivors.append((number, m, verdict))
        total = len(chosen & set(range(1, len(mutants) + 1)))
        print(f"\n{total - len(survivors)} of {total} mutants killed by the focused tests; not by them:")
        for number, m, verdict in survivors:
            print(f"  M{number} {verdict}: {m}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
