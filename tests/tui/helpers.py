"""Helpers for TUI tests: a stand-in console screen, and playing a scenario's reference solution.

A plain module (imported as ``tests.tui.helpers``) rather than conftest: ``from conftest import`` resolves to
whichever conftest.py pytest put on sys.path first, and a second import of conftest makes a second
``StubConsole`` class that isinstance checks do not recognise."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Label

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
