"""Recording a finished shift's follow-through: its action items and who practised what.

TUI-side glue (it reads the wall clock and the user's name); the records and tables are
simulator.reports.follow_ups.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scenarios.text import clean
from simulator.reports import (
    Attempt,
    DifficultyAdvice,
    FollowThrough,
    FollowUp,
    HistoryError,
    follow_ups_from_shift,
    open_history_recovering,
    practice_from_shift,
    suggest_difficulty,
)

if TYPE_CHECKING:  # a type only: the home screen imports this module and need not load the shift wing
    from simulator.shift import Shift

NAME_ENV = "MISFORTUNE_NAME"
"""Who is practising (default: the login name); shown in ``misfortune history --team``."""


def trainee_name() -> str:
    """The practising person's name: MISFORTUNE_NAME, else the login name."""
    name = os.environ.get(NAME_ENV, "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (containers)
            name = "trainee"
    return clean(name)[:40] or "trainee"


def record_shift(
    shift: Shift, report: dict[str, Any], source: str, person: str | None = None
) -> tuple[int, str | None]:
    """Record a finished shift's action items and practice; returns (items added, a problem to show or None)."""
    now = datetime.now(UTC)
    # An incident handed over from the previous shift had its follow-ups recorded by that shift.
    carried = {i["number"] for i in report["incidents"] if i.get("handed_over_from") is not None}
    due = [d for d in report["postmortems_due"] if d["incident"] not in carried]
    items = follow_ups_from_shift({**report, "postmortems_due": due}, shift.scenarios, source, now)
    worked = [
        (run.scenario, run.sim.score().outcome)
        for run in shift.runs
        if any(s.incident == run.number and r.accepted for s, r in shift.steps)
    ]
    try:
        history, warning = open_history_recovering()
        with history:
            store = FollowThrough(history)
            added = store.record(items)
            store.record_practice(
                practice_from_shift(worked, person or trainee_name(), now, source, shift.plan.difficulty)
            )
    except (HistoryError, sqlite3.Error, OSError) as err:
        return 0, f"the shift's follow-ups were not recorded: {err}"
    return added, warning


def difficulty_advice(attempts: Sequence[Attempt]) -> DifficultyAdvice:
    """The difficulty the wheel suggests next for this trainee: their attempts and shift practice."""
    practice = []
    try:
        history, _warning = open_history_recovering()
        with history:
            practice = FollowThrough(history).practice()
    except (HistoryError, sqlite3.Error, OSError):
        pass  # the home screen already says when the history cannot be read; advise from the attempts
    return suggest_difficulty(attempts, practice, trainee_name())


def open_follow_ups() -> tuple[list[FollowUp], str | None]:
    """Open and in-progress action items, for the start of a shift; (items, a problem or None)."""
    try:
        history, warning = open_history_recovering()
        with history:
            store = FollowThrough(history)
            items = [i for i in store.items() if i.status in ("open", "in_progress")]
    except (HistoryError, sqlite3.Error, OSError) as err:
        return [], f"follow-ups unavailable: {err}"
    return items, warning


def follow_ups_text(items: list[FollowUp]) -> str:
    """The open follow-ups as the start of a shift shows them (overdue ones marked)."""
    if not items:
        return ""
    today = datetime.now(UTC).date()
    lines = [f"Open follow-ups ({len(items)}): misfortune follow-ups --done ID when one is done"]
    for item in items[:8]:
        late = " OVERDUE" if item.overdue(today) else ""
        lines.append(
            f"  #{item.id} {item.priority} due {item.deadline}{late} {clean(item.owner)}: {clean(item.action)}"
        )
    if len(items) > 8:
        lines.append(f"  ... and {len(items) - 8} more")
    return "\n".join(lines) + "\n"
