"""Replay refuses journal values the engine cannot run to: times not finite or outside the scenario, a
header whose hash is not a hash. Each is a clean error naming the journal (exit 2), never a hang."""

import json

import pytest

from scenarios.catalog import load_by_ref
from simulator.session.runner import run_session
from tui.cli import main


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    scenario, path = load_by_ref("checkout-oom-leak")
    journal = tmp_path_factory.mktemp("j") / "base.jsonl"
    run_session(scenario, 1, scenario.solution, journal_path=journal, scenario_path=path)
    return [json.loads(line) for line in journal.read_text().splitlines()]


@pytest.mark.parametrize(
    ("record", "field", "value", "message"),
    [
        (1, "t", float("nan"), "action record 1: time nan is not a number of seconds from 0 to the scenario's"),
        (2, "t", float("inf"), "action record 2: time inf is not a number of seconds"),
        (1, "t", -5.0, "action record 1: time -5.0 is not a number of seconds"),
        (1, "t", 1e308, "action record 1: time 1e+308 is not a number of seconds"),
        (-1, "t", float("nan"), "the end record: time nan is not a number of seconds"),
        (-1, "t", None, "the end record: time None is not a number of seconds"),
        (-1, "t", "soon", "the end record: time 'soon' is not a number of seconds"),
        (0, "scenario_sha256", float("nan"), ":1: the header's scenario_sha256 is not a SHA-256"),
        (0, "scenario_sha256", "not-hex", ":1: the header's scenario_sha256 is not a SHA-256"),
        (0, "scenario_path", 42, ":1: the header's scenario_path is not a path"),
    ],
)
def test_replay_refuses_values_the_engine_cannot_run(records, tmp_path, capsys, record, field, value, message):
    changed = [dict(r) for r in records]
    changed[record][field] = value
    journal = tmp_path / "j.jsonl"
    journal.write_text("".join(json.dumps(r) + "\n" for r in changed))
    assert main(["replay", str(journal)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(str(journal)) and message in err, err
