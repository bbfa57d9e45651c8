"""The wheel of misfortune: which scenario comes up next, and what trainees played before.

No Textual here: the home screen animates what :func:`spin` decides. Spins favour scenarios not yet
played and fault classes where the history shows the trainee weakest. A spin is deterministic for a
given ``random.Random``, so tests (and snapshot runs) can fix the outcome with a seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scenarios.catalog import CatalogEntry
from simulator.reports import UNPLAYED_WEAKNESS, Attempt, fault_class, weakness

SEED_RANGE = (1, 99_999)
"""Seeds the wheel hands out: short enough to read aloud and type back."""

OUTCOME_RANK = {"resolved": 3, "time_up": 2, "gave_up": 1}
"""How good a journal's end reason is, best first (a higher rank wins as "best result")."""

_TAIL_BYTES = 4096


@dataclass(frozen=True)
class PastResults:
    """What the journals say about one scenario: how often it was started and the best ending."""

    plays: int = 0
    finished: int = 0
    best: str | None = None
    """The best end reason seen (resolved, time_up, gave_up), or None if no attempt ended."""

    def label(self) -> str:
        """Short text for the scenario list."""
        if not self.plays:
            return "new"
        times = "once" if self.plays == 1 else f"{self.plays}x"
        return f"played {times}, best: {self.best.replace('_', ' ')}" if self.best else f"played {times}"


@dataclass(frozen=True)
class Spin:
    """One spin: the scenario it lands on and the path the highlight takes to get there."""

    index: int
    """Index of the chosen scenario in the list that was spun."""
    seed: int
    """Simulation seed handed out with the pick."""
    path: tuple[int, ...]
    """Row indices the highlight visits, ending on ``index``."""
    delays: tuple[float, ...]
    """Seconds to wait before each step of ``path``: short at first, slowing down to the end."""


WEAKNESS_BOUNDS = (0.5, 3.0)
"""A fault class's weight factor is its weakness (median TTR/par) clamped to these bounds."""


@dataclass(frozen=True)
class Readiness:
    """What the wheel knows about the trainee's fault classes (from the history database)."""

    weakness: dict[str, float]
    """Per fault class played: median TTR against par, an unresolved attempt counting as 3 (higher = weaker)."""
    classes: dict[str, str]
    """Fault class of each scenario id recorded in the history (others are classed by their tags)."""


def weight(past: PastResults | None) -> float:
    """Chance weight of a scenario: unplayed ones come up twice as often as ones played once, and so on."""
    plays = past.plays if past else 0
    return 1.0 / (1 + plays)


def class_factor(entry: CatalogEntry, readiness: Readiness | None) -> float:
    """How much a scenario's fault class pulls the wheel: its weakness, a class never played counting as
    :data:`simulator.reports.history.UNPLAYED_WEAKNESS` (an unknown class is favoured over a mastered one)."""
    if readiness is None:
        return 1.0
    name = readiness.classes.get(entry.id) or fault_class("", entry.tags)
    low, high = WEAKNESS_BOUNDS
    return min(max(readiness.weakness.get(name, UNPLAYED_WEAKNESS), low), high)


def weights(
    entries: Sequence[CatalogEntry], history: dict[str, PastResults], readiness: Readiness | None = None
) -> list[float]:
    """Weights for every entry (unplayed and weak-class scenarios favoured); scenarios that do not load never
    come up."""
    return [0.0 if e.error else weight(history.get(e.id)) * class_factor(e, readiness) for e in entries]


def spin(
    entries: Sequence[CatalogEntry],
    history: dict[str, PastResults],
    rng: random.Random,
    start: int = 0,
    readiness: Readiness | None = None,
) -> Spin:
    """Pick a scenario (weighted by :func:`weights`) and a seed, and plan the highlight's path from ``start``."""
    w = weights(entries, history, readiness)
    if not any(w):
        raise ValueError("no playable scenario to spin")
    index = rng.choices(range(len(entries)), weights=w)[0]
    seed = rng.randint(*SEED_RANGE)
    n = len(entries)
    laps = max(1, -(-12 // n))  # at least a dozen steps, so a short list still looks like a wheel
    steps = laps * n + (index - start) % n
    path = tuple((start + i + 1) % n for i in range(steps))
    delays = tuple(0.02 + 0.22 * ((i + 1) / steps) ** 3 for i in range(steps))
    return Spin(index, seed, path, delays)


def new_seed(rng: random.Random) -> int:
    """A fresh seed from the wheel's range."""
    return rng.randint(*SEED_RANGE)


def scan_journals(folder: Path) -> dict[str, PastResults]:
    """Past results per scenario id from the journals in ``folder``.

    Reads each journal's header and its last few kilobytes only (the end record is the last line), so the
    home screen stays fast with hundreds of journals. A journal holding nothing but its header (the
    trainee backed out at the briefing) is not an attempt. Unreadable files are skipped: they belong to
    ``misfortune replay``, which reports them properly.
    """
    plays: dict[str, list[str | None]] = {}
    if not folder.is_dir():
        return {}
    for path in folder.glob("*.jsonl"):
        scenario, started, end = _summarise(path)
        if scenario is not None and started:
            plays.setdefault(scenario, []).append(end)
    results = {}
    for scenario, ends in plays.items():
        known = [e for e in ends if e in OUTCOME_RANK]
        best = max(known, key=OUTCOME_RANK.__getitem__) if known else None
        results[scenario] = PastResults(len(ends), sum(e is not None for e in ends), best)
    return results


def _summarise(path: Path) -> tuple[str | None, bool, str | None]:
    """(scenario id, anything after the header?, end reason) of one journal."""
    try:
        with path.open("rb") as f:
            header = json.loads(f.readline() or b"null")
            first_record_at = f.tell()
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(first_record_at, size - _TAIL_BYTES))
            tail = f.read().decode("utf-8", errors="replace").splitlines()
    except (OSError, ValueError):
        return None, False, None
    if not isinstance(header, dict) or header.get("type") != "header":
        return None, False, None
    end = None
    for line in reversed(tail):
        if '"type":"end"' in line:
            try:
                end = str(json.loads(line).get("reason"))
            except (ValueError, AttributeError):
                end = None
            break
    return str(header.get("scenario")), size > first_record_at, end


def readiness_of(attempts: Sequence[Attempt]) -> Readiness:
    """The wheel's view of the history: weakness per class and each played scenario's class."""
    return Readiness(weakness(attempts), {a.scenario: a.fault_class for a in attempts})
