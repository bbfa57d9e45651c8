"""misfortune run and misfortune replay through tui.cli.main: reports, journals, bad input (exit 2)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from headless_kit import SHIPPED

from tui.cli import main

DESIGN_FIELDS = {
    "scenario": str,
    "seed": int,
    "outcome": str,
    "impact_start_s": (float, type(None)),
    "ttd_s": (float, type(None)),
    "tta_s": (float, type(None)),
    "ttm_s": (float, type(None)),
    "ttr_s": (float, type(None)),
    "error_budget_burned_pct": float,
    "failed_requests": int,
    "harmful_actions": int,
    "grade": str,
}
"""The --json report fields DESIGN.md promises, with their types (durations null when never reached)."""


def _json_report(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_run_json_has_the_design_fields(capsys):
    report = _json_report(capsys, ["run", SHIPPED, "--seed", "3", "--until", "20m", "--json"])
    for name, kind in DESIGN_FIELDS.items():
        assert isinstance(report[name], kind), name
    assert report["scenario"] == SHIPPED
    assert report["seed"] == 3
    assert report["outcome"] == "unresolved"
    assert report["ttr_s"] is None
    assert report["grade"] == "F"
    assert report["ended_at_s"] == 1200.0


def test_run_with_actions_resolves_and_prints_a_readable_report(actions_file, capsys):
    assert main(["run", SHIPPED, "--actions", str(actions_file), "-v"]) == 0
    out = capsys.readouterr().out
    assert "RESOLVED" in out
    assert "time to recover (TTR)" in out and "25m" in out  # par
    assert "rejected at 9m: restart: unknown service 'no-such-service'" in out
    assert "timeline" in out and "rollback_deploy" in out
    assert "Traceback" not in out


def test_run_actions_json_matches_design_meanings(actions_file, capsys):
    report = _json_report(capsys, ["run", SHIPPED, "--actions", str(actions_file), "--json"])
    assert report["outcome"] == "resolved"
    assert report["ended_at_s"] == 1260.0
    assert report["ttr_s"] == round(1260.0 - report["impact_start_s"], 1)
    assert report["hypotheses"] == 1


def test_journal_replays_to_the_same_report(actions_file, tmp_path, capsys):
    journal = tmp_path / "session.jsonl"
    first = _json_report(
        capsys, ["run", SHIPPED, "--seed", "7", "--actions", str(actions_file), "--journal", str(journal), "--json"]
    )
    header = json.loads(journal.read_text(encoding="utf-8").splitlines()[0])
    assert header["scenario"] == SHIPPED and header["seed"] == 7 and len(header["scenario_sha256"]) == 64
    replayed = _json_report(capsys, ["replay", str(journal), "--json"])
    assert replayed == first


def test_replay_human_report(actions_file, tmp_path, capsys):
    journal = tmp_path / "session.jsonl"
    assert main(["run", SHIPPED, "--actions", str(actions_file), "--journal", str(journal)]) == 0
    capsys.readouterr()
    assert main(["replay", str(journal)]) == 0
    assert "RESOLVED" in capsys.readouterr().out


def test_unknown_scenario_exits_2(capsys):
    assert main(["run", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'no-such-scenario'" in err
    assert "Traceback" not in err


def test_bad_actions_file_exits_2_with_file_line_col(tmp_path, capsys):
    path = tmp_path / "actions.yaml"
    path.write_text("- {at: 5m, action: ack}\n- {at: 9m, action: rollback_deploi, service: checkout}\n")
    assert main(["run", SHIPPED, "--actions", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:20: [1].action: unknown action 'rollback_deploi'; did you mean 'rollback_deploy'?" in err


def test_a_data_action_in_a_scenario_without_data_exits_2_naming_the_line_and_the_fix(tmp_path, capsys):
    path = tmp_path / "acts.yaml"
    path.write_text("- {at: 2m, action: ack}\n- {at: 5m, action: restore_backup, service: checkout, backup: nightly}\n")
    assert main(["run", SHIPPED, "--actions", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err and "[1].action: 'restore_backup' cannot apply in scenario 'checkout-oom-leak'" in err
    assert "declares data" in err and "remove this action" in err and "Traceback" not in err
    # The same file is fine for a scenario whose database keeps data (the action is then judged at play).
    data = tmp_path / "data.yaml"
    data.write_text("- {at: 20m, action: restore_backup, service: config-db, backup: nightly-0200}\n")
    assert main(["run", "db-failover-lost-writes", "--actions", str(data), "--until", "21m", "--json"]) == 0


def test_actions_out_of_order_exit_2(tmp_path, capsys):
    path = tmp_path / "actions.yaml"
    path.write_text("- {at: 9m, action: ack}\n- {at: 2m, action: resolve}\n")
    assert main(["run", SHIPPED, "--actions", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: actions[1] (resolve): at 2m comes before the previous action's 9m" in err


def test_bad_until_and_missing_actions_file_are_all_reported(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main(["run", SHIPPED, "--until", "soon", "--actions", str(missing)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "--until: 'soon' is not a duration; write it like 90s, 5m, 1h30m or -35m"
    assert str(missing) in err[1]


def test_nonexistent_journal_exits_2(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "gone.jsonl")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'gone.jsonl'}: no such journal file"


def test_journal_that_is_not_json_exits_2(tmp_path, capsys):
    path = tmp_path / "notes.jsonl"
    path.write_text("hello\nworld\n")
    assert main(["replay", str(path)]) == 2
    assert f"{path}:1: not a JSON record" in capsys.readouterr().err


def test_journal_whose_scenario_changed_exits_2(user_scenario, tmp_path, capsys):
    scenario = user_scenario("my-leak")
    journal = tmp_path / "session.jsonl"
    assert main(["run", "my-leak", "--until", "10m", "--journal", str(journal), "--json"]) == 0
    capsys.readouterr()
    scenario.write_text(scenario.read_text() + "# edited after the session\n")
    assert main(["replay", str(journal)]) == 2
    err = capsys.readouterr().err
    assert "scenario 'my-leak' has changed since this session was recorded" in err
    assert str(scenario) in err
    assert len(err.strip().splitlines()) == 1


def test_journal_falls_back_to_the_catalog_when_its_file_moved(tmp_path, capsys):
    from scenarios.catalog import library_dir

    copy = tmp_path / "copy.yaml"
    copy.write_bytes((library_dir() / f"{SHIPPED}.yaml").read_bytes())
    journal = tmp_path / "session.jsonl"
    first = _json_report(capsys, ["run", str(copy), "--until", "10m", "--journal", str(journal), "--json"])
    copy.unlink()
    assert _json_report(capsys, ["replay", str(journal), "--json"]) == first


def test_list_from_another_directory():
    """The installed command finds its package data whatever the working directory."""
    script = Path(sys.executable).parent / "misfortune"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]
    done = subprocess.run(
        [*command, "list"], cwd="/tmp", capture_output=True, text=True, timeout=60, env={**os.environ}
    )
    assert done.returncode == 0, done.stderr
    assert SHIPPED in done.stdout


def test_run_and_replay_keep_no_telemetry_and_print_what_a_kept_run_prints(actions_file, tmp_path, capsys, monkeypatch):
    """run and replay read no log line or span (the report and timeline come from the model), so they keep
    none: ~20 % less CPU. What they print is what a run that keeps its telemetry prints."""
    import tui.commands.headless as headless
    from simulator.session.journal_session import JournalSession

    journal = tmp_path / "run.jsonl"
    argv = ["run", SHIPPED, "--actions", str(actions_file), "-v", "--journal", str(journal)]
    assert main(argv) == 0
    lean = capsys.readouterr().out
    made: list[object] = []
    real_run_session, real_replay = headless.run_session, JournalSession.replay

    def kept_run(*args, **kwargs):
        kwargs["telemetry"] = True
        sim, report = real_run_session(*args, **kwargs)
        made.append(sim)
        return sim, report

    def kept_replay(self, *args, **kwargs):
        kwargs["telemetry"] = True
        sim, report = real_replay(self, *args, **kwargs)
        made.append(sim)
        return sim, report

    monkeypatch.setattr(headless, "run_session", kept_run)
    monkeypatch.setattr(JournalSession, "replay", kept_replay)
    assert main(argv) == 0
    assert capsys.readouterr().out == lean
    assert len(made) == 1 and made[0].logs(limit=1)  # the kept run did keep its lines
    assert main(["replay", str(journal), "-v"]) == 0
    kept_replayed = capsys.readouterr().out
    assert len(made) == 2 and made[1].logs(limit=1)
    monkeypatch.undo()
    assert main(["replay", str(journal), "-v"]) == 0
    assert capsys.readouterr().out == kept_replayed
    # and the commands' own runs really keep nothing
    runs: list[object] = []
    monkeypatch.setattr(headless, "run_session", lambda *a, **k: runs.append(k) or real_run_session(*a, **k))
    assert main(argv) == 0
    assert runs and runs[0]["telemetry"] is False
