"""The seat's terminal: the single-player app and console over a RemoteSession, plus the observer's guess."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.widgets import Label, Static

import tui.app
from scenarios.text import clean
from tui.app import MisfortuneApp
from tui.gameday.facilitator import PromptDialog
from tui.gameday.mentor import MENTOR_ROLE
from tui.gameday.mentor_view import TruthScreen
from tui.gameday.roles import title
from tui.gameday.room_view import ReportDialog, RoomDebriefScreen, RoomFeedScreen, seat_connected, seat_header
from tui.gameday.seat import RemoteSession
from tui.gameday.spectator import SpectatorScreen
from tui.registry import PANELS
from tui.screens.console import ConsoleScreen
from tui.widgets.message_rail import Announcement, MessageRail
from tui.widgets.pager import PagerPanel

GUESS_KEY = "G"
"""Shift+g: plain g is the console's Pager tab (the console's binding would win)."""
FACILITATOR_ACTIONS = frozenset({"toggle_pause", "speed"})
"""Console keys that are the facilitator's in a game day: hidden from every seat's footer."""
READ_ONLY_PAGER_TITLE = "Pages"
"""The pager's title on a seat that cannot acknowledge (its usual one offers [a])."""
READ_ONLY_INCIDENTS_TITLE = "Incidents  (the IMOC sets severity and roles)  [v] read whole"
"""The incidents table's title on a seat whose role sets neither severity nor roles."""


