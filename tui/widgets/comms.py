"""Comms: messages from colleagues, stakeholders and tickets; status-page updates and notes, with the time
since the last update. Enter on a message starts a note addressed to its sender."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from scenarios.durations import format_clock
from scenarios.text import clean
from tui.widgets.common import Panel, fmt_age, set_rows, show
from tui.widgets.table import ContentTable
from tui.widgets.tool_banner import ToolBanner

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
        yield Label(
            "Messages, newest first ([v] read whole; Enter: reply with a note; an ETA question wants a status update)",
            classes="panel-title",
            markup=False,
        )
        yield ContentTable(id="messages", cursor_type="row", zebra_stripes=True)
        yield ToolBanner(("status_page",), id="comms-tools")
        yield Static("", id="comms-due")
        yield Label(
            "Status update: impact · current action · next update (enter posts), or free text below",
            classes="panel-title",
            markup=False,
        )
        with Horizontal(id="status-template"):
            yield Input(placeholder="impact: who, how badly", id="status-impact")
            yield Input(placeholder="current action", id="status-action")
            yield Input(placeholder="next update", id="status-next")
        yield Input(placeholder="What stakeholders are told", id="status-text")
        yield Label("Note to the incident channel (enter to post)", classes="panel-title", markup=False)
        yield Input(placeholder="A note", id="note-text")
        yield Static("", id="comms-log")

    def on_mount(self) -> None:
        self._suggested = ""
        """The next-update time last pre-filled (replaced as the clock runs, unless the trainee typed one)."""
        for widget in self.query("#messages").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("time", "from", "channel", "message")

    @on(DataTable.RowSelected, "#messages")
    def _reply(self, event: DataTable.RowSelected) -> None:
        """Start a note addressed to the selected message's sender (an ETA question deserves a status update too)."""
        messages = self.session.messages()
        if not messages:
            return
        sender = messages[-1 - event.cursor_row].sender.split()[0]
        box = self.query_one("#note-text", Input)
        box.value = f"{sender if sender.startswith('@') else '@' + sender} "
        box.focus()
        box.cursor_position = len(box.value)

    @on(Input.Submitted, "#status-text, #note-text")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        action = "status_update" if event.input.id == "status-text" else "note"
        event.input.value = ""
        self.post_message(self.Send(action, text))

    def status_from_template(self) -> str | None:
        """The template's text, or None (and focus on the first empty part) while a part is missing."""
        parts = [self.query_one(f"#status-{name}", Input) for name in ("impact", "action", "next")]
        for part in parts:
            if not part.value.strip():
                part.focus()
                return None
        impact, action, next_update = (part.value.strip().rstrip(".") for part in parts)
        return f"Impact: {impact}. Current action: {action}. Next update at {next_update}."

    @on(Input.Submitted, "#status-impact, #status-action, #status-next")
    def _submit_template(self) -> None:
        text = self.status_from_template()
        if text is None:
            return
        for name in ("impact", "action"):
            self.query_one(f"#status-{name}", Input).value = ""
        self.query_one("#status-next", Input).value = ""
        self._suggest_next_update()
        self.post_message(self.Send("status_update", text))

    def _suggest_next_update(self) -> None:
        """Pre-fill the next update time (now + the cadence) while the trainee has not typed one."""
        box = self.query_one("#status-next", Input)
        suggestion = format_clock(self.session.now + UPDATE_DUE)
        if not box.value or box.value == self._suggested:
            box.value = suggestion
        self._suggested = suggestion

    def refresh_from_session(self) -> None:
        self.query_one(ToolBanner).show(self.session)
        if not self.query("#messages"):
            return  # mounted but not composed yet (pre-warmed on a busy machine): the next refresh fills it
        self._suggest_next_update()
        rows = [
            (format_clock(m.t), m.sender, m.channel, m.text.replace("\n", " "))
            for m in reversed(self.session.messages())
        ]
        if not rows:
            rows = [("", "", "", self.tone("No messages yet.", "$text-muted"))]
        set_rows(self.query_one("#messages", DataTable), rows)
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
        show(
            self.query_one("#comms-due", Static),
            Content.styled(text + (" · an update is due" if overdue else ""), style),
        )
        lines: list = []
        for t, body in reversed(updates):
            lines.append(Content.styled(f"{format_clock(t)} STATUS ", "$text-accent bold"))
            lines.append(clean(body, keep_newlines=True) + "\n")
        for t, seat, body in reversed(incident.notes):
            lines.append(Content.styled(f"{format_clock(t)} note ({clean(seat)}) ", "$text-muted"))
            lines.append(clean(body, keep_newlines=True) + "\n")
        show(self.query_one("#comms-log", Static), Content.assemble(*lines) if lines else "Nothing posted yet.")
