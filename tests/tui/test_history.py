"""Progress history: round trips, readiness by hand, corrupt databases, rebuild from journals, the CLI."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from scenarios.catalog import load_by_ref
from simulator.reports.history import (
    Attempt,
    HistoryCorrupt,
    HistoryError,
    fault_class,
    history_path,
    open_history,
    readiness,
    rebuild,
)
from simulator.session.runner import run_session
from tui.cli import main
from tui.session import journals_dir


def attempt(
    scenario="checkout-oom-leak",
    cls="memory",
    date="2026-01-01T10:00:00",
    outcome="resolved",
    ttr=1500.0,
    par=1500.0,
    journal=None,
    grade="A",
) -> Attempt:
    return Attempt(
        scenario=scenario, seed=1, date=date, outcome=outcome,
        end_reason="resolved" if outcome == "resolved" else "time_up",
        ttd_s=10.0, tta_s=60.0, ttm_s=600.0, ttr_s=ttr if outcome == "resolved" else None,
        par_tta_s=180.0, par_ttm_s=900.0, par_ttr_s=par, grade=grade, error_budget_burned_pct=1.5,
        harmful_actions=0, fault_class=cls, journal_path=journal,
    )  # fmt: skip


def test_record_and_list_round_trip():
    a = attempt(date="2026-01-02T09:00:00", journal="/j/2.jsonl")
    b = attempt(date="2026-01-01T09:00:00", journal="/j/1.jsonl", outcome="unresolved", grade="F")
    with open_history() as h:
        h.record(a)
        h.record(b)
    with open_history() as h:
        got = h.attempts()
    assert [g.journal_path for g in got] == ["/j/1.jsonl", "/j/2.jsonl"]  # oldest first
    assert got[1] == Attempt(**{**a.as_dict(), "id": got[1].id})
    assert got[0].ttr_s is None and got[0].drill is True and got[0].role == "trainee"
    assert history_path().is_file()


def test_recording_the_same_journal_again_replaces_it():
    with open_history() as h:
        h.record(attempt(journal="/j/1.jsonl", grade="C"))
        h.record(attempt(journal="/j/1.jsonl", grade="B"))
        assert [a.grade for a in h.attempts()] == ["B"]


def test_readiness_figures_by_hand():
    memory = [
        attempt(date="2026-01-01", ttr=1500, par=1500),  # 1.0x
        attempt(date="2026-01-02", ttr=3000, par=1500),  # 2.0x
        attempt(date="2026-01-03", outcome="unresolved"),  # counts as 3.0 for the trend
    ]
    zone = [attempt(scenario="az-outage", cls="zone", date="2026-01-04", ttr=660, par=1320)]  # 0.5x
    config = [
        attempt(scenario="edge", cls="config", date="2026-01-01", ttr=2400, par=1200),  # 2.0x
        attempt(scenario="edge", cls="config", date="2026-01-05", ttr=1200, par=1200),  # 1.0x
    ]
    with open_history() as h:
        h.record_all(memory + zone + config)
        got = {r.fault_class: r for r in readiness(h.attempts())}
    assert list(got) == ["config", "memory", "zone"]
    m = got["memory"]
    assert (m.attempts, m.resolved, m.best_ttr_ratio, m.median_ttr_ratio) == (3, 2, 1.0, 1.5)
    assert (m.best_ttr_s, m.median_ttr_s) == (1500, 2250)
    assert m.trend == "slipping"  # 3.0 against the median 1.5 of the earlier two
    assert got["zone"].best_ttr_ratio == 0.5 and got["zone"].trend == "first"
    assert got["config"].trend == "improving"  # 1.0 against 2.0
    assert got["config"].median_ttr_ratio == 1.5


def test_a_corrupt_database_is_moved_aside_with_a_way_forward():
    journals_dir().mkdir(parents=True)
    journal = journals_dir() / "kept.jsonl"
    journal.write_text('{"type":"header"}\n')
    path = history_path()
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryCorrupt) as err:
        open_history()
    message = str(err.value)
    assert f"history database {path} is corrupt" in message
    assert f"moved to {path}.corrupt-1" in message
    assert "your journals are untouched" in message
    assert "misfortune history --rebuild" in message
    assert (path.parent / "history.sqlite3.corrupt-1").read_bytes().startswith(b"this is not")
    assert journal.read_text() == '{"type":"header"}\n'
    with open_history() as h:  # a fresh one opens next time
        assert h.attempts() == []


def test_a_foreign_database_counts_as_corrupt_and_a_newer_one_is_left_alone():
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    with pytest.raises(HistoryCorrupt, match="not misfortune's"):
        open_history()
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(HistoryError, match="newer than this misfortune understands"):
        open_history()
    assert path.exists()


def test_a_failed_write_leaves_nothing_behind():
    with open_history() as h:
        bad = attempt(journal="/j/2.jsonl")
        with pytest.raises(sqlite3.Error):
            h.record_all([attempt(journal="/j/1.jsonl"), Attempt(**{**bad.as_dict(), "grade": None})])
        assert h.attempts() == []


def play_into_journals(name: str, until: float | None = None):
    scenario, path = load_by_ref("checkout-oom-leak")
    journal = journals_dir() / name
    run_session(scenario, 1, scenario.solution, until=until, journal_path=journal, scenario_path=path)
    return journal


def test_rebuild_replays_finished_journals_only(capsys):
    done = play_into_journals("done.jsonl")
    play_into_journals("unfinished.jsonl", until=120)
    with open_history() as h:
        result = rebuild(h, sorted(journals_dir().glob("*.jsonl")))
        got = h.attempts()
    assert result.recorded == 1
    assert [why for _, why in result.skipped] == ["not finished (interrupted or left to resume)"]
    assert [(a.scenario, a.outcome, a.fault_class, a.journal_path) for a in got] == [
        ("checkout-oom-leak", "resolved", "memory", str(done.resolve()))
    ]
    # the CLI: a corrupt database says how to recover; --rebuild recovers it from the journals
    history_path().write_bytes(b"garbage" * 50)
    assert main(["history"]) == 2
    err = capsys.readouterr().err
    assert "is corrupt" in err and "--rebuild" in err and "Traceback" not in err
    assert main(["history", "--rebuild", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [a["scenario"] for a in out["attempts"]] == ["checkout-oom-leak"]
    assert out["readiness"][0]["fault_class"] == "memory"


def test_history_export_labels_drills(tmp_path, capsys):
    with open_history() as h:
        h.record_all([attempt(journal="/j/1.jsonl"), attempt(scenario="az-outage", cls="zone", journal="/j/2.jsonl")])
    assert main(["history", "--export", str(tmp_path / "team.csv")]) == 0
    rows = list(csv.DictReader((tmp_path / "team.csv").open()))
    assert [(r["kind"], r["scenario"], r["fault_class"]) for r in rows] == [
        ("drill", "checkout-oom-leak", "memory"),
        ("drill", "az-outage", "zone"),
    ]
    assert main(["history", "--export", str(tmp_path / "team.json")]) == 0
    data = json.loads((tmp_path / "team.json").read_text())
    assert all(a["drill"] is True for a in data["attempts"]) and len(data["readiness"]) == 2
    assert main(["history", "--export", str(tmp_path / "team.xlsx")]) == 2
    assert ".csv or .json" in capsys.readouterr().err
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "Readiness per fault class" in out and "az-outage" in out


def test_postmortem_command(tmp_path, capsys):
    journal = play_into_journals("pm.jsonl")
    assert main(["postmortem", str(journal), "-o", str(tmp_path / "pm.md")]) == 0
    assert (tmp_path / "pm.md").read_text().startswith("# Postmortem (training drill): Checkout pods keep dying")
    assert main(["postmortem", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such journal file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("category", "tags", "expected"),
    [
        ("memory_leak", ["memory"], "memory"),
        ("bad_config", ["config"], "config"),
        ("zone_outage", ["zone"], "zone"),
        ("cert_expiry", [], "certificate"),
        ("something_new", ["flag", "cohort"], "flag"),
        ("something_new", [], "something_new"),
    ],
)
def test_fault_class(category, tags, expected):
    assert fault_class(category, tags) == expected
