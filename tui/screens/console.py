"""The incident console: status bar, one panel at a time (plus a pager column when wide), footer.

The app owns the clock (it calls ``session.pump``); this screen re-reads the session on its own ~1 s
timer, refreshing only the visible panel, and asks the app for the debrief once the session ends.

Panels are built lazily: the first frame has only the pager; the others are mounted one at a time on
idle after it (pre-warming), or at once when the trainee asks for one first. Every widget in the DOM
costs on each restyle, so the first frame stays small and nothing is ever rebuilt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount
from textual.widgets import DataTable, TabbedContent, TabPane

from scenarios.language.actions import ACTION_ADAPTER
from scenarios.text import clean
from tui.port import SPEEDS, SessionPort
from tui.registry import PANELS, ConsoleCommands, bindings
from tui.widgets.actions import ActionsPanel, ConfirmAction, needs_confirmation, validation_message
from tui.widgets.changes import ChangesPanel
from tui.widgets.common import ActionRequest, Panel
from tui.widgets.comms import CommsPanel
from tui.widgets.dashboards import DashboardsPanel
from tui.widgets.hypotheses import HypothesesPanel
from tui.widgets.key_line import KeyLine
from tui.widgets.log_view import LogView
from tui.widgets.logs import LogsPanel
from tui.widgets.pager import PagerPanel, SideSummary
from tui.widgets.profile_panel import ProfilePanel
from tui.widgets.runbooks import RunbooksPanel
from tui.widgets.service_map import ServiceMapPanel
from tui.widgets.status_bar import StatusBar
from tui.widgets.traces import TracesPanel

REFRESH_SECONDS = 1.0
FIRST_PANEL = "pager"
PREWARM_SECONDS = 0.05
"""Idle gap between two pre-warmed panel mounts, so a key press never waits behind more than one."""
WIDE_COLUMNS = 140
"""From this width on, the pager column stays visible beside the panels."""

PANEL_CLASSES: dict[str, type[Panel]] = {
    "pager": PagerPanel,
    "dashboards": DashboardsPanel,
    "logs": LogsPanel,
    "traces": TracesPanel,
    "changes": ChangesPanel,
    "runbooks": RunbooksPanel,
    "map": ServiceMapPanel,
    "hypotheses": HypothesesPanel,
    "actions": ActionsPanel,
    "comms": CommsPanel,
    "profiles": ProfilePanel,
}


def tab_label(title: str, key: str) -> Content:
    """A tab's title with its key shown: the key's letter underlined in the title, else after it."""
    at = title.lower().find(key)
    if at < 0:
        return Content.assemble(title, " ", Content.styled(key, "underline"))
    return Content.assemble(title[:at], Content.styled(title[at], "underline"), title[at + 1 :])


class ConsoleScreen(Screen):
    """Keyboard-first incident console over a :class:`SessionPort`."""

    CSS_PATH = Path(__file__).parent.parent / "console.tcss"
    BINDINGS = bindings()
    COMMANDS = {ConsoleCommands}

    def __init__(self, session: SessionPort) -> None:
        super().__init__()
        self.session = session
        self._resume_speed = session.speed or 1.0
        self._hints_seen = 0
        self._messages_seen = 0
        """Messages announced so far (a notification each)."""
        self._messages_read = 0
        """Messages that had arrived when the comms panel was last on screen."""
        self._ended = False
        self._timer: Timer | None = None
        self._mounts: dict[str, AwaitMount] = {}
        self._candidate = ""
        """Evidence candidate chosen before the hypotheses panel was built."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="console-body"):
            yield SideSummary(id="side")
            with TabbedContent(id="panels", initial=FIRST_PANEL):
                for pid, key, title in PANELS:
                    with TabPane(tab_label(title, key), id=pid):
                        if pid == FIRST_PANEL:
                            yield PANEL_CLASSES[pid](self.session, id=f"panel-{pid}")
        yield KeyLine(id="key-line")

    def on_mount(self) -> None:
        # The terminal's width is known now; waiting for the first Resize left a frame without the
        # side pager at 160 columns.
        self.set_class(self.app.size.width >= WIDE_COLUMNS, "-wide")
        self._hints_seen = len(self.session.incident_view().hints)
        self._messages_seen = self._messages_read = len(self.session.messages())  # a resumed session's
        self.refresh_panels()
        self._timer = self.set_interval(REFRESH_SECONDS, self.refresh_panels)
        self.call_after_refresh(self._prewarm)

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE_COLUMNS, "-wide")

    # --- panels ------------------------------------------------------------------------------

    def panel(self, pid: str) -> Any:
        """The panel ``pid``; it must have been built (see :meth:`ensure_panel`)."""
        return self.query_one(f"#panel-{pid}", PANEL_CLASSES[pid])

    def has_panel(self, pid: str) -> bool:
        """True once panel ``pid`` is mounted and composed."""
        found = self.query(f"#panel-{pid}")
        return bool(found) and found.first().is_mounted

    def _mount_panel(self, pid: str) -> AwaitMount:
        mounting = self._mounts.get(pid)
        if mounting is None:
            panel = PANEL_CLASSES[pid](self.session, id=f"panel-{pid}")
            mounting = self._mounts[pid] = self.query_one(f"TabPane#{pid}", TabPane).mount(panel)
        return mounting

    async def ensure_panel(self, pid: str) -> Any:
        """Panel ``pid``, built now if the pre-warming has not reached it yet."""
        found = self.query(f"#panel-{pid}")
        if not found or pid in self._mounts:
            await self._mount_panel(pid)
        panel = self.panel(pid)
        if pid == "hypotheses" and self._candidate:
            panel.set_candidate(self._candidate)
            self._candidate = ""
        return panel

    async def _prewarm(self) -> None:
        """Build the next panel not built yet, then come back on idle for the one after."""
        for pid, _key, _title in PANELS:
            if pid not in self._mounts and not self.query(f"#panel-{pid}"):
                await self._mount_panel(pid)
                if not self.is_attached:  # the console closed meanwhile
                    return
                if pid == "logs":
                    self.panel("logs").ingest()
                self.set_timer(PREWARM_SECONDS, self._prewarm)
                return

    @property
    def active_panel(self) -> str:
        return self.query_one("#panels", TabbedContent).active

    def refresh_panels(self) -> None:
        """Re-read the session: status bar, log tail, hints, the visible panel (and the wide column)."""
        session = self.session
        self._check_messages()
        self.query_one(StatusBar).show(session, self.unread)
        if self.has_panel("logs"):
            self.panel("logs").ingest()
        if self.has_class("-wide"):
            self.query_one(SideSummary).show(session)
        active = self.active_panel
        if active and self.has_panel(active):
            self.panel(active).refresh_from_session()
        self._check_hints()
        if session.finished and not self._ended:
            self._ended = True
            if self._timer is not None:
                self._timer.stop()
            if hasattr(self.app, "show_debrief"):
                self.app.show_debrief()

    @property
    def unread(self) -> int:
        """Messages that arrived since the comms panel was last on screen."""
        return self._messages_seen - self._messages_read

    def _check_messages(self) -> None:
        messages = self.session.messages()
        for message in messages[self._messages_seen :]:
            text = clean(message.text if len(message.text) <= 120 else message.text[:119] + "…")
            self.notify(
                f"{text}\n[o] comms to read and reply",
                title=f"{clean(message.sender)[:80]} ({message.channel})",
                timeout=8,
                markup=False,
            )
        self._messages_seen = len(messages)
        if self.active_panel == "comms":
            self._messages_read = self._messages_seen

    def _check_hints(self) -> None:
        hints = self.session.incident_view().hints
        for _, text in hints[self._hints_seen :]:
            self.notify(clean(text, keep_newlines=True), title="Hint", timeout=15, markup=False)
        self._hints_seen = len(hints)

    @on(TabbedContent.TabActivated, "#panels")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pid = event.pane.id or ""
        if pid in PANEL_CLASSES:
            self.session.look("panel", name=pid)
            panel = await self.ensure_panel(pid)
            if pid == "logs":
                panel.ingest()
            if pid == "runbooks":
                panel.read_shown()
            if pid == "comms":
                self._messages_read = self._messages_seen
                self.query_one(StatusBar).show(self.session, self.unread)
            panel.refresh_from_session()

    # --- actions (bound through tui.registry) --------------------------------------------------

    async def action_show_panel(self, pid: str) -> None:
        """Switch to panel ``pid`` (building it if needed) and focus its main widget."""
        await self.ensure_panel(pid)
        self.query_one("#panels", TabbedContent).active = pid
        self.action_focus_panel()

    def action_leave_field(self) -> None:
        """Move focus to the tab strip, so letter keys switch panels again."""
        self.query_one("#panels Tabs").focus()

    def action_focus_panel(self) -> None:
        """Focus the active panel's main widget."""
        if not self.has_panel(self.active_panel):
            return
        panel = self.panel(self.active_panel)
        for selector in ("LogView", "#action-list", "#runbook-list", "DataTable", "Input"):
            found = panel.query(selector)
            if found:
                found.first().focus()
                return

    def action_ack(self) -> None:
        self.request_action({"action": "ack"})

    def action_toggle_pause(self) -> None:
        if self.session.speed == 0:
            self.session.set_speed(self._resume_speed)
        else:
            self._resume_speed = self.session.speed
            self.session.set_speed(0.0)
        self.query_one(StatusBar).show(self.session, self.unread)

    def action_speed(self, speed: float) -> None:
        assert speed in SPEEDS
        self.session.set_speed(speed)
        self._resume_speed = speed
        self.query_one(StatusBar).show(self.session, self.unread)

    async def action_attach_evidence(self) -> None:
        reference = (await self.ensure_panel("hypotheses")).attach()
        if reference:
            self.notify(f"Evidence attached: {clean(reference)}", timeout=3, markup=False)

    def action_show_hints(self) -> None:
        hints = self.session.incident_view().hints
        text = "\n".join(clean(text) for _, text in hints) or "No hints yet."
        self.notify(text, title="Hints", timeout=10, markup=False)

    # --- messages from panels --------------------------------------------------------------------

    def set_candidate(self, reference: str) -> None:
        """What the trainee selected last: ctrl+e attaches it to the draft hypothesis."""
        if self.has_panel("hypotheses"):
            self.panel("hypotheses").set_candidate(reference)
        else:
            self._candidate = reference

    @on(LogView.LineSelected)
    async def _log_line(self, event: LogView.LineSelected) -> None:
        reference = f"log:{event.trace_id}" if event.trace_id else f"log:{event.text[:120]}"
        self.set_candidate(reference)
        if event.trace_id:
            if (await self.ensure_panel("traces")).open_trace(event.trace_id):
                await self.action_show_panel("traces")

    @on(TracesPanel.TraceOpened)
    def _trace_opened(self, event: TracesPanel.TraceOpened) -> None:
        self.set_candidate(f"trace:{event.trace_id}")

    @on(DashboardsPanel.MetricViewed)
    def _metric_viewed(self, event: DashboardsPanel.MetricViewed) -> None:
        self.set_candidate(event.reference)

    @on(DataTable.RowSelected, "#resources")
    async def _instance_chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on an instance in the dashboards' resources table opens its profiles."""
        instance = str(event.data_table.get_row_at(event.cursor_row)[0])
        (await self.ensure_panel("profiles")).select_instance(instance)
        await self.action_show_panel("profiles")

    async def action_profile(self, kind: str) -> None:
        """Take a profile of the instance selected in the profiles panel, and show that panel."""
        panel = await self.ensure_panel("profiles")
        await self.action_show_panel("profiles")
        panel.action_take(kind)

    @on(ProfilePanel.Taken)
    def _profile_taken(self, event: ProfilePanel.Taken) -> None:
        self.set_candidate(event.reference)

    @on(CommsPanel.Send)
    def _comms(self, event: CommsPanel.Send) -> None:
        self.request_action({"action": event.action, "text": event.text})

    @on(ActionRequest)
    def _action_request(self, event: ActionRequest) -> None:
        event.stop()
        self.request_action(event.payload)

    def request_action(self, payload: dict[str, Any]) -> None:
        """Validate, confirm when destructive, apply; report the engine's answer."""
        try:
            action = ACTION_ADAPTER.validate_python(payload)
        except ValidationError as err:
            self.notify(
                clean(validation_message(err), keep_newlines=True), title="Not sent", severity="error", markup=False
            )
            return
        if needs_confirmation(action):
            summary = ", ".join(f"{k}={v}" for k, v in payload.items() if k != "action")
            question = f"Really {action.action} ({summary})?\nThis can make the incident worse."

            def answered(yes: bool | None) -> None:
                if yes:
                    self._apply(action)
                elif self.has_panel("actions"):
                    self.panel("actions").show_message("Cancelled.", "$text-muted")

            self.app.push_screen(ConfirmAction(question), answered)
            return
        self._apply(action)

    def _apply(self, action: Any) -> None:
        result = self.session.apply(action)
        if self.has_panel("actions"):
            self.panel("actions").show_result(result)
        if result.accepted:
            self.notify(clean(result.message), title=action.action, timeout=4, markup=False)
        else:
            message = clean(result.message)
            self.notify(message, title=f"{action.action} rejected", severity="error", timeout=8, markup=False)
        self.refresh_panels()
