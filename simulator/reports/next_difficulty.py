"""The difficulty the wheel suggests next, from the history (readiness), with the reason.

The rule, over the trainee's most recent results (solo attempts from the history and incidents worked
in shifts, newest last):

- no result yet: **easy** (hints come early, less noise);
- two or more of the last three not resolved: one level **down** from the one last played;
- the last three all resolved, at or under par (median TTR/par of those with a par, when any): one
  level **up**;
- otherwise: **stay** at the level last played (normal when no shift was played yet).

The level last played is the difficulty of the latest shift practice (solo scenarios have no dial).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.reports.follow_ups import Practice
from simulator.reports.history import SOLO, Attempt

LEVELS = ("easy", "normal", "hard")
RECENT = 3
"""How many of the latest results the rule reads."""
UP_AT_RATIO = 1.0
"""Median TTR/par at or under which three resolved incidents in a row move the suggestion up."""


@dataclass(frozen=True)
class DifficultyAdvice:
    """The suggested difficulty and why."""

    level: str
    reason: str
    current: str | None
    """The level last played (None: no shift played yet)."""


@dataclass(frozen=True)
class _Result:
    date: str
    resolved: bool
    ratio: float | None


def suggest_difficulty(
    attempts: Sequence[Attempt], practice: Sequence[Practice], person: str | None = None
) -> DifficultyAdvice:
    """The next difficulty for ``person`` (practice of others is ignored; None: everyone's)."""
    mine = [p for p in practice if person is None or p.person == person]
    results = [_Result(a.date, a.outcome == "resolved", a.ratio) for a in attempts if a.mode == SOLO]
    results += [_Result(p.date, p.outcome == "resolved", None) for p in mine]
    results.sort(key=lambda r: r.date)
    current = max(mine, key=lambda p: p.date).difficulty if mine else None
    if not results:
        return DifficultyAdvice("easy", "no finished incident in your history yet: start easy", current)
    base = current if current in LEVELS else "normal"
    recent = results[-RECENT:]
    missed = sum(1 for r in recent if not r.resolved)
    if missed >= 2:
        return DifficultyAdvice(
            _step(base, -1), f"{missed} of your last {len(recent)} incidents were not resolved", current
        )
    ratios = [r.ratio for r in recent if r.ratio is not None]
    median = statistics.median(ratios) if ratios else None
    if len(recent) == RECENT and missed == 0 and (median is None or median <= UP_AT_RATIO):
        pace = f" at or under par (median {median:.2f}x)" if median is not None else ""
        return DifficultyAdvice(_step(base, 1), f"your last {RECENT} incidents were all resolved{pace}", current)
    if missed:
        why = f"1 of your last {len(recent)} incidents was not resolved"
    elif len(recent) < RECENT:
        why = f"{len(recent)} resolved so far; {RECENT} in a row at or under par move you up"
    else:
        why = f"resolved, but slower than par (median {median:.2f}x)"
    return DifficultyAdvice(base, why, current)


def _step(level: str, by: int) -> str:
    index = min(max(LEVELS.index(level) + by, 0), len(LEVELS) - 1)
    return LEVELS[index]
