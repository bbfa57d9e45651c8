"""Shadow on-call in the console: the expert's run plays; before each move the trainee predicts it.

:class:`ShadowConsole` is the full incident console over a :class:`tui.shadow_session.ShadowSession`,
plus a strip at the bottom that says what is happening: watching, the question (what the expert
looked at, and the choices), or the expert's move with its reason and the verdict. Panels stay free to
explore while the playback waits. A move's reason is only ever drawn once the move has been played.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from scenarios.durations import format_clock
from simulator.session import ShadowPlayback, describe
from tui.registry import SPEED_KEYS
from tui.screens.console import ConsoleScreen
from tui.screens.lifecycle import while_shown
from tui.shadow_session import ShadowSession
from tui.widgets.log_buffer import LogQuery

VERDICT_TEXT = {
    "match": ("✓ Same move as the expert.", "green"),
    "trap": ("✗ That is one of this incident's traps: ", "red"),
    "other": ("· A different move from the expert's.", "yellow"),
}
SPEED_BY_KEY = dict(SPEED_KEYS)
CHECK_SECONDS = 0.2
"""How often the strip checks whether the playback changed state (a question opening)."""


def _plain(text: str) -> str:
    """Text from a scenario or journal, shown as data: printable characters only."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


class ShadowStrip(Vertical):
    """What the playback is doing: watching, asking (choices below), or revealing the expert's move."""

    DEFAULT_CSS = """
    ShadowStrip { dock: bottom; height: auto; max-height: 16; background: $panel; padding: 0 1;
                  border-top: hkey $accent; }
    ShadowStrip #shadow-text { height: auto; }
    ShadowStrip #shadow-choices, ShadowStrip #shadow-choices:focus { height: auto; max-height: 9; border: none;
                                                                     padding: 0; }
    ShadowStrip.-quiet #shadow-choices { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="shadow-text", markup=False)
        yield OptionList(id="shadow-choices")

    def show(self, playback: ShadowPlayback) -> None:
        """Redraw for the playback's state."""
        text = Text()
        choices = self.query_one(OptionList)
        run = playback.run
        asked = [m for m in run.asked_moves]
        done = len(playback.predictions)
        head = f"SHADOW  {len(asked)} expert moves · {done} predicted · {playback.summary().matched} matched"
        text.append(head + "\n", style="bold")
        if playback.state == "watching":
            move = run.next_move
            when = f"next move at {format_clock(move.t)}" if move else "after the last move"
            text.append(f"Watching the expert's run ({when}). The playback pauses before each move.", style="dim")
            played = [m for m in asked if m.index < run.next_index]
            if played:  # already revealed: its reason may stay in view
                last = played[-1]
                text.append(f"\nLast move {format_clock(last.t)}: {_plain(describe(last.body))}", style="bold")
                if last.why:
                    text.append(f" · {_plain(last.why)}")
            self._options(choices, [])
        elif playback.state == "asking":
            move = playback.move
            assert move is not None
            who = "" if move.seat == "expert" else f" ({move.seat})"
            text.append(f"{format_clock(move.t)}  The expert{who} is about to act.\n", style="bold yellow")
            if move.looks:
                text.append(
                    "They looked at: " + ", ".join(_plain(look.label()) for look in move.looks) + "  (v follow)\n"
                )
            text.append("What would you do next? ", style="bold")
            text.append("1-9/enter pick · x write your own · 0 skip · b rewind · k ask mentor", style="dim")
            self._options(choices, [f"{i}. {_plain(c.label)}" for i, c in enumerate(playback.choices, 1)])
        elif playback.state == "revealed" and playback.reveal is not None:
            reveal = playback.reveal
            move = reveal.move
            text.append(
                f"{format_clock(move.t)}  Expert: {_plain(describe(move.body))}",
                style="bold",
            )
            mark = "accepted" if reveal.result.accepted else "rejected"
            text.append(f"  ({mark}: {_plain(reveal.result.message)})\n", style="dim")
            text.append("Why: ", style="bold")
            text.append(_plain(move.why) if move.why else "(no reason recorded)")
            text.append("\n")
            if reveal.prediction is not None:
                verdict, style = VERDICT_TEXT[reveal.prediction.verdict]
                text.append(f"You: {_plain(reveal.prediction.picked)}  ", style="bold")
                text.append(verdict, style=style)
                if reveal.prediction.trap:
                    text.append(_plain(reveal.prediction.trap), style=style)
                text.append("\n")
            text.append("n continue · b rewind · k ask mentor", style="dim")
            self._options(choices, [])
        else:
            text.append("The expert's run is over. The debrief follows.", style="bold")
            self._options(choices, [])
        self.query_one("#shadow-text", Static).update(text)

    def _options(self, choices: OptionList, labels: list[str]) -> None:
        self.set_class(not labels, "-quiet")
        if [str(o.prompt) for o in choices.options] == labels:
            return
        choices.clear_options()
        choices.add_options([Option(Text(label), id=str(i)) for i, label in enumerate(labels, 1)])
        if labels:
            choices.highlighted = 0


