"""Observability that shares fate, in the console: honest 'no data since' indicators, and time compression."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from scenarios.language.observability import Observability
from simulator.session.simulation import Simulation
from tui.gameday.spectator import incident_status
from tui.screens.console import ConsoleScreen
from tui.session import LocalSession
from tui.widgets.tool_banner import ToolBanner

SIZE = (120, 40)


class Host(App):
    def __init__(self, session: LocalSession) -> None:
        super().__init__()
        self.session = session

    def on_mount(self) -> None:
        self.push_screen(ConsoleScreen(self.session))

    def show_debrief(self) -> None:
        pass


def text_of(widget) -> str:
    return str(widget.visual)


async def test_blank_dashboards_say_since_when_and_the_sli_is_unknown():
    session = LocalSession.start("blind-scaleout-provider-packet-loss", seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(600)
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await screen.action_show_panel("dashboards")
        screen.refresh_panels()
        await pilot.pause()
        banner = screen.query_one("#dash-tools", ToolBanner)
        assert banner.display
        assert "dashboards: no data since 00:04:00 (metrics datasource on monitoring unreachable)" in text_of(banner)
        status = text_of(screen.query_one("#status-bar", Static))
        assert "SLI no data since 00:04:00" in status and "burned" not in status
        # Its pages come from an independent path (an external uptime checker): no alerting banner.
        await screen.action_show_panel("pager")
        screen.refresh_panels()
        await pilot.pause()
        assert not screen.query_one("#pager-tools", ToolBanner).display
        # The log pipeline works in this scenario: no banner there.
        await screen.action_show_panel("logs")
        screen.refresh_panels()
        await pilot.pause()
        assert not screen.query_one("#log-tools", ToolBanner).display


async def test_alert_rules_blind_with_the_metrics_say_so_on_the_pager_panel():
    # The same scenario, had its alert rules read the monitoring cluster like its dashboards.
    scenario, _ = load_by_ref("blind-scaleout-provider-packet-loss")
    scenario = scenario.model_copy(update={"observability": Observability(metrics="monitoring")})
    session = LocalSession(Simulation(scenario, seed=1), None, None)
    session.set_speed(0.0)
    session.sim.run_until(600)
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await screen.action_show_panel("pager")
        screen.refresh_panels()
        await pilot.pause()
        pager = text_of(screen.query_one("#pager-tools", ToolBanner))
        assert "alerting: no data since 00:04:00 (rules read the metrics datasource on monitoring" in pager
        assert "no alert is not all clear" in pager
        assert not session.pages()


async def test_a_failed_status_page_shows_in_comms():
    session = LocalSession.start("os-upgrade-severs-dyno-network", seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(700)
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await screen.action_show_panel("comms")
        screen.refresh_panels()
        await pilot.pause()
        banner = screen.query_one("#comms-tools", ToolBanner)
        assert banner.display and "status page: unreachable since 00:07:29" in text_of(banner)


def test_the_pump_skips_ahead_while_only_a_long_recovery_runs():
    session = LocalSession.start("os-upgrade-severs-dyno-network", seed=1, journal=False)
    for action in session.sim.scenario.solution:
        if action.at > 19 * 60:
            break
        session.sim.run_until(action.at)
        session.apply(ACTION_ADAPTER.validate_python(action.model_dump(exclude_none=True)))
    session.sim.run_until(26 * 60)
    assert session.sim.compression() is not None
    session.set_speed(1.0)
    before = session.now
    session.pump(0.25)
    assert session.now - before >= 60 * 0.25 - 1.5  # 60x while compressed, not 1x
    session.sim.run_until(2 * 3600)
    assert session.sim.compression() is None  # the rolling restart is over
    before = session.now
    session.pump(0.25)
    assert session.now - before <= 1.0


def test_the_projector_shows_no_data_while_the_metrics_are_down():
    session = LocalSession.start("blind-scaleout-provider-packet-loss", seed=1, journal=False)
    session.sim.run_until(600)
    text = str(incident_status(session))
    assert "SLI no data since 00:04:00 (objective 99.9%)" in text
    assert "budget burned" not in text
