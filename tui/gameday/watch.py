"""The facilitator watches a seat: that seat's console, read-only, on the panel the seat has open.

It reads the host's own session through :class:`WatchPort`, which refuses every action and records no
look (the facilitator watching is not the seat looking), and follows the panel the seat last opened
and the messages it has read, as the host keeps them for a rejoin.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import Static

from simulator.diagnostics import ProfileError
from simulator.views import ActionResult
from tui.gameday.room_view import seat_header
from tui.registry import PANELS
from tui.screens.console import ConsoleScreen

READ_ONLY = "the facilitator is watching this seat read-only"
PANEL_IDS = frozenset(pid for pid, _key, _title in PANELS)


class WatchPort:
    """SessionPort over the host's session as one seat sees it, refusing every change."""

    def __init__(self, host: Any, label: str) -> None:
        self._host = host
        self.label = label
        self.spectator = False

    @property
    def record(self) -> Any:
        """The host's record of the watched seat (it follows a reassignment)."""
        link = self._host.seats.get(self.label)
        if link is not None:
            return link.record
        return next((r for r in self._host.records.values() if r.label == self.label), None)

    @property
    def seat(self) -> str:
        return self.label

    @property
    def role(self) -> str:
        return self.label.partition(":")[0]

    @property
    def on_call(self) -> str | None:
        record = self.record
        return record.on_call if record is not None else None

    @property
    def allowed(self) -> frozenset[str]:
        """What the watched seat may do (its action form shows the same list)."""
        return self._host.table.allowed(self.role)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host.session, name)  # the session as it is now (a rewind replaces it)

    def apply(self, action: Any) -> ActionResult:
        return ActionResult(False, READ_ONLY, action.action, self._host.sim.now)

    def look(self, what: str, **detail: Any) -> None:
        """Nothing: the facilitator watching is not the seat looking."""

    def set_speed(self, speed: float) -> None:
        """Nothing: the clock is the facilitator's own console's."""

    def pump(self, wall_seconds: float) -> None:
        """Nothing: the host's clock runs the simulation."""

    def take_profile(self, kind: str, instance: str, seconds: float = 30.0) -> Any:
        raise ProfileError(READ_ONLY)

    def end_now(self, reason: str = "gave_up") -> None:
        """Nothing: the facilitator ends the incident from their own console (x)."""


class WatchScreen(ConsoleScreen):
    """A seat's console as the seat sees it, read-only; Escape goes back to the facilitator's console."""

    BINDINGS = [
        *ConsoleScreen.BINDINGS,
        Binding("escape", "stop_watching", "Stop watching", id="watch.back", priority=True),
    ]
    BLOCKED = frozenset({"ack", "toggle_pause", "speed", "faster", "slower", "profile", "give_up"})

    def __init__(self, port: WatchPort) -> None:
        super().__init__(port)  # type: ignore[arg-type]
        self.port = port
        self.title = f"Watching {port.label}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.BLOCKED:
            return False
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        # ConsoleScreen.on_mount runs too (Textual calls each class's handler).
        self.mount(Static(seat_header(self.port), id="seat-header"), before=0)
        self.call_after_refresh(self._follow)

    def refresh_panels(self) -> None:
        """The console's refresh, then the seat's own panel and read mark."""
        super().refresh_panels()
        record = self.port.record
        if record is not None:
            self._messages_read = min(record.messages_read, self._messages_seen)
        self.call_after_refresh(self._follow)

    async def _follow(self) -> None:
        record = self.port.record
        panel = record.panel if record is not None else None
        if panel in PANEL_IDS and panel != self.active_panel and self.is_attached:
            await self.ensure_panel(panel)
            # The facilitator may stop watching while the panel is built: the tab strip is then being
            # removed, and setting its tab raised ValueError (seen under load in the room-debrief test).
            if self.is_attached and self.app.screen is self:
                self._tabs.active = panel

    def action_stop_watching(self) -> None:
        self.dismiss()
