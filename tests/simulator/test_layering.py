"""The engine imports no UI and reads neither the wall clock nor the global random generator; the wings
of ``simulator/`` import one way only, no module imports itself back, and ``tui/`` sees the wings'
public faces only."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "simulator").rglob("*.py"))


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


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
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


# --- the order of the wings ------------------------------------------------------------------------

PACKAGES = ("simulator", "scenarios", "tui")
WINGS = ("world", "telemetry", "diagnostics", "incident", "session", "shift", "reports", "exports")
WING_MAY_IMPORT = {
    "world": set(),
    "telemetry": {"world"},
    "diagnostics": {"world", "telemetry"},
    "incident": {"world", "telemetry"},
    "session": {"world", "telemetry", "diagnostics", "incident"},
    "shift": {"world", "telemetry", "diagnostics", "incident", "session"},
    "reports": {"world", "telemetry", "diagnostics", "incident", "session", "shift"},
    "exports": {"world", "telemetry", "diagnostics", "incident", "session"},
}
"""Which other wings each wing may import (its own wing, ``scenarios`` and ``simulator.views`` always)."""
SHARED = "simulator.views"
"""The read-only record types every wing (and the TUI) shares."""
TUI_FACES = {f"simulator.{wing}" for wing in WINGS} | {SHARED}
"""What ``tui/`` may import from the engine: each wing's ``__init__`` (its ``__all__``) and the views."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports, anywhere in it: top level, in functions, under ``if TYPE_CHECKING:``.

    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module and ``a.b`` otherwise
    (resolved later, against the modules that exist).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def resolve(name: str, modules: set[str]) -> str | None:
    """The longest existing module that ``name`` names or lies in (``a.b.c`` is ``a.b``'s attribute c)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module -> modules it imports, over simulator/, scenarios/ and tui/ (from the source, never run)."""
    paths = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    modules = {module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        raw = imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        graph[name] = {t for t in (resolve(r, set(modules)) for r in raw) if t is not None and t != name}
    return graph


def wing_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "simulator" and len(parts) > 1 and parts[1] in WINGS else None


def layering_problems(graph: dict[str, set[str]]) -> list[str]:
    """Imports that break the order of the layers and the wings."""
    problems = []
    for module, targets in sorted(graph.items()):
        top = module.split(".")[0]
        wing = wing_of(module)
        for target in sorted(targets):
            target_top, target_wing = target.split(".")[0], wing_of(target)
            if top == "scenarios" and target_top != "scenarios":
                problems.append(f"{module} -> {target}: the scenario language imports neither engine nor UI")
            elif top == "simulator" and target_top == "tui":
                problems.append(f"{module} -> {target}: the engine never imports the UI")
            elif module == SHARED and target_wing is not None:
                problems.append(f"{module} -> {target}: the shared views import no wing")
            elif wing and target_wing and target_wing != wing and target_wing not in WING_MAY_IMPORT[wing]:
                problems.append(f"{module} -> {target}: the {wing} wing may not import the {target_wing} wing")
            elif top == "tui" and target_top == "simulator" and target not in TUI_FACES:
                problems.append(
                    f"{module} -> {target}: the TUI imports a wing's face (simulator.<wing>), not its modules"
                )
    return problems


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_wings_import_one_way_only():
    assert layering_problems(import_graph()) == []


def test_no_module_imports_itself_back():
    assert import_cycles(import_graph()) == []


def test_every_wing_face_exports_what_it_names():
    for wing in WINGS:
        module = __import__(f"simulator.{wing}", fromlist=["__all__"])
        exported = getattr(module, "__all__", [])
        assert exported, f"simulator.{wing} exports nothing"
        assert all(hasattr(module, name) for name in exported), wing


def test_the_checks_catch_a_forbidden_import():
    graph = import_graph()
    # A type-only import counts like any other.
    world_source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from simulator.session.simulation import X\n"
    )
    raw = imports_of(world_source, "simulator.world.cluster")
    assert resolve("simulator.session.simulation.X", set(graph)) == "simulator.session.simulation"
    assert "simulator.session.simulation.X" in raw
    bad = {**graph, "simulator.world.cluster": graph["simulator.world.cluster"] | {"simulator.session.simulation"}}
    assert any("world wing may not import the session wing" in p for p in layering_problems(bad))
    assert any("simulator.world.cluster" in c for c in import_cycles(bad))
    sideways = {
        **graph,
        "simulator.incident.actions": graph["simulator.incident.actions"] | {"simulator.diagnostics.desk"},
    }
    assert any("incident wing may not import the diagnostics wing" in p for p in layering_problems(sideways))
    deep = {**graph, "tui.app": graph["tui.app"] | {"simulator.session.simulation"}}
    assert any("tui.app -> simulator.session.simulation" in p for p in layering_problems(deep))
    to_ui = {**graph, "simulator.reports.history": graph["simulator.reports.history"] | {"tui.port"}}
    assert any("never imports the UI" in p for p in layering_problems(to_ui))
    # Two world modules importing each other is a cycle even inside one wing.
    mutual = {**graph, "simulator.world.state": graph["simulator.world.state"] | {"simulator.world.cluster"}}
    assert ["simulator.world.cluster", "simulator.world.state"] in [
        [m for m in c if m in ("simulator.world.cluster", "simulator.world.state")] for c in import_cycles(mutual)
    ]
    assert imports_of("from . import faults\n", "simulator.world", is_package=True) >= {"simulator.world.faults"}
    assert imports_of("from .state import World\n", "simulator.world.cluster") >= {"simulator.world.state"}


# --- the narrow seams ------------------------------------------------------------------------------


def protocol_members(proto: type) -> set[str]:
    """The attributes and methods a Protocol declares (its own and those of the Protocols it extends)."""
    names: set[str] = set()
    for klass in proto.__mro__:
        if klass.__module__ in ("typing", "builtins"):
            continue
        names |= set(getattr(klass, "__annotations__", {}))
        names |= {
            n for n, v in vars(klass).items() if not n.startswith("_") and (callable(v) or isinstance(v, property))
        }
    return names


def test_the_session_has_what_each_wing_declares_it_needs():
    from dataclasses import fields

    from simkit import sim_of, tiny

    from simulator.diagnostics.desk import DeskSession
    from simulator.diagnostics.profiles import ProfiledSystem
    from simulator.incident.actions import ActionSession
    from simulator.reports.facts import FinishedSession
    from simulator.reports.history import FinishedAttempt
    from simulator.world.events import EventLog
    from simulator.world.faults import Orchestrator
    from tui.port import Debrief

    sim = sim_of(tiny())
    pairs = [
        (ActionSession, sim),
        (ProfiledSystem, sim),
        (DeskSession, sim),
        (FinishedSession, sim),
        (Orchestrator, sim.cluster),
        (EventLog, sim.log_gen),
    ]
    for proto, obj in pairs:
        members = protocol_members(proto)
        assert members, proto
        missing = sorted(n for n in members if not hasattr(obj, n))
        assert not missing, f"{type(obj).__name__} lacks {missing} of {proto.__name__}"
    assert {"env", "look", "now", "metric", "logs", "world", "faults"} <= protocol_members(DeskSession)
    assert protocol_members(FinishedAttempt) <= {f.name for f in fields(Debrief)}
