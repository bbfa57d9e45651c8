"""Runbook corrections and stale flags, kept in the user's data dir."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from simulator.reports.runbook_notes import (
    MAX_BODY_CHARS,
    STALE_AFTER_DAYS,
    RunbookNoteError,
    RunbookNotes,
    runbooks_path,
    shown_runbook,
    stale_reason,
)

TEAM = "1. Restart the pod.\n2. Watch the graph."
DAY1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_correction_is_kept_and_shown_marked_edited_next_time():
    notes = RunbookNotes.open()
    assert notes.path == runbooks_path() and notes.note("retry-storm", "api") is None
    notes.correct("retry-storm", "api", TEAM, "1. Roll back first.\n2. Then restart.\n", DAY1)
    notes.save()
    again = RunbookNotes.open()  # a later session reads it back from the user's data dir
    view = shown_runbook("API", TEAM, again.note("retry-storm", "api"), DAY1 + timedelta(days=1), DAY1)
    assert view.body == "1. Roll back first.\n2. Then restart." and view.edited_at == "2026-03-01T09:00:00+00:00"
    assert not view.team_changed and view.stale is None
    changed = shown_runbook("API", TEAM + "\n3. Page the DBA.", again.note("retry-storm", "api"), DAY1, DAY1)
    assert changed.team_changed  # the team rewrote it since: the correction says so
    other = shown_runbook("API", TEAM, again.note("retry-storm", "db"), DAY1, DAY1)
    assert other.body == TEAM and other.edited_at is None


def test_saving_the_team_text_unchanged_is_a_review_and_drops_a_correction():
    notes = RunbookNotes.open()
    notes.correct("s", "api", TEAM, "mine", DAY1)
    note = notes.correct("s", "api", TEAM, TEAM + "\n", DAY1 + timedelta(hours=1))
    assert note.body is None and note.edited_at is None and note.reviewed_at == "2026-03-01T10:00:00+00:00"
    assert shown_runbook("API", TEAM, note, DAY1, DAY1).body == TEAM


def test_a_runbook_an_incident_used_is_stale_until_reviewed():
    notes = RunbookNotes.open()
    first_session = DAY1
    notes.used("s", "api", first_session, first_session + timedelta(minutes=5))
    note = notes.note("s", "api")
    assert stale_reason(note, first_session, first_session + timedelta(minutes=6)) is None  # not in its own session
    later = DAY1 + timedelta(days=2)
    assert stale_reason(note, later, later) == "used in an incident on 2026-03-01 and not reviewed since"
    notes.correct("s", "api", TEAM, TEAM, later + timedelta(minutes=1))
    assert stale_reason(notes.note("s", "api"), later + timedelta(days=1), later + timedelta(days=1)) is None
    # Read again in the session that reviewed it: no new flag for next time.
    notes.used("s", "api", later, later + timedelta(minutes=2))
    assert stale_reason(notes.note("s", "api"), later + timedelta(days=1), later + timedelta(days=1)) is None


def test_a_review_older_than_the_threshold_is_stale():
    notes = RunbookNotes.open()
    note = notes.correct("s", "api", TEAM, "mine", DAY1)
    just = DAY1 + timedelta(days=STALE_AFTER_DAYS)
    assert stale_reason(note, just, just) is None
    late = DAY1 + timedelta(days=STALE_AFTER_DAYS + 1)
    assert (
        stale_reason(note, late, late) == f"last reviewed 91 days ago (review at least every {STALE_AFTER_DAYS} days)"
    )


def test_bad_corrections_and_a_bad_file_are_refused_not_fatal():
    notes = RunbookNotes.open()
    with pytest.raises(RunbookNoteError, match="keep it under"):
        notes.correct("s", "api", TEAM, "x" * (MAX_BODY_CHARS + 1), DAY1)
    with pytest.raises(RunbookNoteError, match="empty"):
        notes.correct("s", "api", TEAM, "\n \n", DAY1)
    path = runbooks_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": 1, "runbooks": [{"scenario": "s", "service": 3}]}))
    broken = RunbookNotes.open()
    assert broken.notes == {} and "moved aside" in broken.problem
    assert path.with_name("runbooks.json.corrupt-1").exists() and not path.exists()
    broken.correct("s", "api", TEAM, "mine", DAY1)
    broken.save()
    assert RunbookNotes.open().note("s", "api").body == "mine"
