"""The handoff form: the structured note the next shift reads first (one item a line per section)."""

from __future__ import annotations

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from simulator.shift import HANDOFF_SECTIONS, HandoffNote

PROMPTS = {
    "active_incidents": "Active incidents (number, service, state)",
    "investigations": "Ongoing investigations",
    "mitigations": "Mitigations in place or in progress",
    "recent_changes": "Recent changes (deploys, config, flags)",
    "workarounds": "Known workarounds",
    "upcoming": "Upcoming events (deploys, sales, maintenance)",
}


class HandoffForm(ModalScreen[HandoffNote | None]):
    """Six sections, one item per line; ctrl+s saves, escape cancels."""

    DEFAULT_CSS = """
    HandoffForm { align: center middle; }
    HandoffForm > VerticalScroll {
        width: 100; max-width: 98%; height: 90%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    HandoffForm Label { margin-top: 1; text-style: bold; }
    HandoffForm TextArea { height: 4; }
    HandoffForm Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    HandoffForm Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save the note", id="handoff.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="handoff.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label("Handoff note for the next shift (one item per line; ctrl+s saves)", markup=False)
            for section in HANDOFF_SECTIONS:
                yield Label(PROMPTS[section], markup=False)
                yield TextArea(id=f"handoff-{section}", soft_wrap=True, show_line_numbers=False)
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one(f"#handoff-{HANDOFF_SECTIONS[0]}", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def note(self) -> HandoffNote:
        """The note as typed; raises ValidationError for a line too long or too many lines."""
        sections = {}
        for section in HANDOFF_SECTIONS:
            text = self.query_one(f"#handoff-{section}", TextArea).text
            sections[section] = [line.strip() for line in text.splitlines() if line.strip()]
        return HandoffNote(**sections)

    def action_save(self) -> None:
        """Validate and hand the note back."""
        try:
            note = self.note()
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            self.notify(f"{where}: {first['msg']}", title="Cannot save the note", severity="error", markup=False)
            return
        self.dismiss(note)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
