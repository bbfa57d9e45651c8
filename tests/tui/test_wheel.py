"""The wheel: weighting towards unplayed scenarios, determinism, and the journal scan."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from scenarios.catalog import CatalogEntry
from tui.wheel import PastResults, scan_journals, spin, weights


def entry(name: str, error: str | None = None) -> CatalogEntry:
    return CatalogEntry(name, name.title(), 2, ("t",), Path(f"{name}.yaml"), "shipped", error)


ENTRIES = [entry("a"), entry("b"), entry("c"), entry("broken", error="bad")]


def test_unplayed_scenarios_come_up_more_often():
    history = {"a": PastResults(plays=1), "b": PastResults(plays=3)}
    rng = random.Random(1)
    counts = Counter(ENTRIES[spin(ENTRIES, history, rng).index].id for _ in range(20_000))
    total = sum(counts.values())
    # weights 1/2, 1/4, 1 -> shares 2/7, 1/7, 4/7
    assert counts["a"] / total == pytest.approx(2 / 7, abs=0.015)
    assert counts["b"] / total == pytest.approx(1 / 7, abs=0.015)
    assert counts["c"] / total == pytest.approx(4 / 7, abs=0.015)
    assert counts["broken"] == 0


def test_spin_is_deterministic_for_a_seed():
    first = [spin(ENTRIES, {}, random.Random(42)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    other = [spin(ENTRIES, {}, random.Random(s)) for s in range(20)]
    assert len({s.seed for s in other}) > 1


def test_spin_path_lands_on_the_pick_and_slows_down():
    result = spin(ENTRIES, {}, random.Random(3), start=1)
    assert result.path[-1] == result.index
    assert len(result.path) >= 12
    assert list(result.delays) == sorted(result.delays)
    assert sum(result.delays) < 3.0


def test_weights_of_broken_scenarios_are_zero():
    assert weights(ENTRIES, {}) == [1.0, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        spin([entry("x", error="bad")], {}, random.Random(0))


def write_journal(path: Path, scenario: str, records: list[dict]) -> None:
    lines = [{"type": "header", "format": 1, "scenario": scenario, "seed": 1}, *records]
    path.write_text("".join(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n" for r in lines))


def test_scan_journals_counts_attempts_and_best_outcome(tmp_path):
    look = {"type": "look", "t": 1.0, "seat": "trainee", "what": "console"}
    write_journal(tmp_path / "1.jsonl", "oom", [look, {"type": "end", "t": 90.0, "reason": "time_up"}])
    write_journal(tmp_path / "2.jsonl", "oom", [look, {"type": "end", "t": 60.0, "reason": "resolved"}])
    write_journal(tmp_path / "3.jsonl", "oom", [look])  # interrupted
    write_journal(tmp_path / "4.jsonl", "zone", [])  # backed out at the briefing: not an attempt
    (tmp_path / "5.jsonl").write_text("not json\n")
    results = scan_journals(tmp_path)
    assert results == {"oom": PastResults(plays=3, finished=2, best="resolved")}
    assert results["oom"].label() == "played 3x, best: resolved"
    assert PastResults().label() == "new"
    assert scan_journals(tmp_path / "missing") == {}
