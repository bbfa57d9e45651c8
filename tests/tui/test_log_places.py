"""Logs filtered by where they were written: a zone, a version or one instance (issue 14, deliverable 1)."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Select

from tui.screens.console import ConsoleScreen
from tui.session import LocalSession
from tui.widgets.log_buffer import LogBuffer, LogQuery


@pytest.fixture(scope="module")
def session() -> LocalSession:
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.set_speed(0.0)
    s.sim.run_until(900)
    return s


def test_the_buffer_filters_by_zone_version_and_instance(session):
    records = session.logs()
    buffer = LogBuffer()
    buffer.extend(records)
    some = next(r for r in records if r.service == "checkout")
    for where, keep in (
        (f"zone={some.zone}", lambda r: r.zone == some.zone),
        (f"version={some.version}", lambda r: r.version == some.version),
        (f"instance={some.instance}", lambda r: r.instance == some.instance),
    ):
        expected = [i for i, r in enumerate(records) if keep(r)]
        assert 0 < len(expected) < len(records)
        assert buffer.filter(LogQuery(where=where)) == expected, where
        assert where in buffer.where_choices()
    both = buffer.filter(LogQuery(where=f"version={some.version}", level="ERROR"))
    assert both == [i for i, r in enumerate(records) if r.version == some.version and r.level in ("ERROR", "FATAL")]
    assert buffer.filter(LogQuery(where="colour=blue")) == []


async def test_the_logs_panel_offers_the_places_beside_the_query(session):
    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(ConsoleScreen(session))

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("logs")
        panel = screen.panel("logs")
        panel.ingest()
        await pilot.pause()
        choice = screen.query_one("#log-where", Select)
        offered = [value for _prompt, value in choice._options if isinstance(value, str)]
        assert offered == panel.view.buffer.where_choices() and any(v.startswith("version=") for v in offered)
        version = next(v for v in offered if v.startswith("version="))
        choice.value = version  # as a trainee picking it: the query runs on the change
        await screen.workers.wait_for_complete()
        await pilot.pause()
        view = panel.view
        assert view.query_state.where == version
        expected = [r for r in session.logs() if f"version={r.version}" == version]
        assert view.visible_count == len(expected)
        assert choice.region.right <= 80, "the place choice fits at 80 columns"
