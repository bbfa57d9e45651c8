"""The shift journal: one JSONL file for the whole shift, flushed after every record.

Records:
- ``header``: ``kind: shift``, format, the whole plan, the policy in force at the start, the SHA-256 of
  each incident's scenario file, tool version;
- ``step``: shift time, seat, the step (an action and the incident it targets, if any), its result;
- ``policy``: a new escalation policy put in force at a shift time (pages already sent keep theirs);
- ``end``: shift time and reason.

Every record is parsed at the edge by a pydantic model with limits; a torn final line (the process was
killed mid-write) is tolerated, as in the session journal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.shift.plan import ShiftPlan
from simulator.shift.policy import EscalationPolicy
from simulator.shift.steps import ShiftStep, step_from_data
from simulator.views import ActionResult

FORMAT = 1
MAX_JOURNAL_BYTES = 64 * 1024 * 1024
MAX_SHIFT_T = 24 * 3600.0 + 1.0


class JournalError(Exception):
    """A shift journal that cannot be used; the message names the file and line."""


class ShiftJournal:
    """Appends shift records to a JSONL file."""

    def __init__(self, path: str | Path, header: dict[str, Any] | None = None, keep_bytes: int | None = None) -> None:
        """Start a journal with ``header``, or (no header) append to one after its first ``keep_bytes``."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if header is None and keep_bytes is not None:
            with self.path.open("r+b") as existing:
                existing.truncate(keep_bytes)  # drop a torn final write before appending
        self._file: TextIO = self.path.open("w" if header is not None else "a", encoding="utf-8")
        if header is not None:
            self._write({"type": "header", "kind": "shift", "format": FORMAT, **header})

    def _write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n")
        self._file.flush()

    def step(self, t: float, seat: str, step: ShiftStep, result: ActionResult) -> None:
        """Record an applied step."""
        self._write(
            {
                "type": "step",
                "t": round(t, 6),
                "seat": seat,
                "step": step.as_data(),
                "accepted": result.accepted,
                "result": result.message,
            }
        )

    def policy(self, t: float, policy: EscalationPolicy) -> None:
        """Record a policy change."""
        self._write({"type": "policy", "t": round(t, 6), "policy": policy.as_data()})

    def end(self, t: float, reason: str) -> None:
        """Record the end of the shift."""
        self._write({"type": "end", "t": round(t, 6), "reason": reason})

    def close(self) -> None:
        """Close the file."""
        if not self._file.closed:
            self._file.close()


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    t: float = Field(ge=0.0, le=MAX_SHIFT_T, allow_inf_nan=False)


class _Header(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    kind: Literal["shift"]
    format: Literal[1]
    plan: ShiftPlan
    policy: EscalationPolicy
    scenarios: dict[str, str | None] = Field(default_factory=dict, max_length=16)
    previous: str | None = Field(default=None, max_length=4096)


class _Step(_Record):
    seat: str = Field(default="trainee", max_length=80)
    step: dict[str, Any]


class _Policy(_Record):
    policy: EscalationPolicy


class _End(_Record):
    reason: str = Field(max_length=80)


@dataclass
class ShiftJournalData:
    """A shift journal read back: the header, and the steps and policy changes in order."""

    plan: ShiftPlan
    policy: EscalationPolicy
    scenarios: dict[str, str | None]
    previous: str | None
    records: list[tuple[float, str, ShiftStep | EscalationPolicy]] = field(default_factory=list)
    """(shift time, seat, step or new policy), in journal order."""
    end: tuple[float, str] | None = None
    good_bytes: int = 0
    """Length of the file up to the end of its last whole record (a torn final write is cut off on resume)."""

    @property
    def last_t(self) -> float:
        """Shift time of the last record (0 for none)."""
        if self.end is not None:
            return self.end[0]
        return self.records[-1][0] if self.records else 0.0


def read_shift_journal(path: str | Path) -> ShiftJournalData:
    """Parse and validate a shift journal; raise JournalError naming the file and line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_JOURNAL_BYTES:
            raise JournalError(f"{path}: larger than {MAX_JOURNAL_BYTES // (1024 * 1024)} MB; not a shift journal")
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError as exc:
        raise JournalError(f"{path}: no such journal file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"{path}: cannot read the journal: {exc}") from exc
    data: ShiftJournalData | None = None
    good_bytes = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            good_bytes += len(line.encode("utf-8"))
            continue
        try:
            record = json.loads(line, parse_constant=_no_constant)
        except (json.JSONDecodeError, ValueError) as exc:
            if number == len(lines) and not line.endswith("\n"):
                break  # a torn final write
            raise JournalError(f"{path}:{number}: not a JSON record ({exc})") from exc
        kind = record.get("type") if isinstance(record, dict) else None
        try:
            if data is None:
                if kind != "header":
                    raise JournalError(f"{path}:{number}: a shift journal starts with a header record")
                header = _Header.model_validate(record)
                data = ShiftJournalData(header.plan, header.policy, header.scenarios, header.previous)
            elif data.end is not None:
                raise JournalError(f"{path}:{number}: a record after the end record")
            elif kind == "step":
                rec = _Step.model_validate(record)
                data.records.append((rec.t, rec.seat, step_from_data(rec.step, rec.t)))
            elif kind == "policy":
                pol = _Policy.model_validate(record)
                data.records.append((pol.t, "trainee", pol.policy))
            elif kind == "end":
                end = _End.model_validate(record)
                data.end = (end.t, end.reason)
            else:
                raise JournalError(f"{path}:{number}: unknown record type {kind!r}")
        except (ValidationError, ValueError) as exc:
            raise JournalError(f"{path}:{number}: bad {kind} record: {_first_error(exc)}") from exc
        if len(data.records) > 1 and data.records[-1][0] < data.records[-2][0]:
            raise JournalError(f"{path}:{number}: records go back in time")
        good_bytes += len(line.encode("utf-8"))
    if data is None:
        raise JournalError(f"{path}: empty journal, or not a shift journal")
    data.good_bytes = good_bytes
    return data


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a journal may hold")


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc).splitlines()[0]
