"""Progress history: every finished attempt, in SQLite in the user data directory, and readiness per
fault class.

The journals are the source of truth; the database is an index over them that can always be rebuilt
(``misfortune history --rebuild`` replays every journal). So a corrupt database is moved aside, never
deleted, and never touches a journal. Writes are transactions: an attempt is recorded whole or not at
all. The schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` bring an older database
up to date. WAL mode and a busy timeout let two sessions record at once. What is read back is checked
like any other input (the file may have been edited): rows that are not well-formed are skipped.
"""

from __future__ import annotations

import json
import math
import sqlite3
import statistics
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from scenarios.catalog import user_data_dir
from simulator.incident.scoring import Report
from simulator.session.journal import JournalError, read_journal
from simulator.session.journal_session import JournalSession

if TYPE_CHECKING:
    from simulator.session.playback import ShadowSummary

SCHEMA_VERSION = 4
BUSY_TIMEOUT_S = 15.0
"""How long a write waits for another session's write to finish before giving up."""
MAX_TEXT = 4096
"""Longest text read back from a row (a longer one marks the row as not well-formed)."""
DB_NAME = "history.sqlite3"
FINISHED = ("resolved", "time_up", "gave_up")
"""End reasons of a finished attempt (quitting to resume later is not one)."""
UNRESOLVED_RATIO = 3.0
"""TTR/par an unresolved attempt counts as when judging trend and weakness: worse than a D."""
UNPLAYED_WEAKNESS = 2.0
"""Weakness of a fault class never played: unknown is treated as weak."""
TREND_MARGIN = 0.1
"""The latest attempt must beat (or trail) the earlier median by this share to count as a trend."""

FAULT_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("memory", ("memory", "oom", "leak")),
    ("certificate", ("cert", "tls")),
    ("disk", ("disk", "logging")),
    ("flag", ("flag",)),
    ("cache", ("cache",)),
    ("pool", ("pool", "connection")),
    ("config", ("config",)),
    ("zone", ("zone", "az_", "gray")),
    ("overload", ("overload", "retry", "surge", "storm", "dos", "herd", "traffic")),
    ("dependency", ("dependency", "latency", "slow", "upstream", "fallback")),
    ("deploy", ("deploy", "release", "version")),
)
"""Fault classes and the words in a root cause category (then in tags) that put a scenario in one."""

_COLUMNS = """
    id INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,
    seed INTEGER NOT NULL,
    date TEXT NOT NULL,
    outcome TEXT NOT NULL,
    end_reason TEXT NOT NULL,
    ttd_s REAL, tta_s REAL, ttm_s REAL, ttr_s REAL,
    par_tta_s REAL NOT NULL, par_ttm_s REAL NOT NULL, par_ttr_s REAL NOT NULL,
    grade TEXT NOT NULL,
    error_budget_burned_pct REAL NOT NULL,
    harmful_actions INTEGER NOT NULL,
    role TEXT NOT NULL,
    drill INTEGER NOT NULL,
    fault_class TEXT NOT NULL,
    journal_path TEXT UNIQUE
"""


_FOLLOW_UPS = """
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    incident INTEGER NOT NULL,
    scenario TEXT NOT NULL,
    action TEXT NOT NULL,
    owner TEXT NOT NULL,
    priority TEXT NOT NULL,
    deadline TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (source, incident, action)
"""
_PRACTICE = """
    id INTEGER PRIMARY KEY,
    person TEXT NOT NULL,
    fault_class TEXT NOT NULL,
    scenario TEXT NOT NULL,
    date TEXT NOT NULL,
    outcome TEXT NOT NULL,
    source TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    UNIQUE (source, scenario, person)
"""
"""Tables of simulator.reports.follow_ups: postmortem action items and who practised what (shifts)."""

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (f"CREATE TABLE attempts ({_COLUMNS})",)),
    (2, ("CREATE INDEX IF NOT EXISTS attempts_by_date ON attempts (date, id)",)),
    (
        3,
        (
            "ALTER TABLE attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'solo'",
            "ALTER TABLE attempts ADD COLUMN detail TEXT",
        ),
    ),
    (4, (f"CREATE TABLE follow_ups ({_FOLLOW_UPS})", f"CREATE TABLE practice ({_PRACTICE})")),
)
"""(version, statements) applied in order, each in the transaction that sets ``user_version`` to it."""


SOLO = "solo"
SHADOW = "shadow"
"""Modes of a recorded session (schema 3): a solo attempt (scored), or shadowing an expert's run (exposure)."""
MAX_DETAIL = 256 * 1024
"""Longest shadow-session detail (JSON) read back from a row."""


