"""Snapshots of the home, the console and the debrief at 80x24 and 160x48: fixed seeds, no journal path, the
clock paused or off.

Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after a deliberate change, and look
at the report before committing.
"""

from __future__ import annotations

import pytest

from scenarios.language.actions import ACTION_ADAPTER
from tests.tui.helpers import SCENARIO, StubConsole, play_reference_solution
from tui.app import MisfortuneApp
from tui.registry import PANELS
from tui.session import LocalSession

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(snap_compare, size):
    app = MisfortuneApp(spin_seed=11, console=StubConsole, clock=False)
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_debrief(snap_compare, size):
    session = LocalSession.start(SCENARIO, 1, journal=False)
    play_reference_solution(session)
    app = MisfortuneApp(session, "console", console=StubConsole, clock=False)

    async def open_debrief(pilot):
        pilot.app.show_debrief()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_debrief)


def _paused_console() -> MisfortuneApp:
    """The real console ten simulated minutes into checkout-oom-leak, seed 1, the clock paused."""
    session = LocalSession.start(SCENARIO, 1, journal=False)
    session.sim.run_until(600)
    session.set_speed(0.0)
    return MisfortuneApp(session, "console", clock=False)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_console(snap_compare, size):
    assert snap_compare(_paused_console(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_incident_panel(snap_compare, size):
    """The pager's incident panel with two incidents (checkout-oom-leak's disk ticket opens the second at
    25 min): the first acknowledged at SEV2 with an IC named, the second with nobody named yet."""
    session = LocalSession.start(SCENARIO, 1, journal=False)
    session.sim.run_until(1800)
    for fields in (
        {"action": "ack"},
        {"action": "set_severity", "severity": "SEV2", "incident_number": 1},
        {"action": "assign_role", "role": "imoc", "person": "@sam", "incident_number": 1},
    ):
        assert session.apply(ACTION_ADAPTER.validate_python(fields)).accepted
    session.set_speed(0.0)
    assert snap_compare(MisfortuneApp(session, "console", clock=False), terminal_size=size)


def test_console_action_form_80x24(snap_compare):
    """The rollback form at the smallest size: the keys to drive it are on screen."""

    async def open_rollback(pilot):
        await pilot.app.screen.action_show_panel("actions")
        pilot.app.screen.panel("actions").select_action("rollback_deploy")
        await pilot.pause()

    assert snap_compare(_paused_console(), terminal_size=(80, 24), run_before=open_rollback)


PANEL_IDS = [pid for pid, _key, _title in PANELS if pid != "pager"]  # the pager is test_console's first frame


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pid", PANEL_IDS)
def test_console_panel(snap_compare, pid, size):
    """Every panel at the smallest and a large size: at 80x24 the switcher replaces the tabs, pickers fit."""

    async def open_panel(pilot):
        await pilot.app.screen.action_show_panel(pid)
        await pilot.pause()

    assert snap_compare(_paused_console(), terminal_size=size, run_before=open_panel)
