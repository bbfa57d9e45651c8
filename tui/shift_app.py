"""The shift in the TUI: the board, each incident's console, the handoff form and the shift report.

One timer pumps the whole shift (every incident and the noise between them) by the wall time that
passed, whichever screen is up, so quiet stretches, pages and a second incident all arrive while the
trainee is busy with the first. ctrl+t goes from an incident's console back to the board.
"""

from __future__ import annotations

from pathlib import Path
from time import monotonic
from typing import Any

from textual.app import App
from textual.binding import Binding

from simulator.shift import END_SHIFT_OVER, shift_report
from tui.follow_through import record_shift
from tui.screens.dialogs import ConfirmDialog
from tui.screens.handoff import HandoffForm
from tui.screens.shift import ShiftBoard, ShiftReportScreen
from tui.shift_session import ShiftDriver, ShiftIncidentSession

TICK = 0.1
MAX_STEP = 1.0


class ShiftApp(App[None]):
    """A whole on-call shift in the terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "misfortune shift"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="shift_app.quit", priority=True),
        Binding("ctrl+t", "board", "Back to the shift board", id="shift_app.board", priority=True),
    ]

    def __init__(
        self, driver: ShiftDriver, previous: dict[str, Any] | None = None, follow_ups: str = "", clock: bool = True
    ) -> None:
        super().__init__()
        self.driver = driver
        self.previous = previous
        self.follow_ups = follow_ups
        self.clock_enabled = clock
        self.resume_hint: str | None = None
        self.reported = False
        self._last_tick = monotonic()
        self.animation_level = "none"

    def on_mount(self) -> None:
        self.push_screen(ShiftBoard(self.driver, self.previous, self.follow_ups))
        if self.clock_enabled:
            self._last_tick = monotonic()
            self.set_interval(TICK, self.tick, name="shift-clock")

    def tick(self) -> None:
        """Pump the shift by the wall time since the last tick."""
        now = monotonic()
        wall, self._last_tick = min(now - self._last_tick, MAX_STEP), now
        self.advance_clock(wall)

    def advance_clock(self, wall_seconds: float) -> None:
        """Pump ``wall_seconds`` of wall time into the shift (tests call this directly)."""
        if self.reported or isinstance(self.screen, (HandoffForm, ConfirmDialog)):
            return  # writing the note or answering a question holds the clock
        self.driver.pump(wall_seconds)
        if self.driver.shift.finished:
            self.show_shift_report()

    # --- the flow ---------------------------------------------------------------------------

    def open_incident(self, number: int) -> None:
        """The incident console of incident ``number``, over the board."""
        from tui.screens.console import ConsoleScreen

        run = self.driver.shift.run_of(number)
        if run is None:
            self.notify(f"incident #{number} has not arrived", severity="warning")
            return
        name = f"incident-{number}"
        if not self.is_screen_installed(name):
            # Installed, so going back to the board keeps the console (its panels, its scroll positions)
            # for the next visit instead of tearing it down while it may still be building panels.
            self.install_screen(ConsoleScreen(ShiftIncidentSession(self.driver, run)), name)
        self.push_screen(name)
        self.notify("ctrl+t: back to the shift board", timeout=4)

    def action_board(self) -> None:
        """Back to the shift board from an incident's console."""
        if isinstance(self.screen, (HandoffForm, ConfirmDialog, ShiftReportScreen)):
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def show_debrief(self) -> None:
        """An incident's console saw its incident end: back to the board with the outcome."""
        report = None
        for screen in self.screen_stack:
            session = getattr(screen, "session", None)
            if isinstance(session, ShiftIncidentSession) and session.finished:
                report = session.run
        self.action_board()
        if report is not None:
            outcome = report.sim.score().outcome
            self.notify(f"incident #{report.number} is over: {outcome}", title="Incident", timeout=8)

    def write_handoff(self) -> None:
        """Open the handoff form; a saved note is applied to the shift as a step."""
        from simulator.shift import ShiftStep

        def saved(note) -> None:
            if note is None:
                return
            result = self.driver.apply(ShiftStep(self.driver.shift.now, note))
            self.notify(result.message, severity="information" if result.accepted else "warning", markup=False)

        self._last_tick = monotonic()
        self.push_screen(HandoffForm(), saved)

    def end_shift(self) -> None:
        """End the shift now (asks first) and show the report."""

        def answered(end: bool | None) -> None:
            self._last_tick = monotonic()
            if end:
                self.driver.shift.end(END_SHIFT_OVER)
                self.show_shift_report()

        note = "" if self.driver.shift.handoff is not None else "No handoff note yet: h writes one. "
        self.push_screen(
            ConfirmDialog("End the shift now?", note + "It is scored as it stands.", yes="End it"), answered
        )

    def show_shift_report(self) -> None:
        """The shift is over: the report."""
        if self.reported:
            return
        self.reported = True
        if self.driver.shift.ended_at is None:
            self.driver.shift.end(END_SHIFT_OVER)
        self.driver.close()
        if self.driver.journal_path:
            shift = self.driver.shift
            added, problem = record_shift(shift, shift_report(shift), str(Path(self.driver.journal_path).resolve()))
            if added:
                self.notify(f"{added} follow-up(s) recorded: misfortune follow-ups", timeout=10)
            if problem:
                self.notify(problem, title="Follow-ups", severity="warning", timeout=15)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(ShiftReportScreen(self.driver))

    async def action_quit(self) -> None:
        """Quit; before the end, the journal is kept for ``misfortune shift --resume``."""
        if not self.reported:
            self.driver.close()
            if self.driver.journal_path:
                self.resume_hint = f"misfortune shift --resume {self.driver.journal_path}"
        self.exit()
