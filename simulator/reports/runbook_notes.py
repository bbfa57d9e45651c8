"""The trainee's runbook corrections and reviews, kept in the user's data dir beside the history store.

"Runbooks updated after each incident": a runbook the trainee corrected during an incident keeps the
correction in ``runbooks.json`` (next to ``history.sqlite3``) and shows it, marked as edited, the next
time that runbook is opened. A runbook is flagged **stale** when an incident used it (it was read)
and nobody reviewed it afterwards, or when its last review is older than :data:`STALE_AFTER_DAYS`.
Saving a correction (or the text unchanged) counts as a review.

This is the trainee's own data, not the scenario's truth: whether the team's runbook is wrong on
purpose is never read here, so a flag never gives an answer away. Times come from the caller (the
engine reads no wall clock); the file is rewritten whole through a temporary file, and a file that
cannot be read is moved aside (``runbooks.json.corrupt-N``) rather than overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scenarios.catalog import user_data_dir

STORE_NAME = "runbooks.json"
STALE_AFTER_DAYS = 90
"""A runbook last reviewed longer ago than this is flagged stale."""
MAX_BODY_CHARS = 20_000
"""Longest correction kept (a runbook is a page or two)."""
MAX_NOTES = 2_000
MAX_FILE_BYTES = 8 * 1024 * 1024
FORMAT = 1


class RunbookNoteError(ValueError):
    """A correction that cannot be kept (too long, empty)."""


def runbooks_path() -> Path:
    """Where the runbook corrections live (beside the history database)."""
    return user_data_dir() / STORE_NAME


def text_sha256(text: str) -> str:
    """SHA-256 of a runbook's text (which version of the team's text a correction was made to)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunbookNote:
    """What the trainee did with one runbook (a scenario's runbook of a service)."""

    scenario: str
    service: str
    original_sha256: str = ""
    """The team's text the correction was made to (empty: never corrected)."""
    body: str | None = None
    """The trainee's correction (None: the team's text stands)."""
    edited_at: str | None = None
    reviewed_at: str | None = None
    used_at: str | None = None
    """When an incident last read it without a review afterwards in that session."""


@dataclass(frozen=True)
class ShownRunbook:
    """A runbook as the panel shows it: the correction when there is one, and the flags."""

    title: str
    body: str
    edited_at: str | None
    """Set when the body is the trainee's correction."""
    stale: str | None
    """Why it is flagged stale (None: not stale)."""
    team_changed: bool
    """The team's text changed since the correction was made."""


