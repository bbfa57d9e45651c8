"""The incident console: status bar, one panel at a time (plus a pager column when wide), footer.

The app owns the clock (it calls ``session.pump``); this screen re-reads the session on its own ~1 s
timer, refreshing only the visible panel, and asks the app for the debrief once the session ends.

Panels are built lazily: the first frame has only the pager; the others are mounted one at a time on
idle after it (pre-warming), or at once when the trainee asks for one first. Every widget in the DOM
costs on each restyle, so the first frame stays small and nothing is ever rebuilt.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widget import AwaitMount, Widget
from textual.widgets import DataTable, OptionList, Select, TabbedContent, TabPane
from textual.widgets._tabs import Underline

from scenarios.language.actions import ACTION_ADAPTER
from scenarios.text import clean
from tui import heap
from tui.port import SPEEDS, SessionPort
from tui.registry import PANELS, ConsoleCommands, bindings
from tui.screens.lifecycle import while_shown
from tui.screens.paint import SettledPaint
from tui.screens.row_detail import RowDetail, RowDetailScreen
from tui.widgets.actions import ActionsPanel, ConfirmAction, needs_confirmation, validation_message
from tui.widgets.changes import ChangesPanel
from tui.widgets.common import ActionRequest, Panel
from tui.widgets.comms import CommsPanel
from tui.widgets.dashboards import DashboardsPanel
from tui.widgets.hypotheses import HypothesesPanel
from tui.widgets.key_line import KeyLine
from tui.widgets.log_view import LogView
from tui.widgets.logs import LogsPanel
from tui.widgets.message_rail import Announcement, MessageRail, printable
from tui.widgets.pager import PagerPanel, SideSummary
from tui.widgets.panel_switcher import PanelSwitcher
from tui.widgets.profile_panel import ProfilePanel
from tui.widgets.runbooks import RunbooksPanel
from tui.widgets.service_map import ServiceMapPanel
from tui.widgets.status_bar import StatusBar
from tui.widgets.traces import TracesPanel

REFRESH_SECONDS = 1.0
FIRST_PANEL = "pager"
PREWARM_SECONDS = 0.05
"""Idle gap between two pre-warmed panel mounts, so a key press never waits behind more than one."""
STAGE_SECONDS = 0.02
"""Idle gap between two steps of staging a hidden panel off screen (each ~1-40 ms; about six per panel)."""
STAGE_LAYOUTS = 4
"""Off-screen layouts that change sizes a hidden panel takes at most before it is rendered (they settle in two)."""
TOAST_SECONDS = 4.0
"""How long a console toast stays (the rail keeps its line)."""
WIDE_COLUMNS = 140
"""From this width on, the pager column stays visible beside the panels."""
SIDE_COLUMNS = 45
"""The pager column's width with its border (console.tcss #side)."""
TABS_COLUMNS = 97
"""Columns the tab strip needs for every panel's title; narrower, the one-line switcher replaces it."""

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


FLASH_SECONDS = 1.5
"""How long the status bar flashes when a page arrives."""
PAGE_ALERT_ENV = "MISFORTUNE_PAGE_ALERT"
"""How a page announces itself: "bell,flash" (the default), "bell", "flash" or "off"."""


def page_alert_setting(value: str | None = None) -> frozenset[str]:
    """The page alert switches from ``value`` (else the environment); unknown words are ignored."""
    raw = os.environ.get(PAGE_ALERT_ENV, "bell,flash") if value is None else value
    words = (word.strip() for word in raw.replace("+", ",").split(","))
    return frozenset(word for word in words if word in ("bell", "flash"))


RUN_SPEEDS = tuple(s for s in SPEEDS if s)
TRACE_ID = re.compile(r"[0-9a-f]{32}")


def _step_speed(speed: float, step: int) -> float:
    """The running speed ``step`` places from ``speed`` (clamped to the ends)."""
    at = min(range(len(RUN_SPEEDS)), key=lambda i: abs(RUN_SPEEDS[i] - speed))
    return RUN_SPEEDS[max(0, min(len(RUN_SPEEDS) - 1, at + step))]


