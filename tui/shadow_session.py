"""The shadow session: an expert's run behind the SessionPort, so the full console shows it.

It is a :class:`tui.session.LocalSession` whose Simulation is driven by a
:class:`simulator.session.playback.ShadowPlayback` instead of by the trainee: ``pump`` runs the clock
until the next expert move and holds there while the trainee predicts; the action form answers the
open question instead of acting. Nothing is journalled: it is the expert's run, not the trainee's.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from scenarios import load_by_ref
from scenarios.language.actions import Action
from simulator.incident import responder
from simulator.session import EXPERT_SEAT, Reveal, ShadowPlayback, ShadowRun, ShadowSummary
from simulator.views import ActionResult, ChangeRecord
from tui.session import LocalSession

EXPERT = "the expert"
"""Who acts in a shadow session: the roles and the change log name the expert, never "you"."""

DEFAULT_SPEED = 10.0
"""Playback speed between the expert's moves (the command line's default; importing it loads no UI)."""

WATCHING_REFUSAL = (
    "you are shadowing: the expert acts. When the playback pauses before their next move, "
    "write what you would do here (or pick 1-9) and it is compared with theirs"
)


class ShadowSession(LocalSession):
    """A recorded run played back in the console; the trainee predicts, the expert acts."""

    def __init__(self, playback: ShadowPlayback, scenario_path: Path | None = None) -> None:
        super().__init__(playback.run.sim, scenario_path, None)
        self.playback = playback
        self.role_holders = dict.fromkeys(self.role_holders, EXPERT)

    @classmethod
    def open(cls, ref: str, seed: int) -> ShadowSession:
        """``ref``: a journal file (``.jsonl``) or a scenario id/path (its reference solution).

        Raises ScenarioError or JournalError for bad input.
        """
        if ref.endswith(".jsonl"):
            return cls(ShadowPlayback(ShadowRun.from_journal(ref)))
        scenario, path = load_by_ref(ref)
        return cls(ShadowPlayback(ShadowRun.from_scenario(scenario, seed)), path)

    def change_log(self) -> list[ChangeRecord]:
        """The change log, the expert's changes named as theirs: a reference solution plays as the seat
        "expert", a journal as its own seats, and the simulation writes "you" for a trainee's."""
        ours = {responder("trainee"), EXPERT_SEAT}
        return [replace(c, by=EXPERT) if c.by in ours else c for c in self.sim.change_log()]

    # --- the clock ------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """Every move played and its reason seen (the last reveal holds the debrief back)."""
        return self.playback.state == "ended"

    def pump(self, wall_seconds: float) -> None:
        """Run the playback by speed x wall time; it holds by itself at each question."""
        if self._speed and self.playback.state == "watching":
            self.playback.step(self._speed * wall_seconds)
        if self.finished and self.sim.ended_at is None:
            self.sim.end("resolved" if self.sim.incident.state == "resolved" else "time_up")

    # --- the trainee ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """watching, asking, revealed or ended."""
        return self.playback.state

    def answer(self, number: int | None) -> Reveal:
        """Pick choice ``number`` (1-based) or skip; the expert's move is played and revealed."""
        return self.playback.answer(number)

    def apply(self, action: Action) -> ActionResult:
        """While a question is open, the action is the trainee's prediction; otherwise it is refused."""
        if self.playback.state != "asking":
            return ActionResult(False, WATCHING_REFUSAL, action.action, self.now)
        body = action.model_dump(mode="json", exclude_none=True, exclude={"at"})
        reveal = self.playback.answer_action(body)
        verdict = reveal.prediction.verdict if reveal.prediction else "other"
        return ActionResult(
            True, f"prediction recorded ({verdict}); the expert's move is shown below", action.action, self.now
        )

    def proceed(self) -> None:
        """Let the playback run on after a reveal."""
        self.playback.proceed()
        if self.finished and self.sim.ended_at is None:
            self.sim.end("resolved" if self.sim.incident.state == "resolved" else "time_up")

    def rewind(self) -> bool:
        """Back to the previous question (a fresh simulation replayed to it); False when there is none."""
        target = self.playback.rewind()
        self.sim = self.playback.run.sim
        return target is not None

    def mark(self, text: str) -> None:
        """A question for the mentor, at this moment (ValueError for an empty one)."""
        self.playback.mark(text)

    def take_profile(self, kind: str, instance: str, seconds: float = 30.0):
        """Profiles are taken as the trainee (they look; the expert's run is not changed by looking)."""
        return self.sim.take_profile(kind, instance, seconds, self.seat)

    def summary(self) -> ShadowSummary:
        """The shadow debrief's material."""
        return self.playback.summary()

    def end_now(self, reason: str = "gave_up") -> None:
        """Stop watching: the debrief shows the predictions made so far."""
        self.playback.state = "ended"
        self.sim.end(reason)

    def look(self, what: str, **detail: Any) -> None:
        """The trainee's looks stay in memory (for the mentor); there is no journal to write."""
        self.sim.look(what, self.seat, **detail)
