"""The session journal: JSONL, flushed after every record, replayable to the same report.

Records:
- ``header``: format, scenario id, scenario file SHA-256, seed, tool version (+ optional fields from
  the caller such as a wall-clock start time, which the simulator itself never reads);
- ``action``: simulated time, seat, the action as the vocabulary spells it, and its result;
- ``look``: what a seat looked at (panels, queries, traces): ignored by replay;
- ``end``: simulated time and reason the session ended.

A journal is untrusted input (shared, hand-edited, written by a process killed mid-line), so
:func:`read_journal` validates every record and names ``file:line`` for the first one that is wrong.
A record is committed once its newline is written: a last line without one, or one that does not
parse, is a *torn* line (a kill -9 mid-write), reported and ignored; :func:`cut_torn_line` removes it
before anything is appended. Replaying a journal is :mod:`simulator.session.journal_session`'s job.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError

from scenarios.language.actions import ACTION_ADAPTER, Action
from simulator.incident.scoring import SEAT_ROLES

FORMAT = 1

END_RESOLVED = "resolved"
END_TIME_UP = "time_up"
END_UNTIL = "until"
"""A headless run stopped at ``--until`` (or ``inspect --at``) before the end."""
END_INTERRUPTED = "interrupted"
"""Given by replay to a journal without an end record (the session was killed or left to resume)."""
END_GAVE_UP = "gave_up"
END_BY_IMOC = "ended_by_imoc"
END_BY_FACILITATOR = "ended_by_facilitator"
END_REASONS = (
    END_RESOLVED,
    END_TIME_UP,
    END_UNTIL,
    END_INTERRUPTED,
    END_GAVE_UP,
    END_BY_IMOC,
    END_BY_FACILITATOR,
)
"""Every reason a session ends for; an end record with another reason is refused."""

SOLO_SEATS = ("trainee", "facilitator")
"""Seats that are not game-day roles: the single player and the game day's facilitator."""
SEAT_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,40}$")
"""A game-day seat's name after ``role:`` (the same rule as the protocol's hello)."""
MAX_RECORD_BYTES = 1_000_000
"""Longest journal line read (a note or a look is a few hundred bytes; a seat frame is far smaller)."""
TIME_SLACK = 1e-6
"""Times are journalled rounded to a microsecond."""


class JournalError(Exception):
    """A journal file that cannot be read; the message names the file and line."""


