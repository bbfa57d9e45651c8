"""Follow-through across sessions: postmortem action items and who practised which fault class.

Both live in the history database, in their own tables (``follow_ups`` and ``practice``, created by
the history store's migration 4), beside ``attempts``. A shift that ends with postmortems due adds
an item to write each postmortem and the scenario's own action items (owner, priority, a deadline
from the priority, status ``open``); ``misfortune follow-ups`` lists them and marks them done, and
the next shift starts by showing the open ones. Every incident a person worked (an accepted action)
is a practice record of its fault class; ``misfortune history --team`` counts people per class and
flags classes only one person knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from scenarios.language.scenario import Scenario
from simulator.reports.history import History, fault_class

STATUSES = ("open", "in_progress", "done", "dropped")
DEADLINE_DAYS = {"P0": 2, "P1": 7, "P2": 30, "P3": 90}
"""Days from the incident to an action item's deadline, by priority."""
MAX_TEXT = 500


@dataclass(frozen=True)
class FollowUp:
    """A postmortem action item followed through across sessions."""

    source: str
    """The journal of the shift (or session) it came from."""
    incident: int
    scenario: str
    action: str
    owner: str
    priority: str
    deadline: str
    """ISO date."""
    status: str
    created: str
    """ISO date and time it was recorded."""
    reason: str
    """Why a postmortem was due (its triggers)."""
    id: int | None = None

    def overdue(self, today: date) -> bool:
        """Still to do and past its deadline."""
        return self.status in ("open", "in_progress") and date.fromisoformat(self.deadline) < today

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Practice:
    """A person worked an incident of a fault class."""

    person: str
    fault_class: str
    scenario: str
    date: str
    outcome: str
    source: str
    difficulty: str = "normal"
    """The shift's difficulty (easy, normal, hard)."""


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def follow_ups_from_shift(
    report: Mapping[str, Any], scenarios: Mapping[str, Scenario], source: str, created: datetime
) -> list[FollowUp]:
    """The action items of a finished shift: for each postmortem due, writing it, then the scenario's items."""
    items: list[FollowUp] = []
    for due in report["postmortems_due"]:
        scenario = scenarios[due["scenario"]]
        reason = "; ".join(f"{r['trigger']}: {r['why']}" for r in due["reasons"])
        todo = [(f"Write the postmortem of incident #{due['incident']} ({scenario.title})", "@you", "P1")]
        todo += [(item.action, item.owner, item.priority) for item in scenario.postmortem.action_items]
        for action, owner, priority in todo:
            deadline = (created.date() + timedelta(days=DEADLINE_DAYS[priority])).isoformat()
            items.append(
                FollowUp(
                    source=source,
                    incident=int(due["incident"]),
                    scenario=scenario.id,
                    action=_cut(action),
                    owner=_cut(owner),
                    priority=priority,
                    deadline=deadline,
                    status="open",
                    created=created.isoformat(timespec="seconds"),
                    reason=_cut(reason),
                )
            )
    return items


def practice_from_shift(
    worked: Iterable[tuple[Scenario, str]], person: str, when: datetime, source: str, difficulty: str = "normal"
) -> list[Practice]:
    """Practice records for the incidents a person worked: (scenario, outcome) each."""
    stamp = when.isoformat(timespec="seconds")
    return [
        Practice(person, fault_class(s.root_cause.category, s.tags), s.id, stamp, outcome, source, difficulty)
        for s, outcome in worked
    ]


