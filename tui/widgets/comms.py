"""Comms: status-page updates and stakeholder notes, with the time since the last update."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Static

from scenarios.durations import format_clock
from tui.widgets.common import Panel, fmt_age

UPDATE_DUE = 20 * 60.0
"""Status updates are due every 20-30 minutes in a major incident: warn after 20."""


class CommsPanel(Panel):
    """Two inputs (status update, note) and what was said so far."""

    @dataclass
    class Send(Message):
        """Ask the console to apply a comms action (status_update or note)."""

        action: str
        text: str

    def compose(self) -> ComposeResult:
        yield Static("", id="comms-due")
        yield Label("Status-page update (enter to post)", classes="panel-title", markup=False)
        yield Input(placeholder="What stakeholders are told", id="status-text")
        yield Label("Note to the incident channel (enter to post)", classes="panel-title", markup=False)
        yield Input(placeholder="A note", id="note-text")
        yield Static("", id="comms-log")

    @on(Input.Submitted, "#status-text, #note-text")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        action = "status_update" if event.input.id == "status-text" else "note"
        event.input.value = ""
        self.post_message(self.Send(action, text))

    def refresh_from_session(self) -> None:
        incident = self.session.incident_view()
        now = self.session.now
        pages = self.session.pages()
        updates = incident.status_updates
        if updates:
            since = now - updates[-1][0]
            text = f"Last status update {fmt_age(since)} ago"
        else:
            first_page = min((p.t for p in pages), default=None)
            since = now - first_page if first_page is not None else 0.0
            text = "No status update yet" + (f" ({fmt_age(since)} since the first page)" if pages else "")
        overdue = (updates or pages) and since >= UPDATE_DUE
        style = "$text-error bold" if overdue else "$text-muted"
        self.query_one("#comms-due", Static).update(
            Content.styled(text + (" · an update is due" if overdue else ""), style)
        )
        lines: list = []
        for t, body in reversed(updates):
            lines.append(Content.styled(f"{format_clock(t)} STATUS ", "$text-accent bold"))
            lines.append(body + "\n")
        for t, seat, body in reversed(incident.notes):
            lines.append(Content.styled(f"{format_clock(t)} note ({seat}) ", "$text-muted"))
            lines.append(body + "\n")
        self.query_one("#comms-log", Static).update(Content.assemble(*lines) if lines else "Nothing posted yet.")