class MentorQuestion(ModalScreen[str | None]):
    """Write a question for the mentor; enter keeps it, escape drops it."""

    DEFAULT_CSS = """
    MentorQuestion { align: center middle; }
    MentorQuestion > Vertical { width: 72; max-width: 95%; height: auto; padding: 1 2;
                                border: thick $accent; background: $surface; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="shadow.question.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("A question for your mentor (enter keeps it for the debrief):", markup=False)
            yield Input(placeholder="why did they look at the change log first?", max_length=500, id="question")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class ShadowConsole(ConsoleScreen):
    """The incident console over an expert's run, with the prediction strip."""

    BINDINGS = [
        # The console's speed keys are digits too: these replace them, and set the speed while no question is open.
        *(Binding(str(n), f"digit({n})", f"Predict {n}", show=False, id=f"shadow.answer{n}") for n in range(1, 10)),
        Binding("0", "answer(0)", "Skip the question", show=False, id="shadow.skip"),
        Binding("n", "proceed", "Continue", id="shadow.continue"),
        Binding("b", "rewind", "Rewind", id="shadow.rewind"),
        Binding("k", "ask_mentor", "Question for the mentor", id="shadow.question"),
        Binding("v", "follow_looks", "Follow the expert's looks", show=False, id="shadow.looks"),
    ]

    def __init__(self, session: ShadowSession) -> None:
        super().__init__(session)
        self.shadow = session
        self._shown: tuple = ()
        self._look = 0

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield ShadowStrip(id="shadow-strip")

    def on_mount(self) -> None:
        # ConsoleScreen.on_mount runs too (Textual calls every class's handler).
        self.set_interval(CHECK_SECONDS, self.check_playback)
        self.check_playback()

    # --- the strip -----------------------------------------------------------------------------------

    @while_shown
    def check_playback(self) -> None:
        """Redraw the strip when the playback changed state; focus the choices when a question opens."""
        playback = self.shadow.playback
        shown = (playback.state, playback.run.next_index, len(playback.predictions), len(playback.choices))
        if shown == self._shown:
            return
        opened = playback.state == "asking" and (not self._shown or self._shown[0] != "asking")
        self._shown = shown
        self.query_one(ShadowStrip).show(playback)
        if opened:
            self._look = 0
            self.query_one("#shadow-choices", OptionList).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.shadow.state
        if action in ("answer", "follow_looks"):
            return state == "asking"
        if action == "proceed":
            return state == "revealed"
        return super().check_action(action, parameters)

    # --- keys ----------------------------------------------------------------------------------------

    def action_digit(self, number: int) -> None:
        """A digit key: the answer while a question is open, else the console's clock speed key."""
        if self.shadow.state == "asking":
            self.action_answer(number)
        elif str(number) in SPEED_BY_KEY:
            self.action_speed(SPEED_BY_KEY[str(number)])

    def action_answer(self, number: int) -> None:
        """Pick choice ``number`` (0 skips)."""
        if self.shadow.state != "asking":
            return
        if number and number > len(self.shadow.playback.choices):
            self.notify(f"Choose 1 to {len(self.shadow.playback.choices)}.", timeout=3)
            return
        self.shadow.answer(number or None)
        self._after_answer()

    @on(OptionList.OptionSelected, "#shadow-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_answer(int(event.option.id or 0))

    def _after_answer(self) -> None:
        self.check_playback()
        self.action_leave_field()
        self.refresh_panels()

    def action_proceed(self) -> None:
        """Let the playback run on."""
        self.shadow.proceed()
        self.check_playback()

    def action_rewind(self) -> None:
        """Back to the previous question: the console is rebuilt over the replayed simulation."""
        if not self.shadow.rewind():
            self.notify("Nothing to rewind to yet.", timeout=3)
            return
        self.app.switch_screen(ShadowConsole(self.shadow))

    def action_ask_mentor(self) -> None:
        """Write a question for the mentor; it goes into the debrief at this moment."""

        def keep(text: str | None) -> None:
            if text and text.strip():
                try:
                    self.shadow.mark(text)
                except ValueError as err:
                    self.notify(str(err), title="Question not kept", severity="error", timeout=5, markup=False)
                    return
                self.notify("Kept for the debrief.", title="Question for the mentor", timeout=3)

        self.app.push_screen(MentorQuestion(), keep)

    async def action_follow_looks(self) -> None:
        """Open the panels the expert looked at before this move, one per key press (logs with their query)."""
        move = self.shadow.playback.move
        if move is None or not move.looks:
            self.notify("No looks recorded for this move.", timeout=3)
            return
        look = move.looks[self._look % len(move.looks)]
        self._look += 1
        await self.action_show_panel(look.panel)
        if look.panel == "logs" and look.query:
            self.panel("logs").run_query(LogQuery(text=look.query))
        if look.query:
            self.notify(f"They asked: {_plain(look.query)}", title=look.panel, timeout=4, markup=False)

    def _apply(self, action) -> None:
        super()._apply(action)
        self._after_answer()
