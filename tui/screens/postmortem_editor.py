"""The postmortem draft inside the app: summary, five whys, action items and lessons, saved as Markdown.

Opened from the debrief (``e``). The fields start from the saved draft; ctrl+s checks them (an action item
needs an owner, a priority P1-P3 and a deadline) and writes the whole draft back next to the journal, where
``misfortune history`` links it.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static, TextArea

from tui.postmortem_draft import (
    ACTION_FORMAT,
    WHYS,
    DraftError,
    PostmortemEdits,
    action_items_text,
    apply_edits,
    edits_from_draft,
    parse_action_items,
)


class PostmortemEditor(Screen):
    """Edit the draft at ``path``; Escape goes back to the debrief (unsaved edits are kept on screen only)."""

    DEFAULT_CSS = """
    PostmortemEditor #pm { padding: 0 1; }
    PostmortemEditor .pm-title { text-style: bold; color: $accent; margin-top: 1; }
    PostmortemEditor TextArea { height: 6; }
    PostmortemEditor #pm-summary { height: 7; }
    PostmortemEditor #pm-status { margin-top: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save as Markdown", id="postmortem.save", priority=True),
        Binding("escape", "back", "Back to the debrief", id="postmortem.back"),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.title = "Postmortem draft"
        self.draft = path.read_text(encoding="utf-8")
        self.edits = edits_from_draft(self.draft)

    def compose(self) -> ComposeResult:
        e = self.edits
        with VerticalScroll(id="pm"):
            yield Label(f"Postmortem draft: {self.path}", markup=False)
            yield Label("Summary: what happened, the impact, how it ended", classes="pm-title", markup=False)
            yield TextArea(e.summary, id="pm-summary", soft_wrap=True)
            yield Label("Five whys: from the symptom down to the cause", classes="pm-title", markup=False)
            for n in range(WHYS):
                yield Input(e.whys[n] if n < len(e.whys) else "", placeholder=f"why {n + 1}", id=f"pm-why-{n + 1}")
            yield Label(f"Action items, one a line: {ACTION_FORMAT}", classes="pm-title", markup=False)
            yield TextArea(action_items_text(e.action_items), id="pm-actions", soft_wrap=True)
            yield Label("Lessons learned, one a line", classes="pm-title", markup=False)
            yield TextArea("\n".join(e.lessons), id="pm-lessons", soft_wrap=True)
            yield Static("", id="pm-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pm-summary", TextArea).focus()

    def current_edits(self) -> PostmortemEdits:
        """The fields as edits; raises DraftError for an action item that does not parse."""
        return PostmortemEdits(
            summary=self.query_one("#pm-summary", TextArea).text,
            whys=tuple(self.query_one(f"#pm-why-{n + 1}", Input).value for n in range(WHYS)),
            action_items=parse_action_items(self.query_one("#pm-actions", TextArea).text),
            lessons=tuple(line for line in self.query_one("#pm-lessons", TextArea).text.splitlines() if line.strip()),
        )

    def action_save(self) -> bool:
        """Check the fields and write the draft; the status line says where, or what to fix."""
        status = self.query_one("#pm-status", Static)
        try:
            text = apply_edits(self.draft, self.current_edits())
            self.path.write_text(text, encoding="utf-8")
        except (DraftError, OSError) as err:
            status.update(Text(f"Not saved: {err}", style="bold red"))
            return False
        self.draft = text
        status.update(Text(f"Saved {self.path}", style="green"))
        return True

    def action_back(self) -> None:
        self.app.pop_screen()