class HistoryError(Exception):
    """The history database cannot be used; the message names the file and the way forward."""


class HistoryCorrupt(HistoryError):
    """The database was corrupt and has been moved aside (``moved_to``); a fresh one can be opened."""

    def __init__(self, message: str, moved_to: Path) -> None:
        super().__init__(message)
        self.moved_to = moved_to


def history_path() -> Path:
    """Where the history database lives."""
    return user_data_dir() / DB_NAME


def fault_class(category: str, tags: Iterable[str] = ()) -> str:
    """The fault class of a scenario: from its root cause category, else its tags, else the category."""
    for text in (category.lower(), *(t.lower() for t in tags)):
        for name, words in FAULT_CLASSES:
            if any(w in text for w in words):
                return name
    return category.lower() or "other"


@dataclass(frozen=True)
class Attempt:
    """One finished attempt, as recorded."""

    scenario: str
    seed: int
    date: str
    """ISO date and time the session started (UTC)."""
    outcome: str
    """resolved, mitigated or unresolved (the Report's)."""
    end_reason: str
    """resolved, time_up or gave_up."""
    ttd_s: float | None
    tta_s: float | None
    ttm_s: float | None
    ttr_s: float | None
    par_tta_s: float
    par_ttm_s: float
    par_ttr_s: float
    grade: str
    error_budget_burned_pct: float
    harmful_actions: int
    fault_class: str
    role: str = "trainee"
    drill: bool = True
    """Always true for now: every attempt is a training drill (labelled so in exports)."""
    journal_path: str | None = None
    id: int | None = None
    mode: str = SOLO
    """solo (a scored attempt) or shadow (the trainee watched an expert's run: exposure, not an attempt)."""
    detail: str | None = None
    """For a shadow session: its debrief as JSON (predictions, traps chosen, questions, mentor flags)."""

    @property
    def ratio(self) -> float | None:
        """TTR against par (None when unresolved)."""
        if self.outcome != "resolved" or self.ttr_s is None or self.par_ttr_s <= 0:
            return None
        return self.ttr_s / self.par_ttr_s

    @property
    def effective_ratio(self) -> float:
        """TTR against par, an unresolved attempt counting as :data:`UNRESOLVED_RATIO`."""
        ratio = self.ratio
        return UNRESOLVED_RATIO if ratio is None else ratio

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (drill as a boolean)."""
        return asdict(self)


def attempt_from_report(
    report: Report,
    category: str,
    tags: Iterable[str],
    end_reason: str,
    date: str,
    journal_path: str | None,
    role: str = "trainee",
) -> Attempt:
    """The attempt a finished session's Report describes."""
    return Attempt(
        scenario=report.scenario,
        seed=report.seed,
        date=date,
        outcome=report.outcome,
        end_reason=end_reason,
        ttd_s=report.ttd_s,
        tta_s=report.tta_s,
        ttm_s=report.ttm_s,
        ttr_s=report.ttr_s,
        par_tta_s=report.par["tta_s"],
        par_ttm_s=report.par["ttm_s"],
        par_ttr_s=report.par["ttr_s"],
        grade=report.grade,
        error_budget_burned_pct=report.error_budget_burned_pct,
        harmful_actions=report.harmful_actions,
        fault_class=fault_class(category, tags),
        role=role,
        journal_path=journal_path,
    )


def journal_date(header: dict[str, Any], path: Path) -> str:
    """When a session started: the journal header's ``started_wall``, else the file's modification time."""
    started = header.get("started_wall")
    if isinstance(started, str) and started:
        return started
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def attempt_from_journal(path: str | Path) -> Attempt | None:
    """Replay a journal into an attempt; None when the session did not finish (interrupted or quit).

    Raises JournalError for an unreadable journal or one whose scenario is gone or changed.
    """
    path = Path(path)
    data = read_journal(path)
    reason = str((data.end or {}).get("reason", ""))
    if reason not in FINISHED:
        return None
    session = JournalSession.of(path, data)
    sim, report = session.replay(telemetry=False)  # an attempt is its report: no logs or traces read
    rc = sim.scenario.root_cause
    return attempt_from_report(
        report, rc.category, sim.scenario.tags, reason, journal_date(data.header, path), str(path.resolve())
    )