def tab_label(title: str, key: str) -> Content:
    """A tab's title with its key shown: the key's letter underlined in the title, else after it."""
    at = title.lower().find(key)
    if at < 0:
        return Content.assemble(title, " ", Content.styled(key, "underline"))
    return Content.assemble(title[:at], Content.styled(title[at], "underline"), title[at + 1 :])


def restyle_on_focus_what_focus_styles(tabs: Widget) -> None:
    """When the tab strip ``tabs`` gains or loses the focus, restyle the strip, its active tab and its
    underline, not every tab and container under it.

    Textual restyles a widget's whole subtree on a focus change (16 nodes here, ~3 ms of each panel
    switch, which moves the focus from the strip to the panel); Tabs' ``:focus`` rules style only the
    active tab and the underline's bar. tests/tui/test_console_keys.py checks every node of the strip ends
    with the styles a full restyle gives, focused and not.
    """

    def watch_has_focus(_has_focus: bool) -> None:
        nodes = [tabs, *tabs.query(".-active"), *tabs.query(Underline)]
        tabs.app.stylesheet.update_nodes(nodes, animate=True)

    # Reactive looks a watcher up on the instance: this one replaces Widget.watch_has_focus for this strip.
    tabs.watch_has_focus = watch_has_focus  # type: ignore[method-assign]


