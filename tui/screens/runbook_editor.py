"""The runbook editor: the trainee corrects a runbook during an incident (``e`` on the runbook panel).

ctrl+s keeps the text as the trainee's correction (saving it unchanged marks the runbook reviewed);
Escape leaves it as it was. The panel stores it (simulator.reports.runbook_notes) and shows it, marked
as edited, every time the runbook is opened from then on.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from scenarios.text import clean


class RunbookEditor(ModalScreen[str | None]):
    """The runbook's text in a text area; dismissed with the new text (ctrl+s) or None (escape)."""

    DEFAULT_CSS = """
    RunbookEditor { align: center middle; }
    RunbookEditor > Vertical {
        width: 110; max-width: 98%; height: 90%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    RunbookEditor #runbook-edit-title { text-style: bold; margin-bottom: 1; }
    RunbookEditor TextArea { height: 1fr; }
    RunbookEditor Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    RunbookEditor Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Keep the correction", id="runbook.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="runbook.cancel"),
    ]

    def __init__(self, service: str, title: str, body: str) -> None:
        super().__init__()
        self.service = service
        self.heading = f"Correct the runbook of {clean(service)}: {clean(title)}"
        self.body = clean(body, keep_newlines=True)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.heading, id="runbook-edit-title", markup=False)
            yield Label(
                "Fix what was wrong or missing; ctrl+s keeps it for next time (unchanged: marked reviewed).",
                markup=False,
            )
            yield TextArea(self.body, id="runbook-edit", soft_wrap=True, show_line_numbers=False)
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#runbook-edit", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        """Close with the edited text."""
        self.dismiss(self.query_one("#runbook-edit", TextArea).text)

    def action_cancel(self) -> None:
        """Close without a change."""
        self.dismiss(None)