class History:
    """The attempts database. Open it with :func:`open_history`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.skipped = 0
        """Rows the last :meth:`attempts` skipped: a wrong type, a number not finite, a text too long."""

    def record(self, attempt: Attempt) -> int:
        """Record an attempt in one transaction (a journal recorded again replaces its row); returns its id."""
        return self.record_all([attempt])[0]

    def record_all(self, attempts: Sequence[Attempt], replace_all: bool = False) -> list[int]:
        """Record several attempts in one transaction; ``replace_all`` first empties the table."""
        names = [f.name for f in fields(Attempt) if f.name != "id"]
        sql = f"INSERT OR REPLACE INTO attempts ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        ids = []
        with self.connection:  # commits, or rolls back on any error
            if replace_all:  # shadow sessions have no journal to rebuild them from: they stay
                self.connection.execute("DELETE FROM attempts WHERE mode = ?", (SOLO,))
            for a in attempts:
                values = [int(a.drill) if n == "drill" else getattr(a, n) for n in names]
                ids.append(int(self.connection.execute(sql, values).lastrowid))
        return ids

    def attempts(self, mode: str = SOLO) -> list[Attempt]:
        """Every well-formed attempt of a mode (solo by default; ``shadow`` for shadow sessions), oldest
        first; :attr:`skipped` counts the rows that were not well-formed."""
        names = [f.name for f in fields(Attempt)]
        rows = self.connection.execute(
            f"SELECT {', '.join(names)} FROM attempts WHERE mode = ? ORDER BY date, id", (mode,)
        ).fetchall()
        out = []
        self.skipped = 0
        for row in rows:
            attempt = _attempt_from_row(dict(zip(names, row, strict=True)))
            if attempt is None:
                self.skipped += 1
            else:
                out.append(attempt)
        return out

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_history(path: str | Path | None = None) -> History:
    """Open (creating if missing) the history database.

    A file that is not a readable misfortune history database is moved to ``<path>.corrupt-<n>`` and
    HistoryCorrupt says so and how to rebuild; calling again then opens a fresh database. A database
    written by a newer misfortune raises HistoryError and is left alone.
    """
    path = Path(path) if path is not None else history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(f"cannot create the directory for the history database {path}: {exc}") from exc
    existed = path.exists() and path.stat().st_size > 0
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot open the history database {path}: {exc}") from exc
    try:
        _check_or_create(connection, existed)
    except _Corrupt as why:
        connection.close()
        moved = _move_aside(path)
        raise HistoryCorrupt(
            f"history database {path} is corrupt ({why}); it was moved to {moved} and a fresh one is used; "
            "your journals are untouched; run `misfortune history --rebuild` to rebuild it from your journals",
            moved,
        ) from None
    except HistoryError:
        connection.close()
        raise
    return History(connection, path)


_TEXT_FIELDS = ("scenario", "date", "outcome", "end_reason", "grade", "fault_class", "role")
_REAL_FIELDS = ("ttd_s", "tta_s", "ttm_s", "ttr_s", "par_tta_s", "par_ttm_s", "par_ttr_s", "error_budget_burned_pct")
_OPTIONAL = frozenset({"ttd_s", "tta_s", "ttm_s", "ttr_s", "journal_path", "id", "detail"})


def _attempt_from_row(values: dict[str, Any]) -> Attempt | None:
    """The attempt a row holds, or None when a value has the wrong type, is not finite or is too long."""
    for name, value in values.items():
        if value is None:
            if name not in _OPTIONAL:
                return None
        elif name in _TEXT_FIELDS or name in ("journal_path", "mode"):
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                return None
        elif name == "detail":
            if not isinstance(value, str) or len(value) > MAX_DETAIL:
                return None
        elif name in _REAL_FIELDS:
            if not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > 1e12:
                return None
            values[name] = float(value)
        elif not isinstance(value, int) or abs(value) > 2**53:  # seed, harmful_actions, drill, id
            return None
    values["drill"] = bool(values["drill"])
    return Attempt(**values)


class _Corrupt(Exception):
    pass


def _check_or_create(connection: sqlite3.Connection, existed: bool) -> None:
    """Check the file is a misfortune history, then create or migrate its schema (one writer at a time)."""
    try:
        if existed:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _Corrupt(f"integrity check: {str(check)[:200]}")
        _set_wal(connection)  # readers never block the writer, nor it them
        # IMMEDIATE takes the write lock now: two sessions opening a new file do not both create it.
        connection.execute("BEGIN IMMEDIATE")
        try:
            _migrate(connection)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise HistoryError(
                f"history database {connection_path(connection)} is busy (another misfortune is writing): {exc}"
            ) from exc
        raise _Corrupt(str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        raise _Corrupt(str(exc)) from exc


WAL_RETRIES = 300
"""Tries at switching a new file to WAL while another process does the same (50 ms apart: 15 s in all)."""


def _set_wal(connection: sqlite3.Connection) -> None:
    """Switch to WAL mode, waiting out another process that is switching the same new file.

    SQLite answers "database is locked" at once, without its busy handler, when two connections change
    the journal mode of a new file together; so the switch is retried with a short pause. The pause is
    an I/O back-off, not simulated time: nothing it does reaches a simulation.
    """
    pause = threading.Event()
    for attempt in range(WAL_RETRIES):
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_RETRIES - 1:
                raise
            pause.wait(0.05)


def _migrate(connection: sqlite3.Connection) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"history database {connection_path(connection)} has schema version {version}, newer than this "
            f"misfortune understands ({SCHEMA_VERSION}); upgrade misfortune to read it"
        )
    if version == 0:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        if tables:
            raise _Corrupt("it holds tables that are not misfortune's")
    for target, statements in MIGRATIONS:
        if version < target:
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {target}")
    columns = {row[1] for row in connection.execute("PRAGMA table_info(attempts)")}
    if columns != {f.name for f in fields(Attempt)}:
        raise _Corrupt("its attempts table does not have the expected columns")


def connection_path(connection: sqlite3.Connection) -> str:
    """The file a connection is open on."""
    row = connection.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else "?"


def _move_aside(path: Path) -> Path:
    n = 1
    while path.with_name(f"{path.name}.corrupt-{n}").exists():
        n += 1
    target = path.with_name(f"{path.name}.corrupt-{n}")
    path.rename(target)
    for suffix in ("-journal", "-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.rename(target.with_name(target.name + suffix))
    return target


def open_history_recovering(path: str | Path | None = None) -> tuple[History, str | None]:
    """Open the database; a corrupt one is moved aside and a fresh one opened. Returns the warning, if any."""
    try:
        return open_history(path), None
    except HistoryCorrupt as err:
        return open_history(path), str(err)


def record_recovering(attempts: Sequence[Attempt], path: str | Path | None = None) -> str | None:
    """Record ``attempts`` whatever state the database is in; returns a warning for the user, or None.

    A database found corrupt on opening, or only when written to, is moved aside and the attempts go
    into a fresh one (the warning names both files), so the attempt at hand is never lost to it.
    Raises HistoryError (or OSError) when even a fresh database cannot be written.
    """
    history, warning = open_history_recovering(path)
    try:
        history.record_all(attempts)
        return warning
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
            raise HistoryError(f"history database {history.path} is busy: {exc}") from exc
        history.close()
        moved = _move_aside(history.path)
        found = (
            f"history database {history.path} could not be written ({exc}); it was moved to {moved} and a "
            "fresh one is used; run `misfortune history --rebuild` to rebuild it from your journals"
        )
        history, again = open_history_recovering(path)
        history.record_all(attempts)
        return "; ".join(w for w in (warning, found, again) if w)
    finally:
        history.close()


@dataclass(frozen=True)
class RebuildResult:
    """What ``--rebuild`` did."""

    recorded: int
    skipped: list[tuple[str, str]]
    """(journal, why) for each journal not recorded."""


def rebuild(history: History, journals: Iterable[Path]) -> RebuildResult:
    """Replace every row with the attempts replayed from ``journals`` and the journals already recorded."""
    paths = {str(Path(p).resolve()) for p in journals}
    paths |= {a.journal_path for a in history.attempts() if a.journal_path and Path(a.journal_path).is_file()}
    attempts: list[Attempt] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(paths):
        try:
            attempt = attempt_from_journal(path)
        except JournalError as err:
            skipped.append((path, str(err)))
            continue
        if attempt is None:
            skipped.append((path, "not finished (interrupted or left to resume)"))
        else:
            attempts.append(attempt)
    history.record_all(attempts, replace_all=True)
    return RebuildResult(len(attempts), skipped)


@dataclass(frozen=True)
class Readiness:
    """How ready a trainee is for one fault class."""

    fault_class: str
    attempts: int
    resolved: int
    best_ttr_ratio: float | None
    """Best TTR against par over resolved attempts (1.0 = exactly par)."""
    median_ttr_ratio: float | None
    """Median TTR against par over resolved attempts."""
    best_ttr_s: float | None
    median_ttr_s: float | None
    trend: str
    """improving, slipping, steady, or first (a single attempt)."""
    exposure: int = 0
    """Shadow sessions of this class the trainee watched (exposure, not attempts)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def trend(attempts: Sequence[Attempt]) -> str:
    """The latest attempt against the median of the earlier ones (effective TTR/par ratios)."""
    if len(attempts) < 2:
        return "first"
    latest = attempts[-1].effective_ratio
    before = statistics.median(a.effective_ratio for a in attempts[:-1])
    if latest < before * (1 - TREND_MARGIN):
        return "improving"
    if latest > before * (1 + TREND_MARGIN):
        return "slipping"
    return "steady"


