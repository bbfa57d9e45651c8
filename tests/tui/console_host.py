"""The smallest app that shows a session's incident console: the host the TUI tests drive through the app's API."""

from __future__ import annotations

from textual.app import App

from tui.screens.console import ConsoleScreen
from tui.session import LocalSession


class ConsoleHost(App):
    """An app whose only screen is the console of ``session``."""

    def __init__(self, session: LocalSession) -> None:
        super().__init__()
        self.session = session

    def on_mount(self) -> None:
        self.push_screen(ConsoleScreen(self.session))
