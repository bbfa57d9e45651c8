"""``misfortune shadow``: the misfortune app opened on an expert's run, ending on the shadow debrief.

The flow and the clock are the app's own (:class:`tui.app.MisfortuneApp`); only the console (the
prediction strip) and the end differ: a shadow session goes into the history as exposure, never as
a scored attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime

from simulator.reports import record_shadow
from tui.app import MisfortuneApp
from tui.screens.shadow import ShadowConsole
from tui.screens.shadow_debrief import ShadowDebriefScreen
from tui.shadow_session import ShadowSession

DEFAULT_SPEED = 10.0
"""Shadow playback speed: the expert's quiet minutes pass quickly; each move waits for the trainee anyway."""


class ShadowApp(MisfortuneApp):
    """The trainee shadows a recorded run: the console, paused before each expert move."""

    def __init__(self, session: ShadowSession, speed: float = DEFAULT_SPEED, **kwargs) -> None:
        super().__init__(session, "console", speed, console=ShadowConsole, **kwargs)
        session.set_speed(speed)

    @classmethod
    def open(cls, ref: str, seed: int, speed: float = DEFAULT_SPEED, **kwargs) -> ShadowApp:
        """A shadow of ``ref`` (scenario or journal); raises ScenarioError or JournalError for bad input."""
        return cls(ShadowSession.open(ref, seed), speed, **kwargs)

    def show_debrief(self) -> None:
        """The shadow debrief; the session is recorded as a shadow session (exposure)."""
        session = self.session
        if not isinstance(session, ShadowSession) or self.ended:
            return
        self.clock_running = False
        if not session.finished:
            session.end_now()
        self.ended = True
        summary, debrief = session.summary(), session.debrief()
        problem = record_shadow(summary, debrief, datetime.now(UTC))
        self._show(ShadowDebriefScreen(summary, debrief))
        if problem:
            self.notify(problem, title="Progress history", severity="warning", timeout=20)