class SeatConsole(ConsoleScreen):
    """The incident console for a seat; observers also get G to submit their root-cause guess.

    Keys a seat's role cannot use are hidden (the clock is the facilitator's; observers do not ack);
    the host refuses them anyway.
    """

    BINDINGS = [
        *ConsoleScreen.BINDINGS,
        Binding(GUESS_KEY, "guess", "Guess the root cause", id="seat.guess"),
        Binding("S", "report", "Status to IMOC", id="seat.report"),
        Binding("F", "room", "Room feed", id="seat.room"),
        Binding("W", "whisper", "Whisper to the trainee", id="seat.mentor.whisper"),
        Binding("M", "flag_moment", "Flag this moment", id="seat.mentor.flag"),
        Binding("T", "truth", "The hidden truth", id="seat.mentor.truth"),
    ]
    MENTOR_ACTIONS = frozenset({"whisper", "flag_moment", "truth"})

    _whispers_seen = 0
    _private_seen = 0
    _room_seen = 0
    _seat_shown = ""
    _connected_shown = True
    _refused_shown = ""
    _allowed_shown: frozenset[str] = frozenset()
    _read_sent = -1
    _resumed = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        if not isinstance(session, RemoteSession):
            return super().check_action(action, parameters)
        if action == "guess":
            return "guess" in session.allowed and not session.spectator
        if action == "incident_form":
            return parameters[0] in session.allowed and not session.spectator
        if action == "report":
            return "report" in session.allowed and not session.spectator
        if action in self.MENTOR_ACTIONS:
            return session.role == MENTOR_ROLE and not session.spectator
        if action in FACILITATOR_ACTIONS or (action == "ack" and "ack" not in session.allowed and not session.on_call):
            return False
        if action == "profile" and _read_only(session):
            return False  # the host refuses an observer's profile; do not offer the keys
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        session = self.session
        if isinstance(session, RemoteSession):
            # Textual runs ConsoleScreen.on_mount too; the pager is composed with the screen.
            self.mount(Static(seat_header(session), id="seat-header"), before=0)
            self._seat_shown, self._allowed_shown = session.seat, session.allowed
            self._connected_shown = seat_connected(session)
            if _read_only(session):
                self.query_one(PagerPanel).query_one("#pages-title", Label).update(READ_ONLY_PAGER_TITLE)
            if not {"set_severity", "assign_role"} & session.allowed:
                self.query_one(PagerPanel).query_one("#incidents-title", Label).update(READ_ONLY_INCIDENTS_TITLE)
            self._room_seen = session.room[-1]["n"] if session.room else 0  # the past is in the feed screen (F)
            self.call_after_refresh(self._resume)

    async def _resume(self) -> None:
        """A seat that rejoined with its token: back to its panel, with its unread messages still unread."""
        session = self.session
        assert isinstance(session, RemoteSession)
        resume, self._resumed = session.resume, True
        self._messages_read = min(int(resume.get("messages_read") or 0), self._messages_seen)
        panel = resume.get("panel")
        if panel in {pid for pid, _key, _title in PANELS}:
            await self.action_show_panel(panel)

    def action_guess(self) -> None:
        def answered(text: str | None) -> None:
            if text:
                reason = self.session.guess(text)
                self.notify(
                    clean(reason) or "Guess recorded: it is shown in the debrief.",
                    severity="error" if reason else "information",
                    markup=False,
                )

        self.app.push_screen(PromptDialog("Your guess of the root cause:"), answered)

    # --- reverse shadow ---------------------------------------------------------------------------

    def refresh_panels(self) -> None:
        """The console's refresh, plus what reached this seat alone, the room's feed and a new role."""
        super().refresh_panels()
        session = self.session
        if not isinstance(session, RemoteSession):
            return
        whispers = list(session.whispers)
        for _t, seat, text in whispers[self._whispers_seen :]:
            self.notify(clean(text), title=f"{clean(seat)} whispers", timeout=20, markup=False)
        self._whispers_seen = len(whispers)
        private = list(session.private)
        for _t, sender, text in private[self._private_seen :]:
            self.notify(clean(text), title=clean(sender), severity="warning", markup=False)
            if sender.startswith("pager") and "bell" in self.page_alert:
                self.app.bell()  # the policy paged this seat: ring as a pager would
        self._private_seen = len(private)
        self._show_room(session)
        if seat_connected(session) != self._connected_shown:
            self._connection_changed(session)
        elif session.rejoin_refused != self._refused_shown:
            self._refused_shown = session.rejoin_refused
            self.query_one("#seat-header", Static).update(seat_header(session))
        if session.seat != self._seat_shown:
            self._new_role(session)
        elif session.allowed != self._allowed_shown:  # the facilitator changed the role table
            self._allowed_shown = session.allowed
            self.refresh_bindings()
            if self.has_panel("actions"):
                self.panel("actions").reoffer()
        if self._resumed and self._messages_read != self._read_sent and not session.spectator:
            self._read_sent = self._messages_read
            session.mark_read(self._messages_read)

    def _show_room(self, session: RemoteSession) -> None:
        """New lines of the room's feed on the message rail; a status report reaches the IMOC as a toast."""
        fresh = [line for line in list(session.room) if line["n"] > self._room_seen]
        if not fresh:
            return
        self._room_seen = fresh[-1]["n"]
        for line in fresh:
            if line["seat"] == session.seat:
                continue  # this seat's own doing: its result was shown already
            if line["kind"] == "report" and session.role == "imoc":
                self.notify(clean(line["text"]), title=f"Status from {clean(line['who'])}", markup=False)
                continue
            for rail in self.query("#rail").results(MessageRail):
                rail.add(Announcement(line["t"], clean(line["who"]), clean(line["text"]), "information"))

    def _connection_changed(self, session: RemoteSession) -> None:
        """The connection to the host dropped or came back: say so in the header and once as a toast (the
        screen otherwise goes on showing the state as of the drop, the clock included)."""
        self._connected_shown = seat_connected(session)
        self.query_one("#seat-header", Static).update(seat_header(session))
        if self._connected_shown:
            self.notify("Connected to the host again.", title="Game day", markup=False)
        else:
            self.notify(
                "Lost the connection to the host; rejoining every second. Actions are not sent until it is back.",
                title="Game day",
                severity="error",
                timeout=10,
                markup=False,
            )

    def _new_role(self, session: RemoteSession) -> None:
        """The facilitator (or a handoff) gave this seat another role: header, keys and actions follow."""
        self._seat_shown, self._allowed_shown = session.seat, session.allowed
        self.query_one("#seat-header", Static).update(seat_header(session))
        self.app.sub_title = seat_header(session).plain
        self.refresh_bindings()
        if self.has_panel("actions"):
            self.panel("actions").reoffer()
        self.notify(f"You are now {title(session.role)} ({session.seat}).", title="Role", markup=False)

    def action_report(self) -> None:
        """Status to the IMOC: what users see, what this seat does, what it needs, when it reports next."""

        def answered(fields: dict[str, str] | None) -> None:
            if fields:
                result = self.session.report(**fields)
                ok = "Status sent to the IMOC." if result.accepted else f"Not sent: {result.message}"
                self.notify(clean(ok), severity="information" if result.accepted else "error", markup=False)

        self.app.push_screen(ReportDialog(), answered)

    def action_room(self) -> None:
        """The room's feed: who did what, when, with the result."""
        self.app.push_screen(RoomFeedScreen(self.session))

    def action_whisper(self) -> None:
        """A hint only the trainee seats see."""
        self._mentor_prompt("Whisper to the trainee (only they see it):", self.session.whisper, "Whispered.")

    def action_flag_moment(self) -> None:
        """Mark this moment for the debrief."""
        self._mentor_prompt("Flag this moment for the debrief:", self.session.flag, "Flagged for the debrief.")

    def action_truth(self) -> None:
        """The hidden truth, sent to the mentor seat only."""
        truth = getattr(self.session, "truth", None)
        if truth:
            self.app.push_screen(TruthScreen(truth))

    def _mentor_prompt(self, question: str, send, done: str) -> None:
        def answered(text: str | None) -> None:
            if text:
                reason = send(text)
                self.notify(clean(reason) or done, severity="error" if reason else "information", markup=False)

        self.app.push_screen(PromptDialog(question), answered)


