"""misfortune play / resume: bad input is a clear message and exit 2, never a traceback."""

from __future__ import annotations

import json

from tui.cli import main
from tui.commands import tui_commands


def test_play_unknown_scenario_exits_2(capsys):
    assert main(["play", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert "no-such-scenario" in err and "Traceback" not in err


def test_play_rejects_a_bad_speed(capsys):
    try:
        main(["play", "checkout-oom-leak", "--speed", "3"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "not a clock speed" in capsys.readouterr().err


def test_resume_without_journals_exits_2(capsys):
    assert main(["resume"]) == 2
    assert "no journal" in capsys.readouterr().err


def test_resume_bad_journal_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "action"}\n')
    assert main(["resume", str(bad)]) == 2
    assert f"{bad}:1" in capsys.readouterr().err
    assert main(["resume", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such journal" in capsys.readouterr().err


def test_resume_ended_session_exits_2(tmp_path, capsys):
    path = tmp_path / "ended.jsonl"
    header = {"type": "header", "format": 1, "scenario": "checkout-oom-leak", "seed": 1}
    path.write_text(json.dumps(header) + "\n" + json.dumps({"type": "end", "t": 5.0, "reason": "resolved"}) + "\n")
    assert main(["resume", str(path)]) == 2
    assert "already ended" in capsys.readouterr().err


def test_play_builds_the_app_at_the_briefing(monkeypatch):
    built = {}

    def fake_run(build):
        built["app"] = build()
        return 0

    monkeypatch.setattr(tui_commands, "_run", fake_run)
    assert main(["play", "checkout-oom-leak", "--seed", "9", "--speed", "60"]) == 0
    app = built["app"]
    assert (app.opening, app.speed, app.session.briefing().seed) == ("briefing", 60.0, 9)
