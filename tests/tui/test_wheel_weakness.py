"""The wheel favours fault classes where the trainee is weakest (statistically, over seeded spins)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from scenarios.catalog import CatalogEntry
from simulator.reports.history import Attempt
from tui.wheel import PastResults, Readiness, readiness_of, spin, weights


def entry(name: str, tag: str) -> CatalogEntry:
    return CatalogEntry(name, name, 2, (tag,), Path(f"{name}.yaml"), "shipped")


ENTRIES = [entry("leak", "memory"), entry("outage", "zone"), entry("flip", "flag")]


def attempt(scenario: str, cls: str, ttr: float | None) -> Attempt:
    return Attempt(scenario, 1, "2026-01-01", "resolved" if ttr else "unresolved", "resolved" if ttr else "time_up",
                   1, 1, 1, ttr, 1, 1, 1000.0, "A", 0.0, 0, cls)  # fmt: skip


def test_weak_classes_come_up_more_often_over_many_spins():
    # memory: unresolved once -> weakness 3.0; zone: 0.8x par -> 0.8; flag never played -> 2.0.
    readiness = readiness_of([attempt("leak", "memory", None), attempt("outage", "zone", 800.0)])
    history = {"leak": PastResults(plays=1), "outage": PastResults(plays=1)}
    assert weights(ENTRIES, history, readiness) == pytest.approx([1.5, 0.4, 2.0])
    rng = random.Random(2024)
    counts = Counter(ENTRIES[spin(ENTRIES, history, rng, readiness=readiness).index].id for _ in range(20_000))
    assert counts["leak"] / 20_000 == pytest.approx(1.5 / 3.9, abs=0.015)
    assert counts["outage"] / 20_000 == pytest.approx(0.4 / 3.9, abs=0.015)
    assert counts["flip"] / 20_000 == pytest.approx(2.0 / 3.9, abs=0.015)
    assert counts["leak"] > 3 * counts["outage"]


def test_weakness_is_clamped_and_spins_stay_deterministic():
    readiness = Readiness({"memory": 40.0, "zone": 0.01}, {})
    assert weights(ENTRIES, {}, readiness) == [3.0, 0.5, 2.0]
    spins = [spin(ENTRIES, {}, random.Random(5), readiness=readiness) for _ in range(2)]
    assert spins[0] == spins[1]


def test_without_history_the_classes_weigh_the_same():
    assert weights(ENTRIES, {}, None) == [1.0, 1.0, 1.0]
    assert weights(ENTRIES, {}, readiness_of([])) == [2.0, 2.0, 2.0]
