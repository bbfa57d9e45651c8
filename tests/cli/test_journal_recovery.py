"""Journals from the command line: a torn last line (kill -9 mid-write), resume any number of times,
seats kept by resume, bad records exit 2 with file:line, and inspect --journal / --actions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from headless_kit import SHIPPED

from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.journal import read_journal
from simulator.session.journal_session import replay_journal
from tui.cli import main
from tui.session import LocalSession


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def killed_mid_write(path: Path, torn: bytes) -> None:
    """What a kill -9 in the middle of a journal write leaves: part of a record, no newline."""
    with path.open("ab") as f:
        f.write(torn)


def who_did_what(sim) -> list[tuple[float, str, str]]:
    return [(e.t, e.source, e.kind) for e in sim.timeline() if e.source != "system"]


def test_resume_keeps_each_actions_seat(tmp_path):
    session = LocalSession.start(SHIPPED, 3, directory=tmp_path)
    session.set_speed(60.0)
    session.pump(5.0)  # 300 s
    session.seat = "imoc:ana"
    session.apply(act(action="ack"))
    session.pump(2.0)
    session.seat = "tloc:bo"
    session.apply(act(action="rollback_deploy", service="checkout"))
    session.pump(1.0)
    live = who_did_what(session.sim)
    session.quit()
    resumed = LocalSession.resume(session.journal_path)
    assert who_did_what(resumed.sim) == live
    assert [source for _, source, _ in live] == ["imoc:ana", "tloc:bo"]
    assert resumed.score() == session.score()
    resumed.quit()


def test_resume_cuts_a_torn_line_and_works_any_number_of_times(tmp_path, capsys):
    session = LocalSession.start(SHIPPED, 2, directory=tmp_path)
    path = Path(session.journal_path)
    session.set_speed(60.0)
    session.pump(5.0)
    session.apply(act(action="ack"))
    session.pump(1.0)
    session.quit()
    expected = [("trainee", "ack")]
    for attempt, (seat, action) in enumerate(
        [("trainee", act(action="set_severity", severity="SEV2")), ("trainee", act(action="note", text="again"))]
    ):
        killed_mid_write(path, b'{"type":"look","t":1e3,"seat":"trai')
        torn_line = path.read_bytes().count(b"\n") + 1
        resumed = LocalSession.resume(path)
        assert resumed.recovery == (
            f"{path}:{torn_line}: the last line is torn (no newline at its end; the session was killed while writing "
            "it); it was cut off and the session goes on"
        ), attempt
        assert path.read_bytes().endswith(b"\n")
        resumed.set_speed(60.0)
        resumed.pump(1.0)
        resumed.apply(action)
        expected.append((seat, action.action))
        resumed.quit()
        assert read_journal(path).torn is None
    third = LocalSession.resume(path)  # nothing torn this time: nothing to repair
    assert third.recovery is None
    third.quit()
    assert [(a.seat, a.action.action) for a in read_journal(path).actions] == expected
    replayed, _ = replay_journal(path)
    assert [(source, kind) for _, source, kind in who_did_what(replayed)] == expected


def test_replay_reports_a_torn_line_and_replays_the_rest(actions_file, tmp_path, capsys):
    journal = tmp_path / "j.jsonl"
    assert main(["run", SHIPPED, "--actions", str(actions_file), "--journal", str(journal), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines) + lines[-1][:-9])  # a second end record, cut short
    assert main(["replay", str(journal), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == first
    assert err.startswith(f"{journal}:{len(lines) + 1}: the last line is torn (no newline at its end;")
    assert journal.read_bytes().endswith(lines[-1][:-9])  # replay reads; only resume repairs


@pytest.mark.parametrize("command", ["replay", "postmortem", "resume", "inspect"])
@pytest.mark.parametrize(
    "bad",
    [
        '{"type":"action","t":"soon","seat":"trainee","action":{"action":"ack"}}',
        '{"type":"action","t":NaN,"seat":"trainee","action":{"action":"ack"}}',
        '{"type":"action","t":60,"seat":"sudo:root","action":{"action":"ack"}}',
        '{"type":"action","t":60,"seat":"trainee","action":{"action":"rm_rf"}}',
        '{"type":"telemetry","t":60}',
    ],
    ids=["string-time", "nan-time", "unknown-seat", "unknown-action", "unknown-kind"],
)
def test_a_bad_record_exits_2_with_file_and_line(tmp_path, capsys, command, bad):
    path = tmp_path / "j.jsonl"
    header = {"type": "header", "format": 1, "scenario": SHIPPED, "seed": 1}
    look = {"type": "look", "t": 30.0, "seat": "trainee", "what": "console"}
    path.write_text(f"{json.dumps(header)}\n{json.dumps(look)}\n{bad}\n", encoding="utf-8")
    argv = {"inspect": ["inspect", "--journal", str(path), "--at", "1m", "--show", "alerts"]}.get(
        command, [command, str(path)]
    )
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_inspect_journal_shows_the_session_as_it_was(actions_file, tmp_path, capsys):
    journal = tmp_path / "j.jsonl"
    assert main(["run", SHIPPED, "--seed", "4", "--actions", str(actions_file), "--journal", str(journal)]) == 0
    capsys.readouterr()
    views = []
    for argv in (
        ["inspect", "--journal", str(journal), "--at", "15m", "--show", "metrics", "--service", "checkout", "--json"],
        ["inspect", SHIPPED, "--seed", "4", "--actions", str(actions_file), "--at", "15m", "--show", "metrics"]
        + ["--service", "checkout", "--json"],
    ):
        assert main(argv) == 0
        views.append(json.loads(capsys.readouterr().out))
    assert views[0] == views[1]
    assert {i["version"] for i in views[0]["instances"]} == {"v2.4.1"}  # the rollback at 9m is in
    assert main(["inspect", SHIPPED, "--journal", str(journal), "--at", "15m", "--show", "logs"]) == 2
    assert "drop SCENARIO" in capsys.readouterr().err
    assert main(["inspect", "--at", "15m", "--show", "logs"]) == 2
    assert "give a SCENARIO" in capsys.readouterr().err


def test_inspect_actions_changes_what_is_shown(actions_file, capsys):
    def metrics(*extra: str) -> dict:
        assert main(["inspect", SHIPPED, "--at", "15m", "--show", "metrics", "--service", "checkout", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    untouched = metrics("--json")
    played = metrics("--actions", str(actions_file), "--json")
    assert {i["version"] for i in untouched["instances"]} == {"v2.5.0"}
    assert {i["version"] for i in played["instances"]} == {"v2.4.1"}
    assert played["services"] != untouched["services"]


def test_resume_after_a_torn_end_record_restores_the_end_and_refuses(actions_file, tmp_path, capsys):
    journal = tmp_path / "j.jsonl"
    assert main(["run", SHIPPED, "--actions", str(actions_file), "--journal", str(journal), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    whole = journal.read_bytes()
    journal.write_bytes(whole[:-7])  # killed while writing the end record that followed the resolve
    assert main(["resume", str(journal)]) == 2
    assert "already ended (resolved)" in capsys.readouterr().err
    assert read_journal(journal).end == json.loads(whole.splitlines()[-1])
    assert main(["replay", str(journal), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first
