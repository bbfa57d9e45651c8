"""The exported JSON Schema is what editors use: a real validator must accept every shipped scenario."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from scenarios.catalog import library_dir
from scenarios.schema import scenario_json_schema

SHIPPED = sorted(library_dir().glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, data) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_is_valid_under_the_exported_schema(validator, path: Path):
    assert errors(validator, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_the_library_is_not_empty():
    assert len(SHIPPED) >= 13


def test_the_schema_still_rejects_what_the_loader_rejects(validator):
    data = yaml.safe_load((library_dir() / "cert-expiry.yaml").read_text(encoding="utf-8"))
    assert errors(validator, {**data, "durration": "1h"})  # a typo is an error
    assert errors(validator, {**data, "duration": "soon"})  # not a duration, not a placeholder
    assert errors(validator, {**data, "difficulty": 9})
    assert not errors(validator, {**data, "difficulty": "${level}"})  # a variable may stand for a number
    bad_look = {**data, "solution": [{**data["solution"][0], "looked_at": ["kitchen"]}]}
    assert errors(validator, bad_look)


def test_the_schema_command_prints_the_same_schema(capsys):
    from tui.cli import main

    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(scenario_json_schema()))
