"""The seat's terminal: the single-player app and console over a RemoteSession, plus the observer's guess."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.widgets import Label

import tui.app
from scenarios.text import clean
from tui.app import MisfortuneApp
from tui.gameday.facilitator import PromptDialog
from tui.gameday.mentor import MENTOR_ROLE
from tui.gameday.mentor_view import TruthScreen
from tui.gameday.seat import RemoteSession
from tui.screens.console import ConsoleScreen
from tui.widgets.pager import PagerPanel

GUESS_KEY = "G"
"""Shift+g: plain g is the console's Pager tab (the console's binding would win)."""
FACILITATOR_ACTIONS = frozenset({"toggle_pause", "speed"})
"""Console keys that are the facilitator's in a game day: hidden from every seat's footer."""
READ_ONLY_PAGER_TITLE = "Pages"
"""The pager's title on a seat that cannot acknowledge (its usual one offers [a])."""


class SeatConsole(ConsoleScreen):
    """The incident console for a seat; observers also get G to submit their root-cause guess.

    Keys a seat's role cannot use are hidden (the clock is the facilitator's; observers do not ack);
    the host refuses them anyway.
    """

    BINDINGS = [
        *ConsoleScreen.BINDINGS,
        Binding(GUESS_KEY, "guess", "Guess the root cause", id="seat.guess"),
        Binding("W", "whisper", "Whisper to the trainee", id="seat.mentor.whisper"),
        Binding("M", "flag_moment", "Flag this moment", id="seat.mentor.flag"),
        Binding("T", "truth", "The hidden truth", id="seat.mentor.truth"),
    ]
    MENTOR_ACTIONS = frozenset({"whisper", "flag_moment", "truth"})

    _whispers_seen = 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        if not isinstance(session, RemoteSession):
            return super().check_action(action, parameters)
        if action == "guess":
            return session.role == "observer" and not session.spectator
        if action in self.MENTOR_ACTIONS:
            return session.role == MENTOR_ROLE and not session.spectator
        if action in FACILITATOR_ACTIONS or (action == "ack" and "ack" not in session.allowed):
            return False
        if action == "profile" and _read_only(session):
            return False  # the host refuses an observer's profile; do not offer the keys
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        session = self.session
        if isinstance(session, RemoteSession) and _read_only(session):
            # Textual runs ConsoleScreen.on_mount too; the pager is composed with the screen.
            self.query_one(PagerPanel).query_one(".panel-title", Label).update(READ_ONLY_PAGER_TITLE)

    def action_guess(self) -> None:
        def answered(text: str | None) -> None:
            if text:
                reason = self.session.guess(text)
                self.notify(
                    clean(reason) or "Guess recorded: it is shown in the debrief.",
                    severity="error" if reason else "information",
                    markup=False,
                )

        self.app.push_screen(PromptDialog("Your guess of the root cause:"), answered)

    # --- reverse shadow ---------------------------------------------------------------------------

    def refresh_panels(self) -> None:
        """The console's refresh, plus any whisper a mentor sent this (trainee) seat."""
        super().refresh_panels()
        session = self.session
        if isinstance(session, RemoteSession):
            whispers = list(session.whispers)
            for _t, seat, text in whispers[self._whispers_seen :]:
                self.notify(clean(text), title=f"{clean(seat)} whispers", timeout=20, markup=False)
            self._whispers_seen = len(whispers)

    def action_whisper(self) -> None:
        """A hint only the trainee seats see."""
        self._mentor_prompt("Whisper to the trainee (only they see it):", self.session.whisper, "Whispered.")

    def action_flag_moment(self) -> None:
        """Mark this moment for the debrief."""
        self._mentor_prompt("Flag this moment for the debrief:", self.session.flag, "Flagged for the debrief.")

    def action_truth(self) -> None:
        """The hidden truth, sent to the mentor seat only."""
        truth = getattr(self.session, "truth", None)
        if truth:
            self.app.push_screen(TruthScreen(truth))

    def _mentor_prompt(self, question: str, send, done: str) -> None:
        def answered(text: str | None) -> None:
            if text:
                reason = send(text)
                self.notify(clean(reason) or done, severity="error" if reason else "information", markup=False)

        self.app.push_screen(PromptDialog(question), answered)


def _read_only(session: RemoteSession) -> bool:
    return session.spectator or session.role in ("observer", MENTOR_ROLE)


class SeatApp(MisfortuneApp):
    """MisfortuneApp for a game-day seat: the host holds the clock; only the IMOC may call time.

    There is no home screen: going home would start a single-player session on this terminal.
    """

    CSS_PATH = Path(tui.app.__file__).parent / "app.tcss"  # relative paths resolve from the subclass's module

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go_home" and isinstance(self.session, RemoteSession):
            return False
        return super().check_action(action, parameters)

    def action_go_home(self) -> None:
        if isinstance(self.session, RemoteSession):
            self.notify("A game-day seat has no home screen: q leaves the game day.", severity="warning")
            return
        super().action_go_home()

    def show_debrief(self) -> None:
        session = self.session
        if isinstance(session, RemoteSession) and not session.finished and session.role != "imoc":
            self.notify("Only the IMOC or the facilitator ends the incident.", severity="warning")
            return
        super().show_debrief()


def seat_app(seat: RemoteSession) -> SeatApp:
    """The app a `misfortune join` opens, straight on the console."""
    app = SeatApp(seat, "console", console=SeatConsole)
    app.sub_title = f"game day · {seat.seat}" + (" · spectator" if seat.spectator else "")
    return app
