"""Durations as scenario authors write them: ``90s``, ``5m``, ``1h30m``, ``-35m``, ``250ms``.

Internally every duration is a float number of simulated seconds.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from scenarios.limits import MAX_DURATION_S

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s|d)")
_WHOLE = re.compile(r"^-?(?:\d+(?:\.\d+)?(?:ms|h|m|s|d))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """Turn ``"1h30m"`` (or a plain number of seconds) into seconds.

    Raises ValueError with a message that shows the accepted forms, or the range for a duration that is
    not finite or longer than :data:`~scenarios.limits.MAX_DURATION_S` either way.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 5m or 1h30m, not a boolean")
    if isinstance(value, int | float):
        return _bounded(float(value), value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 90s, 5m or 1h30m")
    text = value.strip().replace(" ", "")
    if not _WHOLE.match(text):
        raise ValueError(f"{value!r} is not a duration; write it like 90s, 5m, 1h30m or -35m")
    sign = -1.0 if text.startswith("-") else 1.0
    total = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
    return _bounded(sign * total, value)


def _bounded(seconds: float, given: object) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"a duration must be a finite number of seconds, not {given!r}")
    if abs(seconds) > MAX_DURATION_S:
        raise ValueError(f"{given!r} is too long: durations are at most {MAX_DURATION_S / 86400:g} days either way")
    return seconds


def _not_negative(seconds: float) -> float:
    if seconds < 0:
        raise ValueError(f"{format_duration(seconds)} is negative; this duration must be 0 or more")
    return seconds


def format_duration(seconds: float | None) -> str:
    """Render seconds the way authors write them (``1h30m``, ``45s``); ``-`` for None."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    rest = int(round(abs(seconds)))
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or not parts:
        parts.append(f"{secs}s")
    return sign + "".join(parts)


def format_clock(seconds: float) -> str:
    """Render simulated seconds as ``HH:MM:SS`` (negative times get a minus sign)."""
    sign = "-" if seconds < 0 else ""
    rest = int(abs(seconds))
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"


SignedDuration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^-?(\d+(\.\d+)?(ms|h|m|s|d))+$"},
                {"type": "number"},
            ],
            "description": "A duration such as 90s, 5m, 1h30m, or -35m for the past (at most 366 days either way).",
        }
    ),
]
"""A duration that may be negative (a time before t=0): ``-35m``; finite and within a year either way."""

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    AfterValidator(_not_negative),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|h|m|s|d))+$", "maxLength": 64},
                {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S},
            ],
            "description": "A duration such as 90s, 5m, 1h30m (0 or more, at most 366 days).",
        }
    ),
]
"""A duration field: accepts ``90s``/``5m``/``1h30m`` or seconds, holds seconds as a float, 0 or more."""
