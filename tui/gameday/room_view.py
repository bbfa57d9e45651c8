"""What a seat's screen shows of the room: its header (name, role, on-call), the room's feed, the
status report dialog, and the room's debrief once the game day ends. Seat text is data, never markup."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, Static

from scenarios.durations import format_clock
from tui.gameday.roles import title
from tui.screens.lifecycle import while_shown
from tui.widgets.text import plain, stack, styled

REPORT_FIELDS = (
    ("impact", "Impact: what users see now", "checkout fails for ~30% of orders"),
    ("doing", "Doing: what you are doing about it", "rolling back checkout to v2.4.1"),
    ("need", "Need from the IMOC (may stay empty)", "approval to drain eu-west-1b"),
    ("next_update", "Next report", "in 15 min"),
)
"""The status report's fields: (name, question, example)."""


def seat_header(session: Any) -> Content:
    """``bo · TLOC · secondary on call · game day``: who this seat is, on the top line of its console."""
    name = session.seat.partition(":")[2] or session.seat
    parts: list[Any] = [(f" {name} ", "bold reverse"), " ", (title(session.role), "bold $text-accent")]
    if getattr(session, "on_call", None):
        parts.append(f" · {session.on_call} on call")
    parts.append(" · game day" + (" · spectator" if session.spectator else ""))
    if not seat_connected(session):
        refused = getattr(session, "rejoin_refused", "")
        lost = (
            f" · connection to the host lost; it refuses this seat ({refused}): still trying"
            if refused
            else " · connection to the host lost: rejoining (what you see is as of the drop)"
        )
        parts.append((lost, "bold $text-error"))
    return styled(*parts)


def seat_connected(session: Any) -> bool:
    """Whether a seat is connected to its host now (a session that is no seat always is)."""
    connected = getattr(session, "connected", None)
    return connected is None or connected.is_set()


def rejoin_hint(session: Any) -> str:
    """The command that takes this seat back (its role, view and unread messages) after a drop."""
    host, port = session.address
    return (
        f"misfortune join {host}:{port} --role {session.role} --name {session.name} --seat-token {session.seat_token}"
    )


def feed_lines(room: list[dict[str, Any]], newest_first: bool = True) -> Content:
    """The room's feed as lines: time, who (name and role), what, the result."""
    lines = [
        styled(f"{format_clock(line['t'])} ", (str(line["who"]), "bold"), f" {line['kind']}: ", str(line["text"]))
        for line in room
    ]
    if newest_first:
        lines.reverse()
    return stack(lines) if lines else styled(("nothing yet", "$text-muted"))


class RoomFeedScreen(Screen):
    """The room's feed, newest first; Escape goes back to the console."""

    BINDINGS = [Binding("escape,F,q", "app.pop_screen", "Back", id="room.back")]
    DEFAULT_CSS = "RoomFeedScreen #room-feed { padding: 0 1; }"

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static(seat_header(self.session), id="room-header")
        if getattr(self.session, "seat_token", None):
            yield Static(plain(f"Rejoin this seat from another terminal: {rejoin_hint(self.session)}"), id="rejoin")
        with VerticalScroll():
            yield Static(feed_lines(list(self.session.room)), id="room-feed")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_feed)

    @while_shown
    def refresh_feed(self) -> None:
        self.query_one("#room-feed", Static).update(feed_lines(list(self.session.room)))


class ReportDialog(ModalScreen[dict[str, str] | None]):
    """Status to the IMOC: four short fields; Enter on the last sends, Escape cancels."""

    DEFAULT_CSS = """
    ReportDialog { align: center middle; }
    ReportDialog #report { width: 80; height: auto; border: thick $accent; background: $surface; padding: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="report"):
            yield Label("Status to the IMOC", markup=False)
            for name, question, example in REPORT_FIELDS:
                yield Label(question, markup=False)
                yield Input(placeholder=example, id=f"report-{name}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        fields = {name: self.query_one(f"#report-{name}", Input).value.strip() for name, _, _ in REPORT_FIELDS}
        missing = [q for name, q, _ in REPORT_FIELDS if name != "need" and not fields[name]]
        if event.input.id != f"report-{REPORT_FIELDS[-1][0]}" or missing:
            self.focus_next()  # Enter moves on until every required field is filled
            return
        self.dismiss(fields)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RoomDebriefScreen(Screen):
    """The room's debrief (its Markdown, shown as plain text: seat words are data); Escape goes back."""

    BINDINGS = [Binding("escape,q,b", "app.pop_screen", "Back", id="room-debrief.back")]
    DEFAULT_CSS = "RoomDebriefScreen #room-debrief { padding: 0 1; }"

    def __init__(self, markdown: str, live: Any = None) -> None:
        super().__init__()
        self.markdown = markdown
        self.live = live
        """A callable giving the Markdown now (the facilitator's live view), or None."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(plain(self.markdown), id="room-debrief")
        yield Footer()

    def on_mount(self) -> None:
        if self.live is not None:
            self.set_interval(1.0, self.refresh_debrief)

    @while_shown
    def refresh_debrief(self) -> None:
        self.markdown = self.live()
        self.query_one("#room-debrief", Static).update(plain(self.markdown))
