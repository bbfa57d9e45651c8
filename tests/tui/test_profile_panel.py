"""The profiles panel: opened from the dashboards' instance table and from the command palette; taking a
profile costs simulated time and the result is shown when it is ready."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import DataTable, Static

from tui.screens.console import ConsoleScreen
from tui.session import LocalSession
from tui.widgets.profile_panel import ProfilePanel

SIZE = (130, 45)


class ConsoleHost(App):
    """Pushes the console (no debrief)."""

    def __init__(self, session: LocalSession) -> None:
        super().__init__()
        self.session = session

    def on_mount(self) -> None:
        self.push_screen(ConsoleScreen(self.session))

    def show_debrief(self) -> None:
        pass


@pytest.fixture
def session() -> LocalSession:
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.set_speed(0.0)
    s.sim.run_until(600)
    return s


def _text(widget: Static) -> str:
    return str(widget.render())


async def test_enter_on_an_instance_row_opens_its_profiles(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await screen.action_show_panel("dashboards")
        await pilot.pause()
        screen.panel("dashboards").refresh_from_session()
        table = screen.query_one("#resources", DataTable)
        row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[0]).startswith("checkout-"))
        wanted = str(table.get_row_at(row)[0])
        table.focus()
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.active_panel == "profiles"
        panel = screen.panel("profiles")
        assert panel.instance == wanted
        # Take a thread dump: it needs simulated time before it is readable.
        await pilot.press("r")
        await pilot.pause()
        view = screen.query_one("#profile-view", Static)
        assert "in progress" in _text(view)
        session.sim.run_until(session.now + 3)
        screen.refresh_panels()
        await pilot.pause()
        assert f"Thread dump of {wanted}" in _text(view)
        assert "idle worker" in _text(view)
        looks = [look for look in session.sim.looks if look["what"] == "profile"]
        assert looks[-1]["kind"] == "threads" and looks[-1]["instance"] == wanted


async def test_palette_command_takes_a_cpu_profile(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"CPU profile of")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert screen.active_panel == "profiles"
        panel = screen.query_one(ProfilePanel)
        assert len(panel.request_ids) == 1
        req = session.profile_request(panel.request_ids[0])
        assert req.kind == "cpu" and req.ready_at == pytest.approx(session.now + 30)
        session.sim.run_until(req.ready_at + 1)
        screen.refresh_panels()
        await pilot.pause()
        text = _text(screen.query_one("#profile-view", Static))
        assert "CPU profile of" in text and "flame graph" in text
        assert screen.query_one("#profile-list", DataTable).row_count == 1


async def test_profiling_a_crashed_instance_explains_why_not(session):
    app = ConsoleHost(session)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        panel = await screen.ensure_panel("profiles")
        await screen.action_show_panel("profiles")
        panel.select_instance("no-such-pod")
        panel.action_take("cpu")
        await pilot.pause()
        assert "no instance 'no-such-pod'" in _text(screen.query_one("#profile-status", Static))
        assert panel.request_ids == []
