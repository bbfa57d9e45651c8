"""The mentor's extra screen in a reverse shadow: the hidden truth, as plain text, over the console."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from scenarios.text import clean
from tui.gameday.mentor import truth_lines


class TruthScreen(ModalScreen[None]):
    """Root cause, faults, the reference solution with its reasons, and the traps (T or escape closes)."""

    DEFAULT_CSS = """
    TruthScreen { align: center middle; }
    TruthScreen VerticalScroll { width: 90%; height: 85%; border: thick $warning; background: $surface;
                                 padding: 0 1; }
    """
    BINDINGS = [Binding("escape,T", "dismiss(None)", "Close", id="mentor.truth.close")]

    def __init__(self, truth: dict[str, Any]) -> None:
        super().__init__()
        self.truth = truth

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            text = Text("The hidden truth (the trainee does not see this)\n\n", style="bold")
            text.append("\n".join(clean(line) for line in truth_lines(self.truth)))
            yield Static(text, id="truth")