def readiness(attempts: Sequence[Attempt], shadows: Sequence[Attempt] = ()) -> list[Readiness]:
    """Readiness per fault class, classes sorted by name; ``attempts`` oldest first.

    Only solo attempts are scored; shadow sessions (in ``attempts`` by mistake, or in ``shadows``) count
    as exposure to their class and nothing else.
    """
    by_class: dict[str, list[Attempt]] = {}
    exposure: dict[str, int] = {}
    for a in attempts:
        if a.mode == SOLO:
            by_class.setdefault(a.fault_class, []).append(a)
    for a in [*attempts, *shadows]:
        if a.mode == SHADOW:
            exposure[a.fault_class] = exposure.get(a.fault_class, 0) + 1
    out = []
    for name in sorted(by_class.keys() | exposure.keys()):
        group = by_class.get(name, [])
        done = [a for a in group if a.ratio is not None]
        ratios = [a.ratio for a in done if a.ratio is not None]
        ttrs = [a.ttr_s for a in done if a.ttr_s is not None]
        out.append(
            Readiness(
                name,
                len(group),
                len(done),
                round(min(ratios), 3) if ratios else None,
                round(statistics.median(ratios), 3) if ratios else None,
                min(ttrs) if ttrs else None,
                statistics.median(ttrs) if ttrs else None,
                trend(group) if group else "not played",
                exposure.get(name, 0),
            )
        )
    return out


