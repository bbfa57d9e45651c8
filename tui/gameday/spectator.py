"""The room's projector: the spectator seat's screen (in a terminal, or in a browser through the web page).

It shows what a room watches together: the incident's status (state, severity, who holds which role,
the SLI and budget, what is firing, the last stakeholder update), the room's feed (who did what, when,
with the result) and the main dashboards. It reads a read-only spectator RemoteSession and acts on
nothing; once the game day has ended it shows the room's debrief where the feed was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from scenarios.durations import format_clock
from tui.gameday.room_view import feed_lines
from tui.screens.lifecycle import while_shown
from tui.widgets.dashboards import DashboardsPanel
from tui.widgets.status_bar import StatusBar
from tui.widgets.text import plain, stack, styled

REFRESH_SECONDS = 0.5
FEED_SHOWN = 40
"""Feed lines on the projector (the newest)."""


def incident_status(session: Any) -> Content:
    """The incident at a glance, as the room sees it."""
    inc = session.incident_view()
    sli = session.sli_status()
    out = [
        styled(("Incident ", "bold"), f"{inc.state} · severity {inc.severity or 'not set'}"),
        styled("Roles: ", ", ".join(f"{role.upper()} {who}" for role, who in inc.roles.items()) or "none named"),
    ]
    if sli and "no_data_since" in sli:  # the metrics pipeline is down: the room sees what the team sees
        out.append(
            styled(
                (f"SLI no data since {format_clock(sli['no_data_since'])}", "bold $text-warning"),
                f" (objective {sli['objective'] * 100:g}%)",
            )
        )
    elif sli:
        breach = ("  BREACH", "bold $text-error") if sli.get("breaching") else ""
        out.append(
            styled(
                f"SLI {sli['availability'] * 100:.3f}% (objective {sli['objective'] * 100:g}%)",
                breach,
                f" · budget burned {sli['budget_burned_pct']:.1f}%",
            )
        )
    firing = [a for a in session.alert_list(False) if a.state == "firing"]
    out.append(styled(("Firing: ", "bold"), ", ".join(a.name for a in firing) or "nothing"))
    if inc.status_updates:
        t, text = inc.status_updates[-1]
        out.append(styled(("Last update ", "bold"), f"{format_clock(t)}: ", text))
    else:
        out.append(styled(("Last update ", "bold"), "none posted yet"))
    if inc.hypotheses:
        h = inc.hypotheses[-1]
        out.append(styled(("Hypothesis ", "bold"), f"#{h.id} ({h.status}): ", h.text))
    return stack(out)


class SpectatorScreen(Screen):
    """Status bar · incident status | room feed · main dashboards."""

    CSS_PATH = Path(__file__).parent.parent / "console.tcss"  # the dashboards' own styles
    DEFAULT_CSS = """
    SpectatorScreen #spectator-top { height: 14; }
    SpectatorScreen .spectator-column { width: 1fr; border: round $primary; padding: 0 1; }
    SpectatorScreen DashboardsPanel { height: 1fr; }
    """

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session
        self.title = "Game day · the room"

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="spectator-top"):
            with VerticalScroll(classes="spectator-column", id="status-column"):
                yield Static(id="incident-status")
            with VerticalScroll(classes="spectator-column", id="feed-column"):
                yield Static(id="room-feed")
        yield DashboardsPanel(self.session, id="panel-dashboards")

    def on_mount(self) -> None:
        self.query_one("#status-column").border_title = "Incident"
        self.query_one("#feed-column").border_title = "Room feed"
        self.refresh_room()
        self.set_interval(REFRESH_SECONDS, self.refresh_room)

    @while_shown
    def refresh_room(self) -> None:
        """Re-read the mirror the host keeps current."""
        session = self.session
        self.query_one(StatusBar).show(session, 0)
        self.query_one("#incident-status", Static).update(incident_status(session))
        feed = self.query_one("#room-feed", Static)
        if session.finished and session.room_debrief:
            self.query_one("#feed-column").border_title = "Room debrief"
            feed.update(plain(session.room_debrief))
        else:
            feed.update(feed_lines(list(session.room)[-FEED_SHOWN:]))
        dashboards = self.query_one(DashboardsPanel)
        if dashboards.is_mounted and dashboards.query("#red"):
            dashboards.refresh_from_session()
