"""Snapshots of the home and the debrief at 80x24 and 160x48: fixed wheel seed, no journal path, no clock.

Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after a deliberate change, and look
at the report before committing.
"""

from __future__ import annotations

import pytest
from conftest import SCENARIO, StubConsole, play_reference_solution

from tui.app import MisfortuneApp
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
