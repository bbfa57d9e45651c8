"""``misfortune shift``: headless runs, bad input (exit 2, file:line:col), replay, --after."""

from __future__ import annotations

import json

import pytest
from shiftkit import BENCH_ACTIONS, bench_library  # noqa: F401 (bench_library pins the library plans draw from)

from scenarios.loader import ScenarioError
from simulator.shift.steps import load_steps_text
from tui.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["shift", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_headless_json_report(capsys, tmp_path):
    journal = tmp_path / "night.jsonl"
    code, out, err = run(capsys, "--seed", "2", "--actions", str(BENCH_ACTIONS), "--journal", str(journal), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [i["outcome"] for i in report["incidents"]] == ["resolved", "resolved"]
    assert report.pop("follow_ups_open") == []
    code, out, err = run(capsys, "--replay", str(journal), "--json")
    assert code == 0, err
    assert json.loads(out) == report


def test_the_next_shift_starts_with_the_handoff(capsys, tmp_path):
    journal = tmp_path / "night.jsonl"
    assert run(capsys, "--seed", "2", "--actions", str(BENCH_ACTIONS), "--journal", str(journal))[0] == 0
    code, out, err = run(capsys, "--seed", "3", "--hours", "1", "--max-incidents", "0", "--after", str(journal))
    assert code == 0, err
    assert out.startswith("Handoff from the previous shift")
    assert "api-edge certificate renewed at 06:01" in out
    code, out, err = run(
        capsys, "--seed", "3", "--hours", "1", "--max-incidents", "0", "--after", str(journal), "--json"
    )
    previous = json.loads(out)["previous_handoff"]
    assert previous["note"]["upcoming"] == [
        "ticket #2, #3, #4, #5, #6, #7: payments and search tickets for the day shift"
    ]
    assert previous["open_incidents"] == []


def test_text_report_names_pace_and_postmortems(capsys):
    code, out, _ = run(capsys, "--seed", "2", "--actions", str(BENCH_ACTIONS))
    assert code == 0
    assert "pages 4 BUSY" in out
    assert "postmortems due: 2" in out
    assert "error-budget burn" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--hours", "0"], "--hours: 0 must be between 1 and 24"),
        (["--hours", "nan"], "--hours: nan must be between 1 and 24"),
        (["--speed", "inf"], "--speed: inf must be above 0"),
        (["--max-incidents", "9"], "--max-incidents: 9 must be between 0 and 6"),
        (["--replay", "/nonexistent.jsonl"], "/nonexistent.jsonl: no such journal file"),
        (["--after", "/nonexistent.jsonl"], "/nonexistent.jsonl: no such journal file"),
    ],
)
def test_bad_options_exit_2(capsys, argv, message):
    code, _, err = run(capsys, "--json", *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_a_bad_policy_or_actions_file_exits_2_with_its_place(capsys, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("on_call: {primary: ['@you']}\nlevels:\n  - {notify: [primary], timeout: 5m, wait: 1}\n")
    actions = tmp_path / "actions.yaml"
    actions.write_text("- {at: 1h, incident: 1, action: rollback, service: checkout}\n")
    code, _, err = run(capsys, "--policy", str(policy), "--actions", str(actions), "--json")
    assert code == 2
    assert f"{policy}:3:38: levels[0].wait: unknown field 'wait'" in err
    assert f"{actions}:1:33: [0].action: unknown action 'rollback'" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {at: 1h, action: handoff_note, incident: 1}", "x.yaml:1:44: [0].incident: handoff_note is for the shift"),
        ("- {at: 2h, action: ack}\n- {at: 1h, action: ack}", "x.yaml:2:8: [1].at: steps must be listed in time order"),
        ("- {at: 1h, incident: 0, action: ack}", "x.yaml:1:22: [0].incident: must be from 1 to 6"),
        ("- {incident: 1, action: ack}", "x.yaml:1:3: [0]: every step needs an 'at' time"),
        ("- {at: 30h, action: ack}", "x.yaml:1:8: [0].at: must be between 0s and 24h"),
        ("- {at: 1h, action: close_ticket}", "x.yaml:1:3: [0]: missing required field 'ticket'"),
        ("- {at: 1h, action: handoff_note, upcoming: [a, 3]}", "[0].upcoming[1]"),
        ("{at: 1h}", "x.yaml:1:1: a shift actions file is a YAML list"),
        (
            "- {at: 1h, incident: 1, action: inject, kind: hint, index: 0}",
            "x.yaml:1:33: [0].action: inject is a facilitator",
        ),
    ],
)
def test_a_broken_actions_file_names_the_place(text, message):
    with pytest.raises(ScenarioError) as err:
        load_steps_text(text, "x.yaml")
    assert message in str(err.value)
