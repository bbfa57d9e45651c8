"""The misfortune Textual app: one clock, and the flow home -> briefing -> console -> debrief.

The app owns the simulation clock: one timer every ``TICK`` wall seconds pumps the session by the wall
time that really passed (monotonic), so a slow frame never loses simulated time and a pause never
gains it. The clock only runs while the incident console is the screen underneath; the briefing and
the quit confirmation hold it.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from scenarios.text import clean
from tui.screens.dialogs import ConfirmDialog
from tui.screens.help import HelpScreen

# The screens and the session are imported where they are first needed: they bring the simulator and
# the scenario language (~0.5 s), and the home screen's first frame must not wait for them
# (bench/tui_startup.py; tests/tui/test_lazy_start.py).
if TYPE_CHECKING:
    from tui.port import SessionPort

TICK = 0.1
"""Wall seconds between clock pumps."""
MAX_STEP = 1.0
"""Longest wall step pumped at once: a suspended laptop does not fast-forward the incident."""
ANIMATIONS_ENV = "TEXTUAL_ANIMATIONS"
"""Textual's own switch for animations; unset, misfortune turns them off (see MisfortuneApp)."""
THEME_ENV = "MISFORTUNE_THEME"
"""Environment variable naming a Textual theme (e.g. textual-light for light terminals)."""

PENDING_WORKER = "start the pending session"
"""Name of the worker thread that starts ``misfortune play``'s session after the first frame."""

ConsoleFactory = Callable[["SessionPort"], Screen]


def _console_screen(session: SessionPort) -> Screen:
    # Imported here: the console is the heaviest screen, and the home screen should draw without it.
    from tui.screens.console import ConsoleScreen

    return ConsoleScreen(session)