class FollowThrough:
    """The follow-up and practice tables of an open history database."""

    def __init__(self, history: History) -> None:
        self.connection = history.connection  # its tables come with the history schema (migration 4)
        self.skipped = 0
        """Rows the last read skipped as not well-formed."""

    def record(self, items: Sequence[FollowUp]) -> int:
        """Add items in one transaction (an item already recorded for the same source is kept as it is)."""
        names = [f.name for f in fields(FollowUp) if f.name != "id"]
        sql = f"INSERT OR IGNORE INTO follow_ups ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        added = 0
        with self.connection:
            for item in items:
                added += self.connection.execute(sql, [getattr(item, n) for n in names]).rowcount
        return added

    def items(self, status: str | None = None) -> list[FollowUp]:
        """Well-formed items by deadline then id, optionally of one status (:attr:`skipped` counts the rest)."""
        names = [f.name for f in fields(FollowUp)]
        sql = f"SELECT {', '.join(names)} FROM follow_ups"
        args: tuple = ()
        if status is not None:
            sql, args = sql + " WHERE status = ?", (status,)
        rows = [
            dict(zip(names, row, strict=True)) for row in self.connection.execute(sql + " ORDER BY deadline, id", args)
        ]
        good = [row for row in rows if _follow_up_ok(row)]
        self.skipped = len(rows) - len(good)
        return [FollowUp(**row) for row in good]

    def set_status(self, item_id: int, status: str) -> bool:
        """Change an item's status; False when there is no such item."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        with self.connection:
            changed = self.connection.execute("UPDATE follow_ups SET status = ? WHERE id = ?", (status, item_id))
        return changed.rowcount == 1

    def record_practice(self, records: Sequence[Practice]) -> None:
        """Add practice records in one transaction (the same source, scenario and person once)."""
        names = [f.name for f in fields(Practice)]
        sql = f"INSERT OR IGNORE INTO practice ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        with self.connection:
            for record in records:
                self.connection.execute(sql, [getattr(record, n) for n in names])

    def practice(self) -> list[Practice]:
        """Every well-formed practice record, oldest first (:attr:`skipped` counts the rest)."""
        names = [f.name for f in fields(Practice)]
        sql = f"SELECT {', '.join(names)} FROM practice ORDER BY date, id"
        rows = [dict(zip(names, row, strict=True)) for row in self.connection.execute(sql)]
        good = [row for row in rows if _texts_ok(row, names) and row["difficulty"] in ("easy", "normal", "hard")]
        self.skipped = len(rows) - len(good)
        return [Practice(**row) for row in good]


def _texts_ok(row: dict[str, Any], names: Iterable[str]) -> bool:
    """Every named column is text of a sane length (the file may have been edited by hand)."""
    return all(isinstance(row[n], str) and len(row[n]) <= MAX_TEXT for n in names)


def _follow_up_ok(row: dict[str, Any]) -> bool:
    """A follow-up row read back is well-formed: types, lengths, a known status and priority, real dates."""
    texts = [n for n in row if n not in ("id", "incident")]
    if not _texts_ok(row, texts) or row["status"] not in STATUSES or row["priority"] not in DEADLINE_DAYS:
        return False
    if not all(isinstance(row[n], int) and not isinstance(row[n], bool) for n in ("id", "incident")):
        return False
    try:
        date.fromisoformat(row["deadline"])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ClassCoverage:
    """Who has practised one fault class, and when last."""

    fault_class: str
    people: tuple[str, ...]
    practised: int
    last: str
    difficulties: tuple[str, ...]
    """Difficulties it was practised at."""
    single_point: bool
    """Only one person knows it: a critical risk ("one person knows how to switch")."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def team_readiness(records: Iterable[Practice]) -> list[ClassCoverage]:
    """Per fault class: the people who practised it, how often, when last; single-person classes flagged."""
    by_class: dict[str, list[Practice]] = {}
    for record in records:
        by_class.setdefault(record.fault_class, []).append(record)
    out = []
    for name in sorted(by_class):
        group = by_class[name]
        people = tuple(sorted({r.person for r in group}))
        levels = tuple(d for d in ("easy", "normal", "hard") if any(r.difficulty == d for r in group))
        out.append(ClassCoverage(name, people, len(group), max(r.date for r in group), levels, len(people) == 1))
    return out
