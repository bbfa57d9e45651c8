"""The message rail: one line under the panels with the latest announcement (hint, message, action result).

Toasts cover the panels, so the console shows at most one, briefly; the rail keeps the latest line in
view for as long as it is the latest, and counts what came before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from scenarios.durations import format_clock

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, one_line: bool = True) -> str:
    """``text`` without control characters (scenario text is data, not terminal input); one line unless
    ``one_line`` is False, which keeps its line breaks.

    A local stand-in for the shared ``tui/widgets/text.py: plain()`` being written on another branch.
    """
    text = _CONTROL.sub("", str(text))
    return " ".join(text.split()) if one_line else text


SEVERITY_STYLE = {"information": "", "warning": "bold yellow", "error": "bold red"}


@dataclass(frozen=True, slots=True)
class Announcement:
    """One line of the rail."""

    t: float
    """Simulated time it was announced."""
    title: str
    text: str
    severity: str = "information"


class MessageRail(Static):
    """The latest announcement, and how many came before it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.announcements: list[Announcement] = []

    def add(self, announcement: Announcement) -> None:
        """Show ``announcement`` as the latest line."""
        self.announcements.append(announcement)
        a = announcement
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f" {format_clock(a.t)} ", style="dim")
        if a.title:
            line.append(printable(a.title) + ": ", style=SEVERITY_STYLE.get(a.severity, "") or "bold")
        line.append(printable(a.text))
        earlier = len(self.announcements) - 1
        if earlier:
            line.append(f"  ({earlier} earlier: o messages, ctrl+h hints)", style="dim")
        self.update(line, layout=False)  # one line tall (console.tcss)
