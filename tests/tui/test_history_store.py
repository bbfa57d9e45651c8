"""The history store survives its file: corrupt or foreign files, two writers at once, old schemas, hostile rows."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest

from scenarios.catalog import load_by_ref
from simulator.reports.history import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Attempt,
    HistoryCorrupt,
    history_path,
    open_history,
    record_recovering,
)
from simulator.session.runner import run_session
from tui.cli import main
from tui.session import journals_dir


def attempt(journal: str, scenario: str = "checkout-oom-leak", date: str = "2026-01-01T10:00:00") -> Attempt:
    return Attempt(
        scenario=scenario, seed=1, date=date, outcome="resolved", end_reason="resolved", ttd_s=10.0,
        tta_s=60.0, ttm_s=600.0, ttr_s=900.0, par_tta_s=180.0, par_ttm_s=900.0, par_ttr_s=1500.0, grade="A",
        error_budget_burned_pct=1.5, harmful_actions=0, fault_class="memory", journal_path=journal,
    )  # fmt: skip


def test_a_corrupt_store_is_moved_aside_and_the_attempt_at_hand_goes_into_a_fresh_one():
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))  # looks like SQLite, is not
    warning = record_recovering([attempt("/j/now.jsonl")])
    assert warning is not None
    assert f"history database {path} is corrupt" in warning and f"moved to {path}.corrupt-1" in warning
    assert (path.parent / f"{path.name}.corrupt-1").read_bytes().startswith(b"SQLite format 3\x00")
    with open_history() as h:
        assert [a.journal_path for a in h.attempts()] == ["/j/now.jsonl"]


def test_a_store_found_corrupt_only_when_written_is_also_recovered(monkeypatch):
    with open_history() as h:
        h.record(attempt("/j/old.jsonl"))
    real_record_all = __import__("simulator.reports.history", fromlist=["History"]).History.record_all
    calls = []

    def failing_once(self, attempts, replace_all=False):
        calls.append(self.path)
        if len(calls) == 1:
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real_record_all(self, attempts, replace_all)

    monkeypatch.setattr("simulator.reports.history.History.record_all", failing_once)
    warning = record_recovering([attempt("/j/now.jsonl")])
    assert "could not be written (database disk image is malformed)" in warning
    assert f"moved to {history_path()}.corrupt-1" in warning
    assert len(calls) == 2
    with open_history() as h:
        assert [a.journal_path for a in h.attempts()] == ["/j/now.jsonl"]


def finished_journal() -> Path:
    scenario, path = load_by_ref("checkout-oom-leak")
    journal = journals_dir() / "done.jsonl"
    run_session(scenario, 1, scenario.solution, journal_path=journal, scenario_path=path)
    return journal


def test_history_add_records_into_a_fresh_store_when_the_old_one_is_foreign(capsys):
    journal = finished_journal()
    path = history_path()
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE cookies (host TEXT, value TEXT)")
    con.commit()
    con.close()
    assert main(["history", "--add", str(journal), "--json"]) == 0
    captured = capsys.readouterr()
    assert "not misfortune's" in captured.err
    assert str(path) in captured.err and f"{path}.corrupt-1" in captured.err
    assert [a["journal_path"] for a in json.loads(captured.out)["attempts"]] == [str(journal.resolve())]
    foreign = sqlite3.connect(f"{path}.corrupt-1")
    assert foreign.execute("SELECT name FROM sqlite_master").fetchall() == [("cookies",)]
    foreign.close()


def test_wal_mode_busy_timeout_and_schema_version():
    with open_history() as h:
        assert h.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert h.connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert h.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == MIGRATIONS[-1][0]


def test_a_version_1_store_is_migrated_and_keeps_its_rows():
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    for statement in MIGRATIONS[0][1]:
        con.execute(statement)
    names = [f.name for f in fields(Attempt) if f.name not in ("id", "mode", "detail")]  # schema 3 added those
    row = attempt("/j/v1.jsonl")
    con.execute(
        f"INSERT INTO attempts ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [int(row.drill) if n == "drill" else getattr(row, n) for n in names],
    )
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with open_history() as h:
        # 2, then 3 (shadow sessions), then 4 (shift follow-ups and practice)
        assert h.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        indexes = {r[1] for r in h.connection.execute("PRAGMA index_list(attempts)")}
        assert "attempts_by_date" in indexes
        assert [a.journal_path for a in h.attempts()] == ["/j/v1.jsonl"]


def _writer(home: str, worker: int, count: int, barrier, rounds: int) -> None:
    for r in range(rounds):  # each round: every worker opens the same new store at the same moment
        os.environ["MISFORTUNE_HOME"] = f"{home}/round-{r}"
        barrier.wait(60)
        with open_history() as h:
            h.record(attempt(f"/j/{worker}-first.jsonl"))
    os.environ["MISFORTUNE_HOME"] = home
    for i in range(count):
        with open_history() as h:
            h.record(attempt(f"/j/{worker}-{i}.jsonl", date=f"2026-01-01T10:{i:02d}:00"))


def test_processes_creating_and_recording_at_once_lose_nothing_and_corrupt_nothing():
    home, workers, rounds = os.environ["MISFORTUNE_HOME"], 3, 8
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    processes = [context.Process(target=_writer, args=(home, w, 30, barrier, rounds)) for w in range(workers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(180)
        assert p.exitcode == 0
    with open_history() as h:
        assert h.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert len(h.attempts()) == workers * 30
    for r in range(rounds):
        folder = Path(home) / f"round-{r}"
        assert not list(folder.glob("*.corrupt-*")), r
        with open_history(folder / "history.sqlite3") as h:
            assert len(h.attempts()) == workers, r


def test_rows_read_back_are_checked_like_any_input(capsys):
    with open_history() as h:
        h.record(attempt("/j/good.jsonl"))
        names = [f.name for f in fields(Attempt) if f.name != "id"]
        insert = f"INSERT INTO attempts ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        good = attempt("/j/x.jsonl")
        for n, (field, value) in enumerate(
            [
                ("ttr_s", "text in a REAL column"),  # (SQLite stores a NaN as NULL: nothing to test)
                ("par_ttr_s", float("inf")),
                ("scenario", "x" * 100_000),
                ("seed", "not a number"),
                ("grade", b"\x00binary"),
                ("error_budget_burned_pct", 1e300),
            ]
        ):
            values = {**good.as_dict(), "journal_path": f"/j/bad-{n}.jsonl", field: value}
            with h.connection:
                h.connection.execute(insert, [int(values[k]) if k == "drill" else values[k] for k in names])
        got = h.attempts()
        assert [a.journal_path for a in got] == ["/j/good.jsonl"]
        assert h.skipped == 6
    hostile = attempt("/j/markup.jsonl", scenario="[bold red]x\x1b]0;title\x07")
    with open_history() as h:
        h.record(hostile)
    assert main(["history"]) == 0
    captured = capsys.readouterr()
    assert "6 row(s)" in captured.err and "were skipped" in captured.err
    assert "[bold red]x" in captured.out and "\x1b" not in captured.out


@pytest.mark.parametrize("content", [b"", b"\x00" * 100])
def test_empty_or_zero_files_are_handled(content):
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    try:
        history = open_history()
    except HistoryCorrupt:
        history = open_history()
    with history:
        history.record(attempt("/j/1.jsonl"))
        assert len(history.attempts()) == 1