def weakness(attempts: Sequence[Attempt]) -> dict[str, float]:
    """Per fault class played, the median effective TTR/par ratio: higher is weaker."""
    by_class: dict[str, list[float]] = {}
    for a in attempts:
        if a.mode == SOLO:  # watching an expert is not evidence of the trainee's own speed
            by_class.setdefault(a.fault_class, []).append(a.effective_ratio)
    return {name: statistics.median(values) for name, values in sorted(by_class.items())}


class FinishedAttempt(Protocol):
    """What recording an attempt reads of a debrief (``tui.port.Debrief`` is one)."""

    report: Report
    root_cause: dict[str, Any]
    tags: tuple[str, ...]
    end_reason: str | None
    journal_path: str | None


def record_debrief(debrief: FinishedAttempt, now: datetime) -> str | None:
    """Record a finished session shown in the debrief; returns a problem for the user to see, or None.

    A session left to resume later is not finished and is not recorded. A corrupt database is moved
    aside (the message says so) and the attempt goes into a fresh one; the journal is never touched.
    ``now`` (wall clock, read by the caller: the engine never reads it) dates an attempt whose journal
    header does not.
    """
    if debrief.end_reason not in FINISHED:
        return None
    header: dict[str, Any] = {}
    journal = Path(debrief.journal_path) if debrief.journal_path else None
    if journal is not None and journal.is_file():
        try:
            header = read_journal(journal).header
        except JournalError as err:
            return f"not recorded in your history: {err}"
    date = header.get("started_wall") or now.isoformat(timespec="seconds")
    attempt = attempt_from_report(
        debrief.report,
        str(debrief.root_cause.get("category", "")),
        debrief.tags,
        str(debrief.end_reason),
        str(date),
        str(journal.resolve()) if journal is not None else None,
    )
    try:
        return record_recovering([attempt])
    except (HistoryError, sqlite3.Error, OSError) as err:
        return f"this attempt was not recorded in your history: {err}"


def record_shadow(summary: ShadowSummary, debrief: FinishedAttempt, now: datetime) -> str | None:
    """Record a shadow session (mode ``shadow``: exposure, never a scored attempt); returns a problem, or None.

    The row carries the expert run's report (what was watched) and the shadow debrief as JSON. It has no
    journal path: a shadow of a recorded journal must not replace that journal's own attempt.
    """
    attempt = replace(
        attempt_from_report(
            debrief.report,
            str(debrief.root_cause.get("category", "")),
            debrief.tags,
            "resolved" if debrief.end_reason == "resolved" else "gave_up",
            now.isoformat(timespec="seconds"),
            None,
        ),
        mode=SHADOW,
        detail=json.dumps(summary.as_dict(), sort_keys=True)[:MAX_DETAIL],
    )
    try:
        return record_recovering([attempt])
    except (HistoryError, sqlite3.Error, OSError) as err:
        return f"this shadow session was not recorded in your history: {err}"
