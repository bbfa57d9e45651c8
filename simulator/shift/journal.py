"""The shift journal: one JSONL file for the whole shift, flushed after every record.

Records:
- ``header``: ``kind: shift``, format, the whole plan, the policy in force at the start, the SHA-256 of
  each incident's scenario file, tool version;
- ``step``: shift time, seat, the step (an action and the incident it targets, if any), its result;
- ``policy``: a new escalation policy put in force at a shift time (pages already sent keep theirs);
- ``clock``: how far the shift's clock got when it was left (a resume continues from there);
- ``end``: shift time and reason.

Every record is parsed at the edge by a pydantic model with limits. Lines are split, parsed and a torn
final line recognised by the session journal's own code (simulator.session.journal), and cut with its
``cut_torn_line`` before a resume appends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.session.journal import JournalError, TornLine, read_lines
from simulator.shift.plan import ShiftPlan
from simulator.shift.policy import EscalationPolicy
from simulator.shift.steps import ShiftStep, step_from_data
from simulator.views import ActionResult

FORMAT = 1
MAX_SHIFT_T = 24 * 3600.0 + 1.0


class ShiftJournal:
    """Appends shift records to a JSONL file."""

    def __init__(self, path: str | Path, header: dict[str, Any] | None = None) -> None:
        """Start a journal with ``header``, or (no header) append to an existing one."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
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

    def clock(self, t: float) -> None:
        """Record how far the shift's clock got (a shift left mid-way resumes from there)."""
        self._write({"type": "clock", "t": round(t, 6)})

    def end(self, t: float, reason: str) -> None:
        """Record the end of the shift."""
        self._write({"type": "end", "t": round(t, 6), "reason": reason})

    @property
    def closed(self) -> bool:
        """True once the file is closed."""
        return self._file.closed

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
    torn: TornLine | None = None
    """A last line the writer never finished (cut off before a resume appends)."""
    size: int = 0
    """Bytes read, the torn line included."""

    clock: float = 0.0
    """The latest ``clock`` record: how far the shift got before it was left."""

    @property
    def last_t(self) -> float:
        """Shift time of the end, else of the last step, policy or clock record (0 for none)."""
        if self.end is not None:
            return self.end[0]
        return max(self.records[-1][0] if self.records else 0.0, self.clock)


def read_shift_journal(path: str | Path) -> ShiftJournalData:
    """Parse and validate a shift journal; raise JournalError naming the file and line.

    Lines are read by the session journal's reader (its limits, its torn-line rule): a last line without
    a newline or that does not parse is left out and described in ``torn``.
    """
    path = Path(path)
    read = read_lines(path, "shift journal")
    data: ShiftJournalData | None = None
    for number, record in read.records:
        data = _add(path, number, record, data)
    if data is None:
        raise JournalError(f"{path}: empty journal, or not a shift journal")
    data.torn = read.torn
    data.size = read.size
    return data


def _add(path: Path, number: int, record: Any, data: ShiftJournalData | None) -> ShiftJournalData:
    kind = record.get("type") if isinstance(record, dict) else None
    try:
        if data is None:
            if kind != "header" or record.get("kind") != "shift":
                raise JournalError(f"{path}:{number}: a shift journal starts with a shift header record")
            header = _Header.model_validate(record)
            return ShiftJournalData(header.plan, header.policy, header.scenarios, header.previous)
        if data.end is not None:
            raise JournalError(f"{path}:{number}: a record after the end record")
        if kind == "step":
            rec = _Step.model_validate(record)
            data.records.append((rec.t, rec.seat, step_from_data(rec.step, rec.t)))
        elif kind == "policy":
            pol = _Policy.model_validate(record)
            data.records.append((pol.t, "trainee", pol.policy))
        elif kind == "clock":
            data.clock = max(data.clock, _Record.model_validate(record).t)
        elif kind == "end":
            end = _End.model_validate(record)
            data.end = (end.t, end.reason)
        else:
            raise JournalError(f"{path}:{number}: unknown record type {kind!r}")
    except (ValidationError, ValueError) as exc:
        raise JournalError(f"{path}:{number}: bad {kind} record: {_first_error(exc)}") from exc
    if len(data.records) > 1 and data.records[-1][0] < data.records[-2][0]:
        raise JournalError(f"{path}:{number}: records go back in time")
    return data


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc).splitlines()[0]
