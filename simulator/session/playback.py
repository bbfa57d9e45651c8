"""The shadow playback's state: watching, asking before a move, showing the move and its reason.

:class:`ShadowPlayback` is what a shadow view drives: ``step(dt)`` runs the clock until the next move
the trainee is asked about; ``answer`` (a choice) or ``answer_action`` (free input) records the
prediction, plays the expert's move and reveals its reason; ``proceed`` lets the clock run again;
``rewind`` goes back one question. The first answer to a question is the one the debrief counts: a
trainee who rewinds has already seen the reason.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

from simulator.incident import responder
from simulator.session.predictions import Choice, Prediction, choices_for, describe, judge
from simulator.session.shadow import ExpertMove, ShadowRun
from simulator.views import ActionResult

State = Literal["watching", "asking", "revealed", "ended"]
QUESTION_LIMIT = 500
"""Longest question a trainee may mark for the mentor."""
MAX_QUESTIONS = 100
"""Questions one shadow session keeps (the debrief and the history row stay bounded)."""


@dataclass(frozen=True, slots=True)
class MarkedQuestion:
    """Something the trainee wants to ask the mentor, at a moment of the run."""

    t: float
    text: str
    move_index: int | None
    """The move that was next (or being shown) when it was marked."""

    def as_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "text": self.text, "move": self.move_index}


@dataclass(frozen=True, slots=True)
class Reveal:
    """What the trainee sees once a move is played: the move, its reason and looks, and the verdict."""

    move: ExpertMove
    result: ActionResult
    prediction: Prediction | None
    """None when the question had been answered before a rewind (the first answer counts)."""


@dataclass
class ShadowSummary:
    """The shadow debrief's material (also what the history store keeps)."""

    scenario: str
    seed: int
    source: str
    moves: list[ExpertMove]
    predictions: list[Prediction]
    questions: list[MarkedQuestion]

    @property
    def matched(self) -> int:
        return sum(p.verdict == "match" for p in self.predictions)

    @property
    def traps(self) -> list[Prediction]:
        """The moments the trainee would have gone wrong."""
        return [p for p in self.predictions if p.verdict == "trap"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "source": self.source,
            "asked": len(self.predictions),
            "matched": self.matched,
            "traps": len(self.traps),
            "predictions": [p.as_dict() for p in self.predictions],
            "questions": [q.as_dict() for q in self.questions],
        }


class ShadowPlayback:
    """An expert's run played to a trainee who predicts each move before it happens."""

    def __init__(self, run: ShadowRun) -> None:
        self.run = run
        self.state: State = "watching"
        self.choices: list[Choice] = []
        self.reveal: Reveal | None = None
        self.predictions: dict[int, Prediction] = {}
        self.questions: list[MarkedQuestion] = []

    # --- the clock ------------------------------------------------------------------------------

    @property
    def move(self) -> ExpertMove | None:
        """The move being asked about (or the next one while watching)."""
        return self.run.next_move

    def step(self, dt: float) -> None:
        """Run the clock up to ``dt`` forward while watching; opens the question when a move is due."""
        if self.state != "watching":
            return
        self.run.play_silent_moves()
        if not self.run.at_move():
            self.run.advance(dt)
            self.run.play_silent_moves()
        if self.run.at_move():
            self._ask()
        elif self.run.over():
            self.state = "ended"

    def _ask(self) -> None:
        move = self.run.next_move
        assert move is not None
        sim = self.run.sim
        # One stream per question, so the same question after a rewind offers the same choices.
        rng = random.Random(f"{self.run.seed}:shadow:{move.index}")
        # The recent changes a choice may undo are the system's, not the expert's own (the change log
        # names the seat that acted: "expert" for a reference solution, "you" or a game day's seats for a
        # journal).
        actors = {responder(m.seat) for m in self.run.moves}
        self.choices = choices_for(
            move.body,
            sim.scenario.traps,
            sim.services(),
            [c for c in sim.change_log() if c.by not in actors],
            sim.zones(),
            list(sim.flags()),
            sim.now,
            rng,
        )
        self.state = "asking"

    # --- answering ------------------------------------------------------------------------------

    def answer(self, number: int | None) -> Reveal:
        """Answer with choice ``number`` (1-based), or None to skip; plays the expert's move."""
        assert self.state == "asking", "no question is open"
        if number is None:
            return self._play("(skipped)", None, free=False)
        if not 1 <= number <= len(self.choices):
            raise ValueError(f"choose 1 to {len(self.choices)}")
        choice = self.choices[number - 1]
        return self._play(choice.label, choice.body, free=False)

    def answer_action(self, body: dict[str, Any]) -> Reveal:
        """Answer with an action written in the normal action form."""
        assert self.state == "asking", "no question is open"
        return self._play(describe(body), body, free=True)

    def _play(self, label: str, body: dict[str, Any] | None, free: bool) -> Reveal:
        move = self.run.next_move
        assert move is not None
        prediction = None
        if move.index not in self.predictions:
            verdict, trap = judge(body, move.body, self.run.sim.scenario.traps) if body else ("other", None)
            prediction = Prediction(move.index, move.t, describe(move.body), label, verdict, trap, free)
            self.predictions[move.index] = prediction
        result = self.run.play_next()
        self.reveal = Reveal(move, result, prediction or self.predictions.get(move.index))
        self.state = "revealed"
        return self.reveal

    def proceed(self) -> None:
        """Let the clock run again after a reveal."""
        if self.state == "revealed":
            self.state = "ended" if self.run.over() else "watching"
            self.reveal = None

    # --- going back -----------------------------------------------------------------------------

    def rewind(self) -> ExpertMove | None:
        """Back to just before the previous asked move (or this one's question, while revealed); it asks again."""
        played = [m for m in self.run.asked_moves if m.index < self.run.next_index]
        if not played:
            return None
        target = played[-1]
        self.run.rewind_to_move(target.index)
        self.reveal = None
        self._ask()
        return target

    # --- questions for the mentor ---------------------------------------------------------------

    def mark(self, text: str) -> MarkedQuestion:
        """Keep a question for the mentor at this moment (text is trimmed to printable characters)."""
        clean = "".join(ch if ch.isprintable() else " " for ch in text).strip()[:QUESTION_LIMIT]
        if not clean:
            raise ValueError("write the question first")
        if len(self.questions) >= MAX_QUESTIONS:
            raise ValueError(f"{MAX_QUESTIONS} questions are kept already: bring those to your mentor first")
        move = self.run.next_move if self.state != "revealed" or self.reveal is None else self.reveal.move
        question = MarkedQuestion(self.run.now, clean, move.index if move else None)
        self.questions.append(question)
        return question

    def summary(self) -> ShadowSummary:
        """Predictions in move order, and the marked questions."""
        return ShadowSummary(
            self.run.scenario.id,
            self.run.seed,
            self.run.source,
            list(self.run.moves),
            [self.predictions[i] for i in sorted(self.predictions)],
            list(self.questions),
        )
