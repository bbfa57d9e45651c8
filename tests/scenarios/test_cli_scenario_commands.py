"""misfortune list / validate / schema, called through tui.cli.main."""

import json
from types import SimpleNamespace

import tui.cli
from scenarios.loader import ScenarioError, SourceProblem
from tui.cli import main


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: misfortune" in out
    for command in ("list", "validate", "schema"):
        assert command in out


def test_validate_valid_file(tmp_path, minimal_text, capsys):
    path = tmp_path / "mini.yaml"
    path.write_text(minimal_text, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok\n"


def test_validate_invalid_file_exits_2_with_positions(tmp_path, minimal_text, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(minimal_text.replace("mb_per_min: 8", "mb_per_min: 0"), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert f"{path}:21:17: faults[0].mb_per_min: Input should be greater than 0" in captured.err
    assert "Traceback" not in captured.err


def test_validate_directory_and_missing_path(tmp_path, minimal_text, capsys):
    (tmp_path / "good.yaml").write_text(minimal_text, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: [\n", encoding="utf-8")
    assert main(["validate", str(tmp_path), str(tmp_path / "nope.yaml")]) == 2
    captured = capsys.readouterr()
    assert f"{tmp_path / 'good.yaml'}: ok" in captured.out
    assert f"{tmp_path / 'bad.yaml'}:2:1: " in captured.err
    assert f"{tmp_path / 'nope.yaml'}: no such file" in captured.err
    assert "3 files: 1 ok, 2 invalid" in captured.out


def test_validate_empty_directory(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert f"{tmp_path}: no *.yaml files in this directory" in capsys.readouterr().err


def test_schema_is_json_schema_of_the_scenario(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "misfortune scenario"
    assert {"id", "topology", "faults", "solution"} <= set(schema["properties"])
    assert {"id", "title", "briefing", "slo", "topology", "faults", "root_cause"} <= set(schema["required"])
    assert schema["additionalProperties"] is False


def test_schema_to_file(tmp_path):
    out = tmp_path / "scenario.schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["$id"] == "urn:misfortune:scenario"


def test_list_json(user_scenarios, minimal_text, capsys):
    (user_scenarios / "mini.yaml").write_text(minimal_text, encoding="utf-8")
    (user_scenarios / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    assert main(["list", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out) if row["source"] == "user"}
    assert rows["mini-leak"] == {
        "id": "mini-leak",
        "title": "Mini leak",
        "difficulty": 1,
        "tags": [],
        "source": "user",
        "path": str(user_scenarios / "mini.yaml"),
        "error": None,
    }
    assert rows["broken"]["error"]


def test_list_table_fits_80_columns(user_scenarios, minimal_text, capsys):
    (user_scenarios / "mini.yaml").write_text(minimal_text, encoding="utf-8")
    (user_scenarios / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "mini-leak" in out and "Mini leak" in out and "broken" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    # one entry to a few lines: a title reads whole on its line (a squeezed table wrapped it a word a line)
    assert "    Half the requests hang in Frankfurt" in out.splitlines()[1]
    assert "az-outage  difficulty 3, shipped\n" in out


def test_command_modules_plug_in_and_scenario_errors_exit_2(monkeypatch, capsys):
    def fail(args):
        raise ScenarioError([SourceProblem("x.yaml", 3, 4, "faults[0].at", "bad time")])

    def register(subparsers):
        subparsers.add_parser("boom").set_defaults(handler=fail)

    monkeypatch.setattr(tui.cli, "COMMAND_MODULES", [*tui.cli.COMMAND_MODULES, SimpleNamespace(register=register)])
    assert main(["boom"]) == 2
    assert capsys.readouterr().err == "x.yaml:3:4: faults[0].at: bad time\n"


def test_list_is_a_table_in_a_wide_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.split()[:5] == ["ID", "TITLE", "DIFF", "TAGS", "SOURCE"]
    assert any(
        line.startswith("az-outage ") and "Half the requests hang in Frankfurt" in line for line in out.splitlines()
    )
