"""Helpers for TUI tests: a stand-in console screen, and playing a scenario's reference solution."""

from __future__ import annotations

import pytest
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Label

from tui.app import MisfortuneApp
from tui.session import LocalSession

SCENARIO = "checkout-oom-leak"


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


@pytest.fixture
def make_app():
    """Build an app with the stub console, a fixed wheel and the timer off (tests pump the clock)."""

    def build(*args, **kwargs) -> MisfortuneApp:
        kwargs.setdefault("console", StubConsole)
        kwargs.setdefault("spin_seed", 7)
        kwargs.setdefault("clock", False)
        return MisfortuneApp(*args, **kwargs)

    return build