def _read_only(session: RemoteSession) -> bool:
    return session.spectator or session.role in ("observer", MENTOR_ROLE)


class SeatApp(MisfortuneApp):
    """MisfortuneApp for a game-day seat: the host holds the clock; only the IMOC may call time.

    There is no home screen: going home would start a single-player session on this terminal.
    """

    CSS_PATH = Path(tui.app.__file__).parent / "app.tcss"  # relative paths resolve from the subclass's module
    BINDINGS = [Binding("b", "room_debrief", "Room debrief", id="seat.room_debrief")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go_home" and isinstance(self.session, RemoteSession):
            return False
        if action == "room_debrief":
            return isinstance(self.session, RemoteSession) and bool(self.session.room_debrief)
        return super().check_action(action, parameters)

    def action_room_debrief(self) -> None:
        """The room's debrief (who did what, role adherence, the communication record), once it has ended."""
        if isinstance(self.session, RemoteSession) and self.session.room_debrief:
            self.push_screen(RoomDebriefScreen(self.session.room_debrief))

    def action_go_home(self) -> None:
        if isinstance(self.session, RemoteSession):
            self.notify("A game-day seat has no home screen: q leaves the game day.", severity="warning")
            return
        super().action_go_home()

    def show_debrief(self) -> None:
        session = self.session
        if isinstance(session, RemoteSession) and session.spectator:
            return  # the projector stays on the room: it shows the room's debrief in place of the feed
        if isinstance(session, RemoteSession) and not session.finished and session.role != "imoc":
            self.notify("Only the IMOC or the facilitator ends the incident.", severity="warning")
            return
        super().show_debrief()


def seat_app(seat: RemoteSession) -> SeatApp:
    """The app a `misfortune join` opens, straight on the console."""
    app = SeatApp(seat, "console", console=SpectatorScreen if seat.spectator else SeatConsole)
    app.sub_title = seat_header(seat).plain
    return app