class MisfortuneApp(App[None]):
    """The trainee's terminal.

    Open it on the wheel (``MisfortuneApp()``), on a new session's briefing (:meth:`play`) or on a
    resumed session's console (:meth:`resume`). ``spin_seed`` fixes the wheel (tests, snapshots);
    ``console`` replaces the console screen (tests); ``clock=False`` leaves pumping to the caller.
    """

    CSS_PATH = "app.tcss"
    TITLE = "misfortune"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("ctrl+g", "give_up", "End now, see the debrief", id="app.give_up", show=False),
    ]

    def __init__(
        self,
        session: SessionPort | None = None,
        opening: str = "home",
        speed: float = 1.0,
        spin_seed: int | None = None,
        console: ConsoleFactory | None = None,
        clock: bool = True,
        pending: tuple[str, int] | None = None,
    ) -> None:
        super().__init__()
        if opening not in ("home", "briefing", "console"):
            raise ValueError(f"unknown opening screen {opening!r}")
        if opening != "home" and session is None and not (opening == "briefing" and pending):
            raise ValueError(f"opening on the {opening} needs a session")
        self.pending = pending
        """(scenario, seed) of a session to start once the briefing is on screen (:meth:`play_later`)."""
        self.start_error: str | None = None
        """Why the pending session could not start: printed by the command line, which exits 2."""
        self.session: SessionPort | None = session
        self.opening = opening
        self.speed = speed
        self.rng = random.Random(spin_seed)
        self.console_factory = console or _console_screen
        self.clock_enabled = clock
        self.clock_running = False
        """True while the incident console is up: the timer pumps the session."""
        self.ended = False
        """The current session has ended and its debrief has been shown."""
        self.resume_hint: str | None = None
        self.live_exports = None
        """A tui.live_exports.LiveExports fed after every clock pump (play --metrics/--otlp)."""
        """Printed by the command line after exit when a session was left mid-incident."""
        self.journal_notice: str | None = None
        """Shown once the screen is up: what resume repaired in the journal (a torn last line)."""
        self._last_tick = monotonic()
        self.last_input = monotonic()
        """When the latest key or mouse event came (monotonic): the console settles the heap while none
        comes (tui.heap)."""
        if not os.environ.get(ANIMATIONS_ENV):
            # A key press should show its result at once: the tab underline's 0.3 s slide alone tripled the
            # time from a panel key to the settled screen (bench/tui_console.py).
            self.animation_level = "none"
        theme = os.environ.get(THEME_ENV)
        if theme and theme in self.available_themes:
            self.theme = theme

    # --- ways in ----------------------------------------------------------------------------

    @classmethod
    def play(cls, ref: str, seed: int, speed: float = 1.0, **kwargs) -> MisfortuneApp:
        """Straight to the briefing of a new session (raises ScenarioError for a bad ``ref``)."""
        from tui.session import LocalSession

        return cls(LocalSession.start(ref, seed), "briefing", speed, **kwargs)

    @classmethod
    def play_later(cls, ref: str, seed: int, speed: float = 1.0, **kwargs) -> MisfortuneApp:
        """The briefing at once, its session started after the first frame (a shipped scenario: loading the
        scenario language and the simulator takes ~0.5 s, and the rules can be read meanwhile)."""
        return cls(None, "briefing", speed, pending=(ref, seed), **kwargs)

    @classmethod
    def resume(cls, journal: str | Path, **kwargs) -> MisfortuneApp:
        """Back into the console of an interrupted session, paused (raises JournalError, ScenarioError)."""
        from tui.session import LocalSession

        session = LocalSession.resume(journal)
        app = cls(session, "console", **kwargs)
        app.journal_notice = session.recovery
        return app

    def on_unmount(self) -> None:
        # The consoles' heap settling (tui.heap) ends with the app: after it, a full collection would freeze
        # every survivor for good (a test run's next tests in the same process among them).
        heap = sys.modules.get("tui.heap")
        if heap is not None:
            heap.stop()

    def on_mount(self) -> None:
        if self.opening == "home":
            from tui.screens.home import HomeScreen

            self.push_screen(HomeScreen(self.rng))
        elif self.opening == "briefing":
            from tui.screens.briefing import BriefingScreen

            if self.session is None and self.pending:
                self.push_screen(BriefingScreen(None, self.speed, loading=self.pending[0]))
                self.call_after_refresh(
                    self.run_worker, self._start_pending, name=PENDING_WORKER, thread=True, exit_on_error=False
                )
            else:
                self.push_screen(BriefingScreen(self.session, self.speed))
        else:
            self._open_console()
        if self.journal_notice:
            self.notify(self.journal_notice, title="Journal repaired", severity="warning", timeout=15, markup=False)
        if self.clock_enabled:
            self._last_tick = monotonic()
            self.set_interval(TICK, self.tick, name="clock")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.last_input = monotonic()
        await super().on_event(event)

    def _start_pending(self) -> SessionPort:
        """Worker thread: start the pending session (the app gets it in :meth:`on_worker_state_changed`)."""
        from tui.session import LocalSession

        assert self.pending is not None
        return LocalSession.start(*self.pending)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != PENDING_WORKER:
            return
        if event.state == WorkerState.SUCCESS:
            self._pending_started(event.worker.result)
        elif event.state == WorkerState.ERROR:
            from scenarios.loader import ScenarioError
            from simulator.session import JournalError

            error = event.worker.error
            if not isinstance(error, (ScenarioError, JournalError)):
                raise error  # a bug, not bad input: the traceback the old synchronous start showed
            self._pending_failed(clean(error, keep_newlines=True))

    def _pending_started(self, session: SessionPort) -> None:
        from tui.screens.briefing import BriefingScreen

        briefing = next((s for s in self.screen_stack if isinstance(s, BriefingScreen)), None)
        if self.pending is None or briefing is None or briefing.session is not None:
            session.quit()  # the trainee went back to the wheel meanwhile
            return
        self.pending = None
        self.session = session
        self.ended = False
        briefing.set_session(session)

    def _pending_failed(self, message: str) -> None:
        self.start_error = message
        self.exit(return_code=2)

    # --- the clock --------------------------------------------------------------------------

    def tick(self) -> None:
        """Pump the session by the wall time since the last tick; open the debrief once it ends."""
        now = monotonic()
        wall, self._last_tick = min(now - self._last_tick, MAX_STEP), now
        self.advance_clock(wall)

    def advance_clock(self, wall_seconds: float) -> None:
        """Pump ``wall_seconds`` of wall time into a running session (tests call this directly)."""
        if self.session is None or not self.clock_running or self.ended:
            return
        self.session.pump(wall_seconds)
        if self.live_exports is not None:
            self.live_exports.update(self.session)
        if self.session.finished:
            self.show_debrief()

    # --- the flow ---------------------------------------------------------------------------

    def _show(self, screen: Screen) -> None:
        """Make ``screen`` the one main screen, closing any dialogs over the old one."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def start_session(self, ref: str, seed: int, speed: float | None = None) -> SessionPort | None:
        """Start a new journalled session of ``ref`` and show its briefing (clock held)."""
        from scenarios.loader import ScenarioError
        from tui.screens.briefing import BriefingScreen
        from tui.session import LocalSession

        if self.session is not None and not self.ended:
            self.session.quit()
        try:
            session = LocalSession.start(ref, seed)
        except ScenarioError as err:
            self.notify(
                clean(err, keep_newlines=True), title="Cannot start", severity="error", timeout=10, markup=False
            )
            return None
        self.session = session
        self.ended = False
        self.clock_running = False
        self.speed = self.speed if speed is None else speed
        self._show(BriefingScreen(session, self.speed))
        return session

    def begin_incident(self, speed: float) -> None:
        """Leave the briefing: the console opens with the clock at ``speed``."""
        assert self.session is not None
        self.speed = speed
        self.session.set_speed(speed)
        self.session.look("console")
        self._open_console()

    def _open_console(self) -> None:
        assert self.session is not None
        self._last_tick = monotonic()
        self.clock_running = True
        self._show(self.console_factory(self.session))

    def abandon_briefing(self) -> None:
        """Back out before the clock started: the (empty) journal is closed, the wheel comes back."""
        if self.session is not None:
            self.session.quit()
        self.session = None
        self.pending = None  # a session still loading is closed when it arrives
        self.clock_running = False
        self.action_go_home()

    def show_debrief(self) -> None:
        """End the session if it is still running (the trainee gave up) and show the debrief."""
        from simulator.reports import record_debrief
        from tui.screens.debrief import DebriefScreen

        if self.session is None or self.ended:
            return
        self.clock_running = False
        if not self.session.finished:
            self.session.end_now()
        self.ended = True
        debrief = self.session.debrief()
        self.session.quit()
        problem = record_debrief(debrief, datetime.now(UTC))  # every finished attempt goes into the history
        self._show(DebriefScreen(debrief))
        if problem:
            self.notify(clean(problem), title="Progress history", severity="warning", timeout=20, markup=False)

    def action_go_home(self) -> None:
        """Back to the wheel (after a debrief, or from a briefing)."""
        if self.session is not None and not self.ended:
            return
        from tui.screens.home import HomeScreen

        self.session = None
        self._show(HomeScreen(self.rng))

    # --- quitting and help ------------------------------------------------------------------

    @property
    def in_incident(self) -> bool:
        """A session is open and has not ended: leaving must keep its journal."""
        return self.session is not None and not self.ended

    async def action_quit(self) -> None:
        """Quit; mid-incident, ask first and keep the journal for ``misfortune resume``."""
        if not self.in_incident:
            self.exit()
            return
        if isinstance(self.screen, ConfirmDialog):
            return
        held, self.clock_running = self.clock_running, False

        def answered(leave: bool | None) -> None:
            if leave:
                self.leave_incident()
            else:
                self._last_tick = monotonic()
                self.clock_running = held

        journal = self.session.journal_path
        self.push_screen(
            ConfirmDialog(
                "Leave the incident?",
                f"The clock stops and the journal is kept: misfortune resume {journal}" if journal else "",
                yes="Leave",
                no="Stay",
            ),
            answered,
        )

    def leave_incident(self) -> None:
        """Close the session's journal (resumable) and exit, leaving the resume command to print."""
        assert self.session is not None
        self.clock_running = False
        self.session.quit()
        if self.session.journal_path:
            self.resume_hint = f"misfortune resume {self.session.journal_path}"
        self.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "give_up":
            return self.in_incident and self.clock_running
        return True

    def action_give_up(self) -> None:
        """End the incident early (asks first) and open the debrief."""
        held, self.clock_running = self.clock_running, False

        def answered(end: bool | None) -> None:
            if end:
                self.show_debrief()
            else:
                self._last_tick = monotonic()
                self.clock_running = held

        self.push_screen(
            ConfirmDialog("End the incident now?", "It is scored as it stands.", yes="End it", no="Keep going"),
            answered,
        )

    def action_help(self) -> None:
        """Keys of the current screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
