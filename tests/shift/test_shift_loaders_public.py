"""The shift's YAML loaders use the scenario loader's public API, never its private helpers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scenarios.loader import ScenarioError, file_error, parse_yaml, read_yaml_file, validation_problems
from simulator.shift.policy import load_policy
from simulator.shift.steps import load_steps

ROOT = Path(__file__).resolve().parents[2]


def private_imports(path: Path) -> list[str]:
    """``module._name`` for every private name ``path`` imports from another module of the project."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("scenarios", "simulator"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def test_the_shift_wing_imports_no_private_name_of_another_module():
    offenders = {
        str(path.relative_to(ROOT)): names
        for path in sorted((ROOT / "simulator" / "shift").glob("*.py"))
        if (names := private_imports(path))
    }
    assert offenders == {}


def test_the_check_sees_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from scenarios.loader import ScenarioError, _parse\n", encoding="utf-8")
    assert private_imports(sample) == ["scenarios.loader._parse"]


def test_the_public_helpers_keep_file_line_col(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\na: 2\nb: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        parse_yaml(read_yaml_file(path), str(path))
    assert f"{path}:4" in str(err.value) or f"{path}:3" in str(err.value)
    data, positions, problems = parse_yaml("a: 1\na: 2\n", "y.yaml")
    assert data == {"a": 2} and [(p.line, p.message) for p in problems] == [(2, "duplicate key 'a'")]
    assert positions.find(("a",))[0] in (1, 2)
    assert str(file_error("z.yaml", "k: v\n", 1, 4, "bad")).startswith("z.yaml:1:4")
    assert callable(validation_problems)


def test_shift_loaders_still_point_at_the_line(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: p\non_call: {primary: [ann]}\nlevels:\n  - {notify: [primary], timeout: 1s}\n")
    with pytest.raises(ScenarioError, match=r"policy\.yaml:4"):
        load_policy(policy)
    steps = tmp_path / "steps.yaml"
    steps.write_text("- {at: 10m, action: ack}\n- {at: 5m, incident: 1, action: nope}\n")
    with pytest.raises(ScenarioError, match=r"steps\.yaml:2"):
        load_steps(steps)