class ConsoleScreen(SettledPaint):
    """Keyboard-first incident console over a :class:`SessionPort`."""

    CSS_PATH = Path(__file__).parent.parent / "console.tcss"
    BINDINGS = bindings()
    COMMANDS = {ConsoleCommands}

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """As Screen's, without repainting the whole screen when focus moves (a second frame of ~3 ms on every
    panel switch): the widgets that gain and lose focus repaint themselves."""

    def __init__(self, session: SessionPort) -> None:
        super().__init__()
        self.session = session
        self.title = "Incident console"
        self._resume_speed = session.speed or 1.0
        self._hints_seen = 0
        self._messages_seen = 0
        """Messages announced so far (a notification each)."""
        self._messages_read = 0
        """Messages that had arrived when the comms panel was last on screen."""
        self._ended = False
        self._timer: Timer | None = None
        self._mounts: dict[str, AwaitMount] = {}
        self._built: dict[str, Panel] = {}
        """Every panel created so far, by id: a DOM query by id walks the whole screen (~1 ms each, a
        dozen per panel switch), a dict lookup does not."""
        self._read_at: dict[str, tuple[float, int, str]] = {}
        """Per panel, the moment of the session it last read (see :meth:`_moment`): a switch back to a
        panel that still shows this moment repaints without re-reading."""
        self._applied = 0
        """Actions applied so far from this console: the state can change without the clock moving."""
        self._history_read = False
        self._staging: dict[str, tuple[int, int]] = {}
        """Hidden panels being laid out off screen: the next step, and the layouts it has taken so far
        (:meth:`_stage_next`)."""
        self._staged: set[str] = set()
        """Panels laid out and rendered off screen before their first visit."""
        self.prewarmed = False
        """True once every panel is built, read and rendered off screen (the console's idle work is done)."""
        self.restaging = False
        """True while the hidden panels are staged again at a new terminal size (:meth:`on_resize`)."""
        self._resizes = 0
        """Resize events so far; a round of staging that saw one more must start again."""
        self._round: int | None = None
        """``_resizes`` when the round of staging under way took its first step."""
        self._candidate = ""
        """Evidence candidate chosen before the hypotheses panel was built."""
        self.page_alert = page_alert_setting()
        """How a new page makes itself noticed: a set of "bell" and "flash" (empty: silent)."""
        self._pages_seen = 0
        self._toast: tuple[str, str, SeverityLevel] | None = None
        """The toast to show once the current refresh is done (the last announced wins)."""
        self.incident_in_focus = 0
        """The incident highlighted in the pager's incidents table (0: none): the severity and role forms
        default to it."""
        self.service_in_focus = ""
        """The service the trainee looked at last (a row, a cell or a choice naming it): forms default to it."""
        self._service_of: dict[str, str] = {}
        """Service and instance names -> service, for reading a highlighted row."""
        self._heap = heap.Settler()
        self._main_widget: dict[str, Widget | None] = {}
        """Per panel, the widget its key focuses (found once: each search walked the panel five times)."""
        """Full garbage collections at quiet moments, not during a key press (tui.heap)."""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield PanelSwitcher(id="switcher")
        with Horizontal(id="console-body"):
            yield SideSummary(id="side")
            with TabbedContent(id="panels", initial=FIRST_PANEL):
                for pid, key, title in PANELS:
                    with TabPane(tab_label(title, key), id=pid):
                        if pid == FIRST_PANEL:
                            yield self._built.setdefault(pid, PANEL_CLASSES[pid](self.session, id=f"panel-{pid}"))
        yield MessageRail(id="rail")
        yield KeyLine(id="key-line")

    def on_mount(self) -> None:
        self._tabs = self.query_one("#panels", TabbedContent)
        self._underline_bar = self._tabs.query_one(Underline)
        restyle_on_focus_what_focus_styles(self._tabs.query_one("ContentTabs"))
        # The terminal's width is known now; waiting for the first Resize left a frame without the
        # side pager at 160 columns.
        self._set_width_classes(self.app.size.width)
        self.query_one(PanelSwitcher).show(FIRST_PANEL)
        self._hints_seen = len(self.session.incident_view().hints)
        self._pages_seen = len(self.session.pages())  # a resumed session's pages rang before
        self._messages_seen = self._messages_read = len(self.session.messages())  # a resumed session's
        self.refresh_panels()
        self._timer = self.set_interval(REFRESH_SECONDS, self.refresh_panels)
        self.call_after_refresh(self._prewarm)

    def on_resize(self) -> None:
        self._set_width_classes(self.size.width)
        self._resizes += 1
        if self.prewarmed and not self.restaging:
            # Panels staged at the old size would lay out and render cold on their first visit at this one
            # (and paint two or three frames): stage them again, once the new size is laid out. A round
            # under way when the size changes starts again at its end (_prewarm).
            self.restaging = True
            self.call_after_refresh(self.set_timer, STAGE_SECONDS, self._restage)

    @while_shown
    async def _restage(self) -> None:
        self._staged = {self.active_panel}
        self._staging.clear()
        await self._prewarm()

    def _set_width_classes(self, width: int) -> None:
        """-wide: the pager column fits beside the panels; -narrow: the tab strip does not fit, the
        one-line switcher replaces it and panels drop what their keys already do (buttons)."""
        wide = width >= WIDE_COLUMNS
        self.set_class(wide, "-wide")
        self.set_class(width - (SIDE_COLUMNS if wide else 0) < TABS_COLUMNS, "-narrow")

    # --- panels ------------------------------------------------------------------------------

    def panel(self, pid: str) -> Any:
        """The panel ``pid``; it must have been built (see :meth:`ensure_panel`)."""
        return self._built[pid]

    def has_panel(self, pid: str) -> bool:
        """True once panel ``pid`` is mounted and composed."""
        panel = self._built.get(pid)
        return panel is not None and panel.is_mounted

    def _mount_panel(self, pid: str) -> AwaitMount:
        mounting = self._mounts.get(pid)
        if mounting is None:
            panel = self._built[pid] = PANEL_CLASSES[pid](self.session, id=f"panel-{pid}")
            mounting = self._mounts[pid] = self.query_one(f"TabPane#{pid}", TabPane).mount(panel)
        return mounting

    async def ensure_panel(self, pid: str) -> Any:
        """Panel ``pid``, built now if the pre-warming has not reached it yet."""
        if not self.has_panel(pid):  # awaiting a finished mount again would lay the screen out again
            await self._mount_panel(pid)
        panel = self.panel(pid)
        if pid in ("actions", "profiles"):
            panel.service_hint = self.service_in_focus
        if pid == "actions":
            panel.incident_hint = self.incident_in_focus
        if pid == "hypotheses" and self._candidate:
            panel.set_candidate(self._candidate)
            self._candidate = ""
        return panel

    def on_unmount(self) -> None:
        # What the settles froze is the console's; without it (home, the app's end, the next test in the
        # same process) a full collection must not freeze every survivor for good.
        heap.stop()

    @while_shown
    async def _prewarm(self) -> None:
        """Build the next panel not built yet, then come back on idle for the one after."""
        for pid, _key, _title in PANELS:
            if pid not in self._built:
                await self._mount_panel(pid)
                if not self.is_attached or not self.has_panel(pid):  # the console closed meanwhile
                    return
                if pid == "logs":
                    self.panel("logs").ingest()
                self.set_timer(PREWARM_SECONDS, self._prewarm)
                return
        if not self._history_read:
            # The charts' minutes before t=0 come from a warm-up run the session makes on first use
            # (~0.2 s): made now, while the trainee reads the pager, not on their first look at a chart.
            self._history_read = True
            services = self.session.services()
            if services:
                self.session.metric(services[0].name, "rate", start=-1.0, end=0.0)
        if self._round is None:
            self._round = self._resizes
        if self._stage_next():
            self.set_timer(STAGE_SECONDS, self._prewarm)
            return
        resized, self._round = self._round != self._resizes, None
        self.restaging = False
        if not self.prewarmed:
            self.prewarmed = True
            # Everything a game keeps is built now: one full collection here, not ~0.1 s on a later key.
            self._heap.settle()
            # The session grows from here on: its big arrays grow in place (tui.heap; not before the first
            # frame, as loading ctypes takes ~4 ms).
            heap.steady_malloc()
        if resized:
            self.restaging = True
            self.call_after_refresh(self.set_timer, STAGE_SECONDS, self._restage)

    def _stage_next(self) -> bool:
        """One step of showing the hidden panels off screen (False once none is left).

        A first visit laid out and rendered every widget of its panel cold (the dashboards' ~100 ms instead
        of ~35 ms) and painted two or three frames as its widgets found their sizes. So each hidden panel is,
        one step at a time (a key waits behind one step at most):

        1. read, as its first visit would;
        2. laid out at the size the visible panel has, again on each step while its widgets' sizes change
           (a table sizes itself from its rows when idle), then rendered;
        3. laid out with a Resize for every widget, as the screen sends when it shows them (a list wraps
           again if its render brought a scroll bar);
        4. as 2, rendered again (what step 3 changed; the rest comes from the caches).

        Its first visit then finds its sizes set and its lines rendered, as a later visit does.
        """
        pane = self._pane(self.active_panel)
        size = pane.region.size if pane is not None else None
        if not size:
            return False  # not laid out yet; the first visits are as before
        for pid, _key, _title in PANELS:
            hidden = self._pane(pid)
            if pid in self._staged or pid == self.active_panel or hidden is None:
                continue
            step, layouts = self._staging.get(pid, (1, 0))
            if step == 1:
                self._read_if_stale(pid)  # reading journals nothing
                self._staging[pid] = (2, 0)
            elif step == 3:
                self.arrange_offstage(hidden, size, resize_all=True)
                self._staging[pid] = (4, 0)
            else:
                layout, changed = self.arrange_offstage(hidden, size)
                if changed and layouts < STAGE_LAYOUTS:
                    self._staging[pid] = (step, layouts + 1)
                    return True
                self.render_offstage(layout, focused=self._main_widget_of(pid))
                self._staging[pid] = (step + 1, 0)
                if step == 4:
                    self._staged.add(pid)
                    del self._staging[pid]
            return True
        return False

    def _pane(self, pid: str) -> TabPane | None:
        """The tab pane holding panel ``pid`` (None while it has not been composed)."""
        panel = self._built.get(pid)
        parent = panel.parent if panel is not None else None
        return parent if isinstance(parent, TabPane) else None

    @while_shown
    def _tidy(self) -> None:
        self._heap.tidy(getattr(self.app, "last_input", None))

    @property
    def active_panel(self) -> str:
        return self._tabs.active

    def _moment(self) -> tuple[float, int, str]:
        """What a panel's view depends on: the clock and the actions applied (the session changes by
        nothing else while the console is up), and the service in focus (forms and pickers start on it)."""
        return (self.session.now, self._applied, self.service_in_focus)

    def _read_if_stale(self, pid: str) -> None:
        """Re-read panel ``pid`` unless it already shows the session's present moment."""
        moment = self._moment()
        if self._read_at.get(pid) != moment:
            self._read_at[pid] = moment
            self.panel(pid).refresh_from_session()

    @while_shown
    def refresh_panels(self) -> None:
        """Re-read the session: status bar, log tail, hints, the visible panel (and the wide column)."""
        session = self.session
        self._service_of = {}  # instances come and go (rollouts, scaling): re-read on the next look
        self._check_messages()
        self.query_one(StatusBar).show(session, self.unread)
        if self.has_panel("logs"):
            self.panel("logs").ingest()
        if self.has_class("-wide"):
            self.query_one(SideSummary).show(session)
        active = self.active_panel
        if active and self.has_panel(active):
            self._read_at[active] = self._moment()
            self.panel(active).refresh_from_session()
        self._check_hints()
        self._check_pages()
        self._heap.maybe(getattr(self.app, "last_input", None))
        if session.finished and not self._ended:
            self._ended = True
            if self._timer is not None:
                self._timer.stop()
            if hasattr(self.app, "show_debrief"):
                self.app.show_debrief()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """One toast at a time, briefly, and the same line on the message rail.

        Toasts cover the panels (four of them hid the detail chart), so a new one replaces the last and
        none stays longer than ``TOAST_SECONDS``; the rail keeps the latest line in view. Text is shown as
        data, never markup.
        """
        del markup, timeout  # every console toast is plain text and short-lived
        if self._toast is None:
            self.call_later(self._show_toast)  # several in one refresh: only the last becomes a toast
        self._toast = (printable(message, one_line=False), printable(title), severity)
        for rail in self.query("#rail").results(MessageRail):
            rail.add(Announcement(self.session.now, title, message.split("\n", 1)[0], severity))

    @while_shown
    def _show_toast(self) -> None:
        if self._toast is None:
            return
        message, title, severity = self._toast
        self._toast = None
        self.app.clear_notifications()
        self.app.notify(message, title=title, severity=severity, timeout=TOAST_SECONDS, markup=False)

    @property
    def unread(self) -> int:
        """Messages that arrived since the comms panel was last on screen."""
        return self._messages_seen - self._messages_read

    def _check_messages(self) -> None:
        messages = self.session.messages()
        for message in messages[self._messages_seen :]:
            text = message.text if len(message.text) <= 120 else message.text[:119] + "…"
            self.notify(f"{text}\n[o] comms to read and reply", title=f"{message.sender} ({message.channel})")
        self._messages_seen = len(messages)
        # A rewind takes messages back: what was read cannot exceed what there is (unread never < 0).
        self._messages_read = min(self._messages_read, self._messages_seen)
        if self.active_panel == "comms":
            self._messages_read = self._messages_seen

    def _check_pages(self) -> None:
        """A page arrived: ring the terminal bell and flash the status bar, as a pager would (configurable)."""
        count = len(self.session.pages())
        if count <= self._pages_seen:
            return
        self._pages_seen = count
        if "bell" in self.page_alert:
            self.app.bell()
        if "flash" in self.page_alert:
            bar = self.query_one(StatusBar)
            bar.add_class("-flash")
            self.set_timer(FLASH_SECONDS, lambda: bar.remove_class("-flash"))

    def _check_hints(self) -> None:
        hints = self.session.incident_view().hints
        for _, text in hints[self._hints_seen :]:
            self.notify(text, title="Hint")
        self._hints_seen = len(hints)

    @on(TabbedContent.TabActivated, "#panels")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pid = event.pane.id or ""
        self._staged.add(pid)  # shown: nothing left to do off screen
        self.query_one(PanelSwitcher).show(pid)
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
            self._read_if_stale(pid)  # a key switch read it before the first frame (action_show_panel)
        # The garbage of this switch is collected once its frames are out and no key follows at once,
        # not by Python in the middle of a later key (tui.heap).
        self.call_after_refresh(self.set_timer, heap.TIDY_QUIET_S, self._tidy)

    # --- actions (bound through tui.registry) --------------------------------------------------

    async def action_show_panel(self, pid: str) -> None:
        """Switch to panel ``pid`` (building it if needed) and focus its main widget.

        The panel reads the session before it is shown, so the first frame after the key is complete:
        reading it after the switch (on TabActivated) cost a second layout and paint of the screen.
        """
        await self.ensure_panel(pid)
        if pid == "logs":
            self.panel(pid).ingest()
        self._read_if_stale(pid)
        self.query_one(PanelSwitcher).show(pid)
        self._underline(pid)
        self._tabs.active = pid
        self.action_focus_panel()

    def _underline(self, pid: str) -> None:
        """Move the tab strip's underline under ``pid``'s tab now, so it moves in the switch's first frame.

        Tabs moves it only once that frame is painted (it reads the tab's place from the layout), which
        cost the switch a frame of its own; the tabs do not move, so their place is known already. Tabs
        then sets the same place again, which repaints nothing.
        """
        if self.has_class("-narrow"):
            return  # no tab strip
        tab = self._tabs.get_tab(pid)
        if not tab.region:
            return  # not laid out yet
        start, end = tab.virtual_region.shrink(tab.styles.gutter).column_span
        underline = self._underline_bar
        underline.highlight_start, underline.highlight_end = start, end

    def action_leave_field(self) -> None:
        """Move focus to the tab strip (the switcher when narrow), so letter keys switch panels again."""
        if self.has_class("-narrow"):
            self.query_one(PanelSwitcher).focus()
        else:
            self.query_one("#panels Tabs").focus()

    async def action_step_panel(self, step: int) -> None:
        """The previous (-1) or next (+1) panel, wrapping around."""
        ids = [pid for pid, _key, _title in PANELS]
        at = ids.index(self.active_panel) if self.active_panel in ids else 0
        await self.action_show_panel(ids[(at + step) % len(ids)])

    def action_focus_panel(self) -> None:
        """Focus the active panel's main widget."""
        if not self.has_panel(self.active_panel):
            return
        target = self._main_widget_of(self.active_panel)
        if target is not None:
            target.focus()

    def _main_widget_of(self, pid: str) -> Widget | None:
        """The widget panel ``pid``'s key focuses (built panels only)."""
        target = self._main_widget.get(pid)
        if target is None or not target.is_attached:
            target = self._main_widget[pid] = self._find_main_widget(self.panel(pid))
        return target

    @staticmethod
    def _find_main_widget(panel: Panel) -> Widget | None:
        """The widget a panel's key focuses: its log view, list or first table, else its first text field."""
        for selector in ("LogView", "#action-list", "#runbook-list", "DataTable", "Input"):
            found = panel.query(selector)
            if found:
                return found.first()
        return None

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

    def action_faster(self) -> None:
        """Next faster clock (from a pause: the speed it had, one step up)."""
        self.action_speed(_step_speed(self.session.speed or self._resume_speed, +1))

    def action_slower(self) -> None:
        """Next slower clock, never below 1x (space pauses)."""
        self.action_speed(_step_speed(self.session.speed or self._resume_speed, -1))

    async def action_attach_evidence(self) -> None:
        reference = (await self.ensure_panel("hypotheses")).attach()
        if reference:
            self.notify(f"Evidence attached: {clean(reference)}", timeout=3, markup=False)

    def action_show_hints(self) -> None:
        hints = self.session.incident_view().hints
        text = "\n".join(clean(text) for _, text in hints) or "No hints yet."
        self.notify(text, title="Hints", timeout=10, markup=False)

    def row_detail(self) -> RowDetail | None:
        """The focused row (table row, log line, list option) as fields and text, or None."""
        focused = self.focused
        title = next((t for pid, _k, t in PANELS if pid == self.active_panel), "")
        if isinstance(focused, LogView):
            chosen = focused.selected()
            return None if chosen is None else self._log_detail(title, *chosen, body=focused.selected_body())
        if isinstance(focused, DataTable) and focused.row_count:
            labels = [str(c.label) for c in focused.ordered_columns]
            cells = [c.plain if isinstance(c, Text) else str(c) for c in focused.get_row_at(focused.cursor_row)]
            fields = tuple((label or "-", cell) for label, cell in zip(labels, cells, strict=True) if cell.strip())
            trace_id = next((c for c in cells if TRACE_ID.fullmatch(c)), "")
            service = self.look_at_service(*cells)
            return RowDetail(f"{title}: {cells[0] if cells else ''}", fields, trace_id=trace_id, service=service)
        if isinstance(focused, OptionList) and focused.highlighted is not None:
            option = focused.get_option_at_index(focused.highlighted)
            prompt = option.prompt.plain if isinstance(option.prompt, Text) else str(option.prompt)
            return RowDetail(title, (), text=prompt, service=self.look_at_service(prompt))
        return None

    def _log_detail(self, title: str, line: str, trace_id: str, body: str | None = None) -> RowDetail:
        """A log line's fields (the instance's zone and version when it still runs) and its message (the whole
        body of a multi-line entry, e.g. a stack trace, line by line)."""
        parts = line.split(None, 4)
        if len(parts) < 5:
            return RowDetail(title, (), text=line, trace_id=trace_id)
        clock, level, service, instance, message = parts
        if trace_id:
            message = message.removesuffix(f" trace={trace_id}")
        if body is not None:
            message = body
        fields = [("time", clock), ("level", level), ("service", service), ("instance", instance)]
        for inst in self.session.instances(service):
            if inst.id == instance:
                fields += [("zone", inst.zone), ("version", inst.version)]
        if trace_id:
            fields.append(("trace", trace_id))
        return RowDetail(f"{title}: {level} {service}", tuple(fields), message, trace_id, service)

    def action_view_row(self) -> None:
        """Open the selected row whole (v); its links lead to the trace or the service's dashboards."""
        detail = self.row_detail()
        if detail is None:
            self.notify("Select a row first (a list, a table or a log line)", severity="warning")
            return

        async def followed(where: str | None) -> None:
            if where == "trace" and (await self.ensure_panel("traces")).open_trace(detail.trace_id):
                await self.action_show_panel("traces")
            elif where == "dashboards":
                dashboards = await self.ensure_panel("dashboards")
                dashboards.query_one("#detail-service", Select).value = detail.service
                await self.action_show_panel("dashboards")

        self.app.push_screen(RowDetailScreen(detail), followed)

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

    def _names(self) -> dict[str, str]:
        if not self._service_of:
            self._service_of = {sv.name: sv.name for sv in self.session.services()}
            self._service_of.update({i.id: i.service for i in self.session.instances()})
        return self._service_of

    def look_at_service(self, *cells: object) -> str:
        """The first of ``cells`` naming a service or an instance becomes the service in focus."""
        names = self._names()
        for cell in cells:
            text = str(cell).split("=", 1)[-1].strip()
            service = names.get(text)
            if service:
                if service != self.service_in_focus:
                    self.service_in_focus = service
                    if self.has_panel("actions"):
                        self.panel("actions").service_hint = service
                return service
        return ""

    def _in_view(self, widget: Any) -> bool:
        """False for a widget of a hidden panel: a table filled while hidden highlights its first row,
        and that is not where the trainee is looking."""
        pane = next((a for a in widget.ancestors if isinstance(a, TabPane)), None)
        return pane is None or pane.id == self.active_panel

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if 0 <= event.cursor_row < table.row_count and self._in_view(table):
            self.look_at_service(*table.get_row_at(event.cursor_row))

    @on(DataTable.CellHighlighted, "#map-grid")
    def _cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        table = event.data_table
        if self._in_view(table):
            self.look_at_service(table.get_row_at(event.coordinate.row)[0])

    @on(Select.Changed)
    def _choice_changed(self, event: Select.Changed) -> None:
        # Not the action form's own fields: a dependency chosen there is not where the trainee looks.
        if not (event.select.id or "").startswith("field-") and isinstance(event.value, str):
            if self._in_view(event.select):
                self.look_at_service(event.value)

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

    @on(PagerPanel.IncidentInView)
    def _incident_in_view(self, event: PagerPanel.IncidentInView) -> None:
        self.incident_in_focus = event.number
        if self.has_panel("actions"):
            self.panel("actions").incident_hint = event.number

    async def action_incident_form(self, action: str) -> None:
        """`s` / `p`: the severity or role form, on the incident highlighted on the pager."""
        panel = await self.ensure_panel("actions")
        await self.action_show_panel("actions")
        panel.select_action(action)
        await panel.focus_first_field()

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
        self._applied += 1
        if self.has_panel("actions"):
            self.panel("actions").show_result(result)
        if result.accepted:
            self.notify(clean(result.message), title=action.action, timeout=4, markup=False)
        else:
            message = clean(result.message)
            self.notify(message, title=f"{action.action} rejected", severity="error", timeout=8, markup=False)
        self.refresh_panels()
