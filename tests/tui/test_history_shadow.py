"""Shadow sessions in the history store: their own mode, exposure in readiness, never scored attempts."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

from scenarios.catalog import load_by_ref
from simulator.reports.history import (
    SHADOW,
    Attempt,
    history_path,
    open_history,
    readiness,
    rebuild,
    record_shadow,
    weakness,
)
from simulator.session.playback import ShadowPlayback
from simulator.session.shadow import ShadowRun
from tui.session import LocalSession


def solo(**changes) -> Attempt:
    base = Attempt(
        scenario="checkout-oom-leak", seed=1, date="2026-01-01T10:00:00", outcome="resolved",
        end_reason="resolved", ttd_s=10.0, tta_s=60.0, ttm_s=600.0, ttr_s=3000.0, par_tta_s=180.0,
        par_ttm_s=900.0, par_ttr_s=1500.0, grade="B", error_budget_burned_pct=1.5, harmful_actions=0,
        fault_class="memory",
    )  # fmt: skip
    return replace(base, **changes)


def watched_debrief():
    """A shadow run of checkout-oom-leak played to its end (every question skipped), and its debrief."""
    scenario = load_by_ref("checkout-oom-leak")[0]
    playback = ShadowPlayback(ShadowRun.from_scenario(scenario, 1))
    while playback.state != "ended":
        playback.step(60.0)
        if playback.state == "asking":
            playback.answer(None)
            playback.proceed()
    session = LocalSession(playback.run.sim, None, None)
    session.end_now("resolved")
    return playback.summary(), session.debrief()


def test_a_shadow_session_is_recorded_as_exposure_not_as_an_attempt():
    summary, debrief = watched_debrief()
    assert record_shadow(summary, debrief, datetime(2026, 12, 1, tzinfo=UTC)) is None
    with open_history() as h:
        h.record(solo())
        attempts, shadows = h.attempts(), h.attempts(SHADOW)
    assert [a.mode for a in attempts] == ["solo"]
    assert [(s.scenario, s.mode, s.journal_path, s.fault_class) for s in shadows] == [
        ("checkout-oom-leak", "shadow", None, "memory")
    ]
    assert json.loads(shadows[0].detail)["asked"] == 7
    memory = {r.fault_class: r for r in readiness(attempts, shadows)}["memory"]
    assert (memory.attempts, memory.exposure, memory.median_ttr_ratio) == (1, 1, 2.0)
    # even handed a mixed list, readiness and weakness score only solo attempts
    mixed = {r.fault_class: r for r in readiness(attempts + shadows)}["memory"]
    assert (mixed.attempts, mixed.exposure, mixed.best_ttr_ratio) == (1, 1, 2.0)
    assert weakness(attempts + shadows) == {"memory": 2.0}


def test_exposure_alone_shows_a_class_not_played_yet():
    shadow = solo(mode=SHADOW, scenario="az-outage", fault_class="zone")
    (zone,) = readiness([], [shadow])
    assert (zone.fault_class, zone.attempts, zone.exposure, zone.trend) == ("zone", 0, 1, "not played")


def test_rebuild_keeps_shadow_sessions():
    with open_history() as h:
        h.record_all([solo(journal_path="/gone.jsonl"), solo(mode=SHADOW, date="2026-01-02")])
        rebuild(h, [])
        assert h.attempts() == [] and len(h.attempts(SHADOW)) == 1


def test_a_database_from_before_shadow_sessions_gains_the_columns():
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    old_columns = """id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, seed INTEGER NOT NULL, date TEXT NOT NULL,
        outcome TEXT NOT NULL, end_reason TEXT NOT NULL, ttd_s REAL, tta_s REAL, ttm_s REAL, ttr_s REAL,
        par_tta_s REAL NOT NULL, par_ttm_s REAL NOT NULL, par_ttr_s REAL NOT NULL, grade TEXT NOT NULL,
        error_budget_burned_pct REAL NOT NULL, harmful_actions INTEGER NOT NULL, role TEXT NOT NULL,
        drill INTEGER NOT NULL, fault_class TEXT NOT NULL, journal_path TEXT UNIQUE"""
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE attempts ({old_columns})")
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO attempts VALUES (1, 'az-outage', 1, '2026-01-01', 'resolved', 'resolved', 1, 1, 1, 1,"
            " 1, 1, 1, 'A', 0, 0, 'trainee', 1, 'zone', '/j/1.jsonl')"
        )
    db.close()
    with open_history() as h:
        (old,) = h.attempts()
        assert (old.scenario, old.mode, old.detail) == ("az-outage", "solo", None)
        h.record(solo(mode=SHADOW))
        assert len(h.attempts(SHADOW)) == 1