def _when(stamp: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None


def stale_reason(note: RunbookNote | None, opened: datetime, now: datetime) -> str | None:
    """Why a runbook is stale for a session opened at ``opened`` (None when it is not).

    Used by an incident before this session and not reviewed since; or last reviewed over
    :data:`STALE_AFTER_DAYS` days ago. A runbook nobody used or reviewed carries no flag."""
    if note is None:
        return None
    used, reviewed = _when(note.used_at), _when(note.reviewed_at)
    if used is not None and used < opened and (reviewed is None or reviewed < used):
        return f"used in an incident on {used:%Y-%m-%d} and not reviewed since"
    if reviewed is not None and now - reviewed > timedelta(days=STALE_AFTER_DAYS):
        return f"last reviewed {(now - reviewed).days} days ago (review at least every {STALE_AFTER_DAYS} days)"
    return None


def shown_runbook(title: str, body: str, note: RunbookNote | None, opened: datetime, now: datetime) -> ShownRunbook:
    """The runbook as the trainee sees it: their correction (marked) or the team's text, and the flags."""
    stale = stale_reason(note, opened, now)
    if note is not None and note.body is not None:
        return ShownRunbook(title, note.body, note.edited_at, stale, note.original_sha256 != text_sha256(body))
    return ShownRunbook(title, body, None, stale, False)


class RunbookNotes:
    """The corrections file, read once; :meth:`save` writes it back whole."""

    def __init__(self, path: Path, notes: dict[tuple[str, str], RunbookNote], problem: str | None = None) -> None:
        self.path = path
        self.notes = notes
        self.problem = problem
        """What was wrong with the file when it was read (it was moved aside), for the user to see."""

    @classmethod
    def open(cls, path: Path | None = None) -> RunbookNotes:
        """Read the corrections (none yet: empty); an unreadable file is moved aside with a problem."""
        path = path or runbooks_path()
        if path.is_dir():
            return cls(path, {}, f"{path}: is a directory; runbook corrections cannot be kept")
        try:
            if not path.exists():
                return cls(path, {})
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError("not a regular file of at most 8 MB")
            return cls(path, _parse(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError, KeyError) as err:
            aside = _move_aside(path)
            where = f"; moved aside to {aside}" if aside else ""
            return cls(path, {}, f"{path}: runbook corrections could not be read ({err}){where}")

    def note(self, scenario: str, service: str) -> RunbookNote | None:
        """The trainee's note on this runbook, if any."""
        return self.notes.get((scenario, service))

    def correct(self, scenario: str, service: str, team_text: str, body: str, now: datetime) -> RunbookNote:
        """Keep ``body`` as the correction of the team's ``team_text`` (the same text: a review only)."""
        body = body.replace("\r\n", "\n").strip("\n")
        if len(body) > MAX_BODY_CHARS:
            raise RunbookNoteError(f"the runbook is {len(body):,} characters; keep it under {MAX_BODY_CHARS:,}")
        if not body.strip():
            raise RunbookNoteError("the runbook is empty; write the steps (or press Escape to keep it as it is)")
        stamp = now.isoformat(timespec="seconds")
        old = self.note(scenario, service) or RunbookNote(scenario, service)
        if body == team_text.strip("\n"):
            note = replace(old, original_sha256="", body=None, edited_at=None, reviewed_at=stamp)
        else:
            note = replace(old, original_sha256=text_sha256(team_text), body=body, edited_at=stamp, reviewed_at=stamp)
        self._put(note)
        return note

    def used(self, scenario: str, service: str, opened: datetime, now: datetime) -> None:
        """An incident (a session opened at ``opened``) read this runbook: it wants a review afterwards,
        unless it was already reviewed in this session."""
        old = self.note(scenario, service) or RunbookNote(scenario, service)
        reviewed = _when(old.reviewed_at)
        if reviewed is not None and reviewed >= opened:
            return
        self._put(replace(old, used_at=now.isoformat(timespec="seconds")))

    def _put(self, note: RunbookNote) -> None:
        key = (note.scenario, note.service)
        if key not in self.notes and len(self.notes) >= MAX_NOTES:
            raise RunbookNoteError(f"{MAX_NOTES} runbooks are annotated already; {self.path} keeps no more")
        self.notes[key] = note

    def save(self) -> None:
        """Write the file whole (through a temporary file, so a crash never leaves half of it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "runbooks": [asdict(n) for n in self.notes.values()]}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


_FIELDS = ("scenario", "service", "original_sha256", "body", "edited_at", "reviewed_at", "used_at")


def _parse(data: Any) -> dict[tuple[str, str], RunbookNote]:
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("runbooks"), list):
        raise ValueError(f"not a runbook corrections file (format {FORMAT})")
    notes = {}
    for row in data["runbooks"][:MAX_NOTES]:
        if not isinstance(row, dict) or set(row) - set(_FIELDS):
            raise ValueError("a runbook entry has unknown fields")
        values = {k: row.get(k) for k in _FIELDS}
        if not (isinstance(values["scenario"], str) and isinstance(values["service"], str)):
            raise ValueError("a runbook entry names no scenario or service")
        if any(v is not None and not isinstance(v, str) for v in values.values()):
            raise ValueError("a runbook entry holds something other than text")
        if values["body"] is not None and len(values["body"]) > MAX_BODY_CHARS:
            raise ValueError("a runbook correction is too long")
        note = RunbookNote(**{**values, "original_sha256": values["original_sha256"] or ""})
        notes[(note.scenario, note.service)] = note
    return notes


def _move_aside(path: Path) -> Path | None:
    for n in range(1, 100):
        aside = path.with_name(f"{path.name}.corrupt-{n}")
        if not aside.exists():
            try:
                path.rename(aside)
            except OSError:
                return None
            return aside
    return None
