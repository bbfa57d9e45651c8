"""Helpers for TUI tests: a stand-in console screen, playing a scenario's reference solution, and waiting
for what the app does a little later.

A plain module (imported as ``tests.tui.helpers``) rather than conftest: ``from conftest import`` resolves to
whichever conftest.py pytest put on sys.path first, and a second import of conftest makes a second
``StubConsole`` class that isinstance checks do not recognise."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Label

from tui.session import LocalSession

SCENARIO = "checkout-oom-leak"
PATIENCE = 30.0
"""Seconds a test waits for something the app does a little later (a timer, a message, a screen change)
before it fails; quiet, such a wait ends in milliseconds."""


async def until(pilot, condition, what: str, patience: float = PATIENCE) -> None:
    """Pause until ``condition()`` holds, at most ``patience`` seconds of wall time. For what a test is not
    timing: a fixed number of pauses is enough on a quiet machine and too few on a loaded one."""
    deadline = time.monotonic() + patience
    while not condition():
        assert time.monotonic() < deadline, f"waited {patience:g} s for {what}"
        await pilot.pause(0.02)


class StubConsole(Screen):
    """Stands in for the incident console where a test is about the flow around it."""

    def __init__(self, session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Label("stub console", id="stub")


def play_reference_solution(session: LocalSession) -> None:
    """Apply the scenario's reference solution at its times, as a trainee would."""
    for action in session.sim.scenario.solution:
        session.sim.run_until(action.at)
        session.apply(action)