class Journal:
    """Appends records to a JSONL file, flushing each one so a killed process loses nothing."""

    def __init__(self, path: str | Path, header: dict[str, Any], append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = self.path.open("a" if append else "w", encoding="utf-8")
        if not append:
            self._write({"type": "header", "format": FORMAT, **header})

    def _write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n")
        self._file.flush()

    def action(self, t: float, seat: str, action: Action, accepted: bool, message: str) -> None:
        """Record an applied action."""
        body = action.model_dump(mode="json", exclude_none=True, exclude={"at"})
        self._write(
            {"type": "action", "t": round(t, 6), "seat": seat, "action": body, "accepted": accepted, "result": message}
        )

    def look(self, t: float, seat: str, what: str, **detail: Any) -> None:
        """Record what a seat looked at (the investigation path)."""
        # The record's own keys come last: a detail named "type" or "seat" must not turn a look into
        # a forged action record or move it to another seat.
        self._write({**detail, "type": "look", "t": round(t, 6), "seat": seat, "what": what})

    def end(self, t: float, reason: str) -> None:
        """Record the end of the session."""
        self._write({"type": "end", "t": round(t, 6), "reason": reason})

    def close(self) -> None:
        """Close the file."""
        if not self._file.closed:
            self._file.close()


# --- reading ---------------------------------------------------------------------------------------


def _number_of_seconds(value: Any) -> float:
    # JSON has no NaN or infinity, but Python's parser reads the literals NaN and Infinity.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number of simulated seconds, not {json.dumps(value)[:40]}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a finite number of seconds, at least 0, not {value!r}")
    return float(value)


def _known_seat(seat: str) -> str:
    role, colon, name = seat.partition(":")
    if seat in SOLO_SEATS or (colon and role in SEAT_ROLES and SEAT_NAME.match(name)):
        return seat
    raise ValueError(
        f"unknown seat {seat!r}: a seat is {' or '.join(SOLO_SEATS)}, or role:name with role "
        f"{', '.join(SEAT_ROLES)} and a name of letters, digits, _ . @ -"
    )


Seconds = Annotated[float, BeforeValidator(_number_of_seconds)]
Seat = Annotated[str, Field(max_length=64), AfterValidator(_known_seat)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class HeaderRecord(_Record):
    """The first line: what was played, so a replay can find the same scenario file and seed."""

    model_config = ConfigDict(extra="allow")  # the caller's own fields (started_wall, branch_of...)
    type: Literal["header"]
    format: Literal[1]
    """Journal format version."""
    scenario: str = Field(max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    """The scenario's id (kebab-case; never a path: a journal must not make replay open any file)."""
    seed: int = Field(ge=-(2**63), lt=2**63)
    scenario_path: str | None = Field(default=None, max_length=4096)
    scenario_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    tool_version: str | None = Field(default=None, max_length=64)


class ActionRecord(_Record):
    """An action a seat took (``action`` is checked against the vocabulary separately)."""

    type: Literal["action"]
    t: Seconds
    seat: Seat
    action: dict[str, Any]
    accepted: StrictBool | None = None
    result: str | None = None


class LookRecord(_Record):
    """What a seat looked at; its detail fields are free-form (bounded by the line length)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["look"]
    t: Seconds
    seat: Seat
    what: str = Field(max_length=64)  # what the protocol lets a seat send (an empty string included)


class EndRecord(_Record):
    """The end of the session."""

    type: Literal["end"]
    t: Seconds
    reason: Literal[END_REASONS]  # type: ignore[valid-type]


RECORDS: dict[str, type[_Record]] = {"action": ActionRecord, "look": LookRecord, "end": EndRecord}
"""Record kinds after the header."""


@dataclass(frozen=True)
class JournalAction:
    """One action record read back: when, who, what, and the line it is on."""

    t: float
    seat: str
    action: Action
    line: int
    accepted: bool | None = None
    """What the engine answered (None in a journal that did not record it): a rewind restored from a
    snapshot journals the actions before it again as they were answered (simulator/session/snapshots.py)."""
    result: str | None = None


@dataclass(frozen=True)
class TornLine:
    """A last line the writer never finished (the process was killed while writing it)."""

    line: int
    offset: int
    """Byte offset where the torn line starts: the journal's committed length."""
    why: str

    def describe(self, path: str | Path, fate: str = "it was ignored") -> str:
        """One line for the user: where, why, and what was done about it."""
        killed = "the session was killed while writing it"
        return f"{path}:{self.line}: the last line is torn ({self.why}; {killed}); {fate}"


@dataclass
class JournalData:
    """A journal read back and validated."""

    header: dict[str, Any]
    actions: list[JournalAction] = field(default_factory=list)
    looks: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    torn: TornLine | None = None
    size: int = 0
    """Bytes read (a torn line included)."""
    last_t: float = 0.0
    """Time of the last record (0 for a header alone)."""
    last_line: int = 1
    """Line of the last record."""


def _lines(raw: bytes) -> list[tuple[int, int, bytes, bool]]:
    """(line number, byte offset, content, ends with a newline) of every line."""
    out = []
    offset = 0
    for number, chunk in enumerate(raw.split(b"\n"), 1):
        terminated = offset + len(chunk) < len(raw)
        out.append((number, offset, chunk, terminated))
        offset += len(chunk) + 1
    return out


def _parse(chunk: bytes) -> Any:
    if len(chunk) > MAX_RECORD_BYTES:
        raise ValueError(f"a line of {len(chunk):,} bytes is longer than a record can be ({MAX_RECORD_BYTES:,})")
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a JSON record ({exc.msg})") from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise ValueError(f"not a JSON record ({exc})") from exc
    except RecursionError as exc:
        raise ValueError("not a JSON record (nested too deeply)") from exc


def _first_problem(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    message = first["msg"].removeprefix("Value error, ")
    extra = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where}: {message}{extra}" if where else f"{message}{extra}"


MAX_JOURNAL_BYTES = 64 * 1024 * 1024
"""Largest journal read (an 8-hour session writes a few MB); a bigger file is refused before reading."""


@dataclass
class JournalLines:
    """The parsed records of a journal file, before their kinds are checked (session and shift journals)."""

    records: list[tuple[int, Any]]
    """(line number, parsed JSON) of every complete line."""
    torn: TornLine | None
    """The last line, when the writer never finished it."""
    size: int
    """Bytes read."""


def read_lines(path: str | Path, what: str = "journal") -> JournalLines:
    """Read a journal file and parse its lines; raises JournalError naming ``file:line``.

    The one place both journal formats are read: a size bound checked before reading, regular files
    only, lines longer than a record can be refused, and the torn-line rule (a last line without a
    newline, or that does not parse, after at least one complete record, is left out and described).
    """
    path = Path(path)
    try:
        if not path.is_file():
            if not path.exists():
                raise FileNotFoundError(path)
            raise JournalError(f"{path}: not a regular file; not a {what}")
        if path.stat().st_size > MAX_JOURNAL_BYTES:
            raise JournalError(f"{path}: larger than {MAX_JOURNAL_BYTES // (1024 * 1024)} MB; not a {what}")
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise JournalError(f"{path}: no such journal file") from exc
    except OSError as exc:
        raise JournalError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from exc
    lines = [entry for entry in _lines(raw) if entry[2].strip()]
    records: list[tuple[int, Any]] = []
    torn: TornLine | None = None
    for index, (number, offset, chunk, terminated) in enumerate(lines):
        last = index == len(lines) - 1
        if last and not terminated:
            if not records:
                raise JournalError(f"{path}:{number}: the header has no newline: the session was killed as it started")
            torn = TornLine(number, offset, "no newline at its end")
            break
        try:
            record = _parse(chunk)
        except ValueError as exc:
            if last and records:
                torn = TornLine(number, offset, str(exc))
                break
            raise JournalError(f"{path}:{number}: {exc}") from exc
        records.append((number, record))
    return JournalLines(records, torn, len(raw))


def read_journal(path: str | Path) -> JournalData:
    """Read and validate a journal; raises JournalError naming ``file:line`` for the first bad record.

    Checks: a header first; then known record kinds, each record's fields, a finite time that is never
    negative and never goes back, a known seat, and an action the vocabulary knows. A torn last line
    (no newline, or not parseable) is left out and described in ``torn``.
    """
    path = Path(path)
    read = read_lines(path)
    if not read.records:
        raise JournalError(f"{path}: empty journal")
    (first_line, first), *rest = read.records
    data = JournalData(header=_header(path, first_line, first))
    for number, record in rest:
        _add_record(data, path, number, record)
    data.torn = read.torn
    data.size = read.size
    return data


def _header(path: Path, number: int, record: Any) -> dict[str, Any]:
    if not isinstance(record, dict) or record.get("type") != "header":
        raise JournalError(f"{path}:{number}: a journal must start with a header record")
    try:
        HeaderRecord.model_validate(record)
    except ValidationError as err:
        raise JournalError(f"{path}:{number}: header: {_first_problem(err)}") from err
    return record


def _add_record(data: JournalData, path: Path, number: int, record: Any) -> None:
    """Validate one record after the header and file it in ``data``."""
    kind = record.get("type") if isinstance(record, dict) else None
    if not isinstance(kind, str) or kind not in RECORDS:  # a list or a mapping is not even hashable
        what = f"record type {kind!r}" if isinstance(kind, str) else "record without a 'type'"
        raise JournalError(f"{path}:{number}: unknown {what}; a journal holds {', '.join(RECORDS)} records")
    try:
        parsed = RECORDS[kind].model_validate(record)
    except ValidationError as err:
        raise JournalError(f"{path}:{number}: {kind} record: {_first_problem(err)}") from err
    t = parsed.t
    if t < data.last_t - TIME_SLACK:
        raise JournalError(
            f"{path}:{number}: {kind} record at {t:g}s goes back in time (line {data.last_line} is at "
            f"{data.last_t:g}s); records must be in time order"
        )
    data.last_t, data.last_line = max(t, data.last_t), number
    if isinstance(parsed, ActionRecord):
        try:
            action = ACTION_ADAPTER.validate_python(parsed.action)
        except ValidationError as err:
            raise JournalError(f"{path}:{number}: action record: action: {_first_problem(err)}") from err
        data.actions.append(JournalAction(t, parsed.seat, action, number, parsed.accepted, parsed.result))
    elif isinstance(parsed, LookRecord):
        data.looks.append(record)
    else:
        data.end = record


def cut_torn_line(path: str | Path, data: JournalData) -> None:
    """Truncate the journal to its committed records (before appending after a torn line).

    Raises JournalError when the file changed since ``data`` was read (another process writes it).
    """
    if data.torn is None:
        return
    path = Path(path)
    with path.open("r+b") as f:
        size = f.seek(0, 2)
        if size != data.size:
            raise JournalError(f"{path}: the journal changed while it was being read; is another session using it?")
        f.truncate(data.torn.offset)
