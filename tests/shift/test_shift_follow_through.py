"""Follow-through across sessions: action items in the history store, follow-ups, team readiness."""

from __future__ import annotations

import json
from datetime import date

from shiftkit import BENCH_ACTIONS, bench_library  # noqa: F401 (bench_library pins the library plans draw from)

from simulator.reports.follow_ups import FollowUp, Practice, team_readiness
from tui.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_journalled_shift_leaves_follow_ups_that_the_next_shift_shows(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MISFORTUNE_NAME", "ana")
    journal = tmp_path / "night.jsonl"
    code, out, err = run(capsys, "shift", "--seed", "2", "--actions", str(BENCH_ACTIONS), "--journal", str(journal))
    assert code == 0, err
    assert "follow-up(s) recorded" in out
    code, out, _ = run(capsys, "follow-ups", "--json")
    items = json.loads(out)["follow_ups"]
    # Two postmortems due: writing each, plus each scenario's own action items.
    writes = [i for i in items if i["action"].startswith("Write the postmortem")]
    assert sorted(i["incident"] for i in writes) == [1, 2]
    assert all(i["status"] == "open" and i["owner"] and i["deadline"] for i in items)
    assert {i["scenario"] for i in items} == {"checkout-oom-leak", "cert-expiry"}
    assert any("error-budget burn" in i["reason"] for i in items if i["incident"] == 2)
    first = items[0]["id"]
    code, out, _ = run(capsys, "follow-ups", "--done", str(first))
    assert code == 0 and f"follow-up #{first}: done" in out
    code, out, _ = run(capsys, "follow-ups", "--json")
    assert first not in [i["id"] for i in json.loads(out)["follow_ups"]]
    # The next shift starts by listing what is still open.
    code, out, _ = run(capsys, "shift", "--seed", "3", "--hours", "1", "--max-incidents", "0", "--json")
    assert len(json.loads(out)["follow_ups_open"]) == len(items) - 1
    code, out, _ = run(capsys, "shift", "--seed", "3", "--hours", "1", "--max-incidents", "0")
    assert out.startswith(f"Open follow-ups ({len(items) - 1})")
    # A journal played again adds nothing twice.
    code, out, err = run(capsys, "shift", "--seed", "2", "--actions", str(BENCH_ACTIONS), "--journal", str(journal))
    assert code == 0 and "warning" not in err and "follow-up(s) recorded" not in out
    code, out, _ = run(capsys, "follow-ups", "--all", "--json")
    assert len(json.loads(out)["follow_ups"]) == len(items)


def test_follow_ups_bad_input_exits_2(capsys):
    assert run(capsys, "follow-ups", "--status", "1", "finished")[0] == 2
    code, _, err = run(capsys, "follow-ups", "--done", "99")
    assert code == 2 and "no follow-up #99" in err


def test_history_team_flags_classes_only_one_person_knows(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("MISFORTUNE_NAME", "ana")
    run(capsys, "shift", "--seed", "2", "--actions", str(BENCH_ACTIONS), "--journal", str(tmp_path / "a.jsonl"))
    code, out, _ = run(capsys, "history", "--team")
    assert code == 0
    assert "memory" in out and "certificate" in out and "ONLY ONE PERSON KNOWS THIS" in out
    monkeypatch.setenv("MISFORTUNE_NAME", "bob")
    run(capsys, "shift", "--seed", "2", "--actions", str(BENCH_ACTIONS), "--journal", str(tmp_path / "b.jsonl"))
    code, out, _ = run(capsys, "history", "--team")
    assert "ana, bob" in out and "ONLY ONE PERSON" not in out


def test_team_readiness_and_overdue_by_hand():
    records = [
        Practice("ana", "memory", "checkout-oom-leak", "2026-01-01T10:00:00", "resolved", "a"),
        Practice("bob", "memory", "checkout-oom-leak", "2026-01-03T10:00:00", "unresolved", "b"),
        Practice("ana", "zone", "az-outage", "2026-01-02T10:00:00", "resolved", "a"),
        Practice("ana", "zone", "gray-zone-failure", "2026-01-04T10:00:00", "resolved", "c"),
    ]
    coverage = {c.fault_class: c for c in team_readiness(records)}
    assert coverage["memory"].people == ("ana", "bob") and not coverage["memory"].single_point
    assert coverage["memory"].last == "2026-01-03T10:00:00"
    assert coverage["zone"].single_point and coverage["zone"].practised == 2
    item = FollowUp("s", 1, "x", "do it", "@o", "P1", "2026-01-08", "open", "2026-01-01T00:00:00", "user impact")
    assert item.overdue(date(2026, 1, 9)) and not item.overdue(date(2026, 1, 8))
    assert not FollowUp(**{**item.as_dict(), "status": "done"}).overdue(date(2026, 2, 1))


def test_rows_edited_by_hand_are_skipped_not_fatal(capsys, tmp_path):
    from simulator.reports.follow_ups import FollowThrough
    from simulator.reports.history import open_history

    run(capsys, "shift", "--seed", "2", "--actions", str(BENCH_ACTIONS), "--journal", str(tmp_path / "a.jsonl"))
    with open_history() as history:
        total = len(FollowThrough(history).items())
        with history.connection:
            history.connection.execute("UPDATE follow_ups SET deadline = 'soon' WHERE id = 1")
            history.connection.execute("UPDATE follow_ups SET owner = ? WHERE id = 2", ("x" * 10_000,))
            history.connection.execute("UPDATE practice SET difficulty = 'brutal' WHERE id = 1")
        store = FollowThrough(history)
        assert len(store.items()) == total - 2 and store.skipped == 2
        store.practice()
        assert store.skipped == 1
    code, out, err = run(capsys, "follow-ups")
    assert code == 0 and "Traceback" not in err
