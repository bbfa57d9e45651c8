"""The difficulty the wheel suggests next: the rule, case by case."""

from __future__ import annotations

import pytest

from simulator.reports.follow_ups import Practice
from simulator.reports.history import SHADOW, Attempt
from simulator.reports.next_difficulty import suggest_difficulty


def attempt(day: int, outcome: str = "resolved", ttr: float = 900.0, par: float = 1000.0, mode: str = "solo"):
    return Attempt(
        scenario="checkout-oom-leak", seed=1, date=f"2026-01-{day:02d}T10:00:00", outcome=outcome,
        end_reason="resolved" if outcome == "resolved" else "time_up", ttd_s=10.0, tta_s=60.0, ttm_s=600.0,
        ttr_s=ttr if outcome == "resolved" else None, par_tta_s=180.0, par_ttm_s=900.0, par_ttr_s=par,
        grade="A", error_budget_burned_pct=1.0, harmful_actions=0, fault_class="memory", mode=mode,
    )  # fmt: skip


def practice(day: int, difficulty: str, outcome: str = "resolved", person: str = "ann") -> Practice:
    date = f"2026-01-{day:02d}T12:00:00"
    return Practice(person, "memory", "checkout-oom-leak", date, outcome, "s.jsonl", difficulty)


def test_no_history_starts_easy():
    advice = suggest_difficulty([], [], "ann")
    assert (advice.level, advice.current) == ("easy", None) and "start easy" in advice.reason


def test_three_resolved_at_or_under_par_move_up_from_the_level_last_played():
    advice = suggest_difficulty([attempt(1), attempt(2), attempt(4, ttr=1000.0)], [practice(3, "normal")], "ann")
    assert (advice.level, advice.current) == ("hard", "normal")
    assert advice.reason == "your last 3 incidents were all resolved at or under par (median 0.95x)"
    assert suggest_difficulty([attempt(1), attempt(2), attempt(3)], [], "ann").level == "hard"  # normal by default
    at_par = [attempt(d, ttr=1000.0) for d in (1, 2, 3)]
    assert suggest_difficulty(at_par, [practice(1, "easy")], "ann").level == "normal"  # at par is enough


def test_slower_than_par_stays():
    advice = suggest_difficulty([attempt(1), attempt(2, ttr=1300.0), attempt(3, ttr=1200.0)], [], "ann")
    assert advice.level == "normal" and advice.reason == "resolved, but slower than par (median 1.20x)"


def test_two_of_the_last_three_unresolved_move_down():
    attempts = [attempt(1), attempt(2), attempt(3, "unresolved"), attempt(5, "unresolved")]
    advice = suggest_difficulty(attempts, [practice(4, "hard")], "ann")
    assert (advice.level, advice.current) == ("normal", "hard")
    assert advice.reason == "2 of your last 3 incidents were not resolved"
    assert suggest_difficulty(attempts, [practice(4, "easy")], "ann").level == "easy"  # never below easy


def test_only_the_latest_three_count_and_one_miss_stays():
    old_misses = [attempt(1, "unresolved"), attempt(2, "unresolved")]
    assert suggest_difficulty([*old_misses, attempt(3), attempt(4), attempt(5)], [], "ann").level == "hard"
    advice = suggest_difficulty([attempt(3), attempt(4, "unresolved"), attempt(5)], [], "ann")
    assert advice.level == "normal" and advice.reason == "1 of your last 3 incidents was not resolved"


def test_fewer_than_three_results_stay_and_say_what_moves_up():
    advice = suggest_difficulty([attempt(1)], [], "ann")
    assert advice.level == "normal" and advice.reason.startswith("1 resolved so far")


@pytest.mark.parametrize("who", ["bob", None])
def test_shift_practice_counts_for_its_person_only_and_shadow_sessions_not_at_all(who):
    others = [practice(d, "hard", "unresolved", person="bob") for d in (1, 2, 3)]
    watched = [attempt(d, "unresolved", mode=SHADOW) for d in (4, 5)]
    mine = suggest_difficulty(watched, [*others, practice(6, "normal")], "ann")
    assert (mine.level, mine.current) == ("normal", "normal")  # bob's misses and the shadows do not count
    theirs = suggest_difficulty([], others, who)
    assert (theirs.level, theirs.current) == ("normal", "hard")
