"""Shadow on-call: an expert's run played back on a Simulation, one timed move at a time.

The expert's run comes from a scenario's reference solution (each step's ``why`` and ``looked_at``
become the move's reason and looks) or from any recorded journal (a senior's own session: the notes
the seat wrote become the reasons, the panels it opened become its looks). :class:`ShadowRun` drives a
fresh Simulation and stops *before* each move the trainee is asked to predict; rewinding re-runs the
simulation from t=0 with the moves before the chosen time (the simulation is deterministic, so it is
exactly the session as it was).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.language.actions import ACTION_ADAPTER, FACILITATOR_ACTIONS, Action
from scenarios.language.scenario import Scenario
from scenarios.language.solution import LOOK_PANELS, step_notes
from simulator.session.journal import JournalData
from simulator.session.journal_session import JournalSession
from simulator.session.simulation import Simulation
from simulator.session.snapshots import NotRestorable, SnapshotBook
from simulator.session.timed import play_timed
from simulator.views import ActionResult

EXPERT_SEAT = "expert"
"""The seat a reference solution's moves are played as."""
QUERY_LIMIT = 200
"""Longest query kept from a journal's look (journals are untrusted)."""
REASON_LIMIT = 600
"""Longest reason kept from a journal's note."""
SILENT_ACTIONS = frozenset({"note"}) | FACILITATOR_ACTIONS
"""Moves played without asking: notes (they are the reasons) and a facilitator's injects."""


@dataclass(frozen=True, slots=True)
class ExpertLook:
    """A panel the expert looked at before a move, and what they asked it."""

    panel: str
    query: str | None = None

    def label(self) -> str:
        """``logs "OOMKilled"`` or ``changes``."""
        return f"{self.panel} “{self.query}”" if self.query else self.panel


@dataclass(frozen=True, slots=True)
class ExpertMove:
    """One timed action of the expert's run, with the reason and looks shown once it is played."""

    index: int
    t: float
    seat: str
    action: Action
    why: str | None = None
    looks: tuple[ExpertLook, ...] = ()
    asked: bool = True
    """False for moves played without a question (notes, injects)."""

    @property
    def body(self) -> dict[str, Any]:
        """The action as the vocabulary spells it (no time)."""
        return self.action.model_dump(mode="json", exclude_none=True, exclude={"at"})


def moves_from_scenario(scenario: Scenario) -> list[ExpertMove]:
    """The reference solution as moves (``scenario`` must be the variant the seed plays)."""
    moves = []
    for i, step in enumerate(sorted(scenario.solution, key=lambda s: s.at or 0.0)):
        why, looks = step_notes(step)
        action = ACTION_ADAPTER.validate_python(step.model_dump(mode="json", exclude_none=True, exclude={"at"}))
        moves.append(
            ExpertMove(
                i, float(step.at or 0.0), EXPERT_SEAT, action, why, tuple(ExpertLook(x.panel, x.query) for x in looks)
            )
        )
    return moves


def moves_from_journal(data: JournalData) -> list[ExpertMove]:
    """A recorded session as moves: each seat's notes are the reasons for its next moves, its looks since
    its previous move the looks of its next one."""
    moves: list[ExpertMove] = []
    since: dict[str, float] = {}  # seat -> time of its previous asked move
    notes = [(r.t, r.seat, r.action.text) for r in data.actions if r.action.action == "note"]
    for i, record in enumerate(data.actions):
        t, seat, action = record.t, record.seat, record.action
        asked = action.action not in SILENT_ACTIONS
        why = looks = None
        if asked:
            start = since.get(seat, float("-inf"))
            why = _nearest_note(notes, seat, start, t)
            looks = tuple(_looks(data.looks, seat, start, t))
            since[seat] = t
        moves.append(ExpertMove(i, t, seat, action, why, looks or (), asked))
    return moves


def _nearest_note(notes: Sequence[tuple[float, str, str]], seat: str, start: float, t: float) -> str | None:
    # The note that explains a move is the seat's latest one since its previous move (not an older one,
    # which belonged to that previous move).
    found = [text for when, who, text in notes if who == seat and start <= when <= t]
    return _clean(found[-1], REASON_LIMIT) if found else None


def _looks(records: Iterable[Mapping[str, Any]], seat: str, start: float, t: float) -> Iterable[ExpertLook]:
    seen: list[ExpertLook] = []
    for look in records:
        when = look.get("t")
        if look.get("seat") != seat or not isinstance(when, int | float) or not start <= when <= t:
            continue
        found = _look_of(look)
        if found is not None and (not seen or seen[-1] != found):
            seen.append(found)
    return seen[-8:]


def _look_of(record: Mapping[str, Any]) -> ExpertLook | None:
    """A journal look as a panel and query (None for clock changes and the like)."""
    what = record.get("what")
    if what == "panel" and record.get("name") in LOOK_PANELS:
        return ExpertLook(str(record["name"]))
    if what == "log_query":
        text = " ".join(str(record[k]) for k in ("service", "level", "text", "trace_id") if record.get(k))
        return ExpertLook("logs", _clean(text, QUERY_LIMIT) or None)
    if what == "metric":
        text = " ".join(str(record[k]) for k in ("service", "metric", "split") if record.get(k))
        return ExpertLook("dashboards", _clean(text, QUERY_LIMIT) or None)
    if what == "trace":
        return ExpertLook("traces", _clean(str(record.get("trace_id", "")), QUERY_LIMIT) or None)
    if what == "runbook":
        return ExpertLook("runbooks", _clean(str(record.get("service", "")), QUERY_LIMIT) or None)
    return None


