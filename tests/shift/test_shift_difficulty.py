"""The difficulty dial: noise, hints and alert quality of a shift."""

from __future__ import annotations

from shiftkit import BENCH_ACTIONS, bench_library  # noqa: F401 (bench_library pins the library plans draw from)

from simulator.shift.difficulty import tune
from simulator.shift.plan import generate_plan
from simulator.shift.runner import replay_shift, run_shift, shipped_library
from simulator.shift.steps import load_steps


def test_noise_scales_with_difficulty():
    library = [s for s, _ in shipped_library().values()]
    counts = {}
    for level in ("easy", "normal", "hard"):
        events = [e for seed in range(1, 6) for e in generate_plan(seed, 12.0, 2, library, level).events]
        counts[level] = sum(e.kind in ("noise_alert", "false_positive") for e in events)
    assert counts["easy"] < counts["normal"] < counts["hard"]


def test_hints_and_alerts_per_difficulty():
    scenario = shipped_library()["checkout-oom-leak"][0]
    normal = tune(scenario, 3, "normal")
    easy, hard = tune(scenario, 3, "easy"), tune(scenario, 3, "hard")
    assert [h.after / 2 for h in normal.hints] == [h.after for h in easy.hints]
    assert hard.hints == [] and normal.hints
    assert hard.alerting.rules == normal.alerting.rules[1:]
    variant = shipped_library()["cert-expiry"][0]
    tuned = tune(variant, 5, "hard")
    assert tuned.for_seed(5) is tuned  # the simulation plays the tuned variant, not a fresh one


def test_a_hard_shift_replays_to_the_same_report(tmp_path):
    path = tmp_path / "hard.jsonl"
    shift, report = run_shift(2, load_steps(BENCH_ACTIONS), journal_path=path, difficulty="hard")
    assert report["difficulty"] == "hard"
    assert all(not run.sim.scenario.hints for run in shift.runs)
    _, replayed = replay_shift(path)
    assert replayed == report
