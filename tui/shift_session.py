"""A shift in the TUI: one clock for the whole shift, and each incident seen through the SessionPort.

``ShiftDriver`` holds the shift and its clock speed; the shift board and every incident console pump it.
``ShiftIncidentSession`` is a :class:`tui.session.LocalSession` over one incident of the shift, so the
incident console works unchanged: its queries read the incident's simulation, its actions go through
the shift (journalled in the shift journal with the incident they target), its clock is the shift's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scenarios import user_data_dir
from scenarios.language.actions import Action
from simulator.shift import EscalationPolicy, IncidentRun, Shift, ShiftStep, new_shift, resume_shift
from simulator.views import ActionResult
from tui.session import LocalSession

QUIET_HOP = 300.0
"""Skipping quiet time while an incident is open moves at most this far (the pager may go off)."""


def shifts_dir() -> Path:
    """Where TUI shifts write their journals."""
    return user_data_dir() / "shifts"


class ShiftDriver:
    """The running shift and its clock (speed x wall time), shared by the board and the consoles."""

    def __init__(self, shift: Shift, speed: float = 60.0) -> None:
        self.shift = shift
        self.speed = speed
        self.paused = False
        self.journal_path = str(shift.journal.path) if shift.journal is not None else None

    @classmethod
    def start(
        cls,
        seed: int,
        hours: float,
        max_incidents: int,
        policy: EscalationPolicy,
        speed: float,
        previous: str | Path | None = None,
        journal: Path | None = None,
        difficulty: str = "normal",
        continue_from: str | Path | None = None,
    ) -> ShiftDriver:
        """A new shift journalled to ``journal`` (default: a new file in :func:`shifts_dir`); with
        ``continue_from``, the next region's shift going on from that journal (follow-the-sun)."""
        path = journal or shifts_dir() / f"{datetime.now(UTC):%Y%m%d-%H%M%S}-shift-seed{seed}.jsonl"
        shift = new_shift(seed, hours, max_incidents, policy, path, previous, difficulty, continue_from)
        return cls(shift, speed)

    @classmethod
    def resume(cls, journal: str | Path, speed: float) -> ShiftDriver:
        """An interrupted shift, back where its journal stops, paused."""
        driver = cls(resume_shift(journal), speed)
        driver.paused = True
        return driver

    def pump(self, wall_seconds: float) -> None:
        """Advance the shift by speed x wall time (nothing while paused or once it is over)."""
        if not self.paused and not self.shift.finished:
            self.shift.advance(self.speed * wall_seconds)

    def skip_quiet(self) -> float:
        """Jump to the next planned arrival (or one quiet hop while an incident is open); returns the time."""
        shift = self.shift
        now = shift.now
        upcoming = [i.at for i in shift.plan.incidents if i.at > now] + [e.at for e in shift.plan.events if e.at > now]
        target = min(upcoming, default=shift.length)
        if shift.open_incidents():
            target = min(target, now + QUIET_HOP)
        shift.run_until(target + 1.0)
        return shift.now

    def apply(self, step: ShiftStep) -> ActionResult:
        """Apply a step at the shift's current time."""
        return self.shift.apply(step)

    def close(self) -> None:
        """Close the journal, noting how far the clock got (a shift left before its end resumes there)."""
        journal = self.shift.journal
        if journal is not None:
            if self.shift.ended_at is None and not journal.closed:
                journal.clock(self.shift.now)
            journal.close()


class ShiftIncidentSession(LocalSession):
    """One incident of a shift behind the SessionPort the incident console uses."""

    def __init__(self, driver: ShiftDriver, run: IncidentRun) -> None:
        super().__init__(run.sim, None, None)
        self.driver = driver
        self.run = run
        self.journal_path = driver.journal_path

    @property
    def finished(self) -> bool:
        """The incident is over (resolved or out of time), or the shift is."""
        return self.run.over or self.driver.shift.finished

    @property
    def speed(self) -> float:
        """The shift clock's speed (0 while paused)."""
        return 0.0 if self.driver.paused else self.driver.speed

    def set_speed(self, speed: float) -> None:
        """Pause (0) or set the shift clock's speed."""
        if speed == 0:
            self.driver.paused = True
        else:
            self.driver.paused = False
            self.driver.speed = speed

    def pump(self, wall_seconds: float) -> None:
        """Advance the whole shift."""
        self.driver.pump(wall_seconds)

    def apply(self, action: Action) -> ActionResult:
        """Apply an action to this incident through the shift (journalled there)."""
        return self.driver.apply(ShiftStep(self.driver.shift.now, action, self.run.number))

    def look(self, what: str, **detail: Any) -> None:
        """Keep what the trainee looked at with the incident (its debrief's investigation path)."""
        self.sim.look(what, self.seat, **detail)

    def quit(self) -> None:
        """Leaving an incident's console keeps the shift running: nothing to close here."""

    def end_now(self, reason: str = "gave_up") -> None:
        """An incident of a shift ends with its resolution or its time, not on request."""