def _clean(text: str, limit: int) -> str:
    """Printable characters only, at most ``limit`` of them (text from a journal is data)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)[:limit].strip()


class ShadowRun:
    """A Simulation driven by an expert's timed moves; it holds before each move it asks about."""

    def __init__(
        self, scenario: Scenario, seed: int, moves: list[ExpertMove], source: str, end_t: float | None = None
    ) -> None:
        self.scenario = scenario
        self.end_t = end_t
        """When the recorded session ended (a journal's end record); None: when the simulation finishes."""
        self.seed = seed
        self.moves = moves
        self.source = source
        """``solution`` (a scenario's reference run) or the journal's path."""
        self.results: dict[int, ActionResult] = {}
        """What the engine answered to each move played (the latest playing)."""
        self.next_index = 0
        self.sim = Simulation(scenario, seed)
        self.book = self.sim.checkpoints = SnapshotBook()
        """Snapshots as the playback goes, so a rewind restores one instead of replaying from zero (the
        moves are fixed: the snapshots after a rewind's time stay true of the playback)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario, seed: int) -> ShadowRun:
        """The scenario's reference solution, as the seed's variant spells it."""
        variant = scenario.for_seed(seed)
        return cls(variant, seed, moves_from_scenario(variant), "solution")

    @classmethod
    def from_journal(cls, path: str | Path) -> ShadowRun:
        """A recorded session (raises JournalError for a bad journal or a changed scenario)."""
        journal = JournalSession.open(path)  # validated: file:line errors, the scenario byte for byte
        moves = moves_from_journal(journal.data)
        end = journal.data.end.get("t") if journal.data.end else None
        end_t = float(end) if isinstance(end, int | float) else max((m.t for m in moves), default=0.0)
        return cls(journal.scenario.for_seed(journal.seed), journal.seed, moves, str(path), end_t)

    # --- playing --------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.sim.now

    @property
    def next_move(self) -> ExpertMove | None:
        """The move the playback will play next (None once every move is played)."""
        return self.moves[self.next_index] if self.next_index < len(self.moves) else None

    @property
    def asked_moves(self) -> list[ExpertMove]:
        """The moves the trainee is asked to predict."""
        return [m for m in self.moves if m.asked]

    def at_move(self) -> bool:
        """True when the clock has reached the next move: play it (or ask about it) before advancing."""
        move = self.next_move
        return move is not None and self.sim.now >= move.t

    def over(self) -> bool:
        """Every move is played and the recorded session's end (or the simulation's) is reached."""
        if self.next_move is not None:
            return False
        return self.sim.finished or (self.end_t is not None and self.sim.now >= self.end_t)

    def advance(self, dt: float) -> None:
        """Run the clock ``dt`` forward, but never past the next move (nor a recorded session's end)."""
        target = self.sim.now + dt
        move = self.next_move
        if move is not None:
            target = min(target, move.t)
        elif self.end_t is not None:
            target = min(target, self.end_t)
        self.sim.run_until(target)

    def play_next(self) -> ActionResult:
        """Apply the next move now, as the seat that made it."""
        move = self.next_move
        assert move is not None and self.at_move(), "play_next only once the clock has reached the move"
        result = self.sim.apply(move.action, move.seat)
        self._played(move, result)
        return result

    def _played(self, move: ExpertMove, result: ActionResult) -> None:
        self.results[move.index] = result
        self.next_index += 1

    def play_silent_moves(self) -> None:
        """Play every due move that is not asked about (notes, injects)."""
        while self.at_move() and not self.next_move.asked:
            self.play_next()

    def rewind(self, t: float) -> None:
        """To simulated time ``t`` (usually back): the moves before ``t`` played, from the latest snapshot
        at or before ``t`` that holds exactly the moves before its time (from zero when there is none)."""
        t = max(0.0, min(t, self.scenario.duration))
        done = 0
        for snapshot in reversed(self.book.snapshots):
            done = bisect.bisect_left([m.t for m in self.moves], snapshot.t)
            if snapshot.t <= t and done == snapshot.applied:
                try:
                    self.sim = snapshot.restore()
                    break
                except NotRestorable:  # the ring buffers have wrapped since: an earlier one may do
                    continue
        else:
            done, self.sim = 0, Simulation(self.scenario, self.seed)
        self.sim.checkpoints = self.book
        self.next_index = done
        self.results = {i: r for i, r in self.results.items() if i < done}  # the same moves, the same answers
        # The journal's replay loop, stopping *before* the moves at t (their question opens again).
        play_timed(self.sim, self.moves[done:], t, through=t, before=True, played=self._played)

    def rewind_to_move(self, index: int) -> None:
        """Back to just before move ``index`` (its question opens again)."""
        move = self.moves[index]
        self.rewind(move.t)
        while self.next_index < index:  # moves at the same second, played before this one
            self.play_next()
