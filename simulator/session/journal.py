"""The session journal: JSONL, flushed after every record, replayable to the same report.

Records:
- ``header``: format, scenario id, scenario file SHA-256, seed, tool version (+ optional fields from
  the caller such as a wall-clock start time, which the simulator itself never reads);
- ``action``: simulated time, seat, the action as the vocabulary spells it, and its result;
- ``look``: what a seat looked at (panels, queries, traces): ignored by replay;
- ``end``: simulated time and reason the session ended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from scenarios.language.actions import ACTION_ADAPTER, Action

FORMAT = 1


class JournalError(Exception):
    """A journal file that cannot be read; the message names the file and line."""


@dataclass
class JournalData:
    """A journal read back."""

    header: dict[str, Any]
    actions: list[tuple[float, str, Action]] = field(default_factory=list)
    looks: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None


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
        self._write({"type": "look", "t": round(t, 6), "seat": seat, "what": what, **detail})

    def end(self, t: float, reason: str) -> None:
        """Record the end of the session."""
        self._write({"type": "end", "t": round(t, 6), "reason": reason})

    def close(self) -> None:
        """Close the file."""
        if not self._file.closed:
            self._file.close()


def read_journal(path: str | Path) -> JournalData:
    """Parse a journal; a truncated last line (the process was killed mid-write) is tolerated."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise JournalError(f"{path}: no such journal file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"{path}: cannot read journal: {exc}") from exc
    data: JournalData | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                break  # torn final write
            raise JournalError(f"{path}:{number}: not a JSON record ({exc.msg})") from exc
        kind = record.get("type") if isinstance(record, dict) else None
        if data is None:
            if kind != "header":
                raise JournalError(f"{path}:{number}: a journal must start with a header record")
            data = JournalData(header=record)
            continue
        if kind == "action":
            try:
                action = ACTION_ADAPTER.validate_python(record["action"])
                data.actions.append((float(record["t"]), str(record.get("seat", "trainee")), action))
            except (KeyError, TypeError, ValueError, ValidationError) as exc:
                raise JournalError(f"{path}:{number}: bad action record: {exc}") from exc
        elif kind == "look":
            data.looks.append(record)
        elif kind == "end":
            data.end = record
        else:
            raise JournalError(f"{path}:{number}: unknown record type {kind!r}")
    if data is None:
        raise JournalError(f"{path}: empty journal")
    return data
