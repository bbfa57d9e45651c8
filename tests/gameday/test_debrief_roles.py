"""The seats' debrief shows each role's part and the observers' root-cause guesses (the Roles card)."""

from __future__ import annotations

import asyncio
import time

from textual.widgets import Static

from scenarios.language.actions import ACTION_ADAPTER
from simulator.reports.facts import PathStep
from tests.gameday.conftest import join, settle
from tui.gameday.seat_app import seat_app
from tui.screens.debrief import DebriefScreen

PATIENCE = 30.0
"""Seconds a test waits for a screen to be built before it fails (quiet, well under one)."""


async def console_built(app, pilot, patience: float = PATIENCE) -> None:
    """Wait for the console's pre-warming to build every panel (leaving it mid-way trips console.py).

    Bounded by wall time, not by a count of short pauses: a loaded machine builds the panels slowly, and a
    test that went on with half a console failed on what it had not built yet."""
    from tui.registry import PANELS

    deadline = time.monotonic() + patience
    while not all(app.screen.has_panel(pid) for pid, _, _ in PANELS):
        if time.monotonic() > deadline:
            raise AssertionError(f"the console built only some panels in {patience:g} s: {app.screen}")
        await pilot.pause(0.02)


async def until_debrief(app, pilot, patience: float = PATIENCE) -> None:
    deadline = time.monotonic() + patience
    while not (isinstance(app.screen, DebriefScreen) and app.screen.query("#truth")):  # shown and composed
        if time.monotonic() > deadline:
            raise AssertionError(f"no debrief: {app.screen}")
        await pilot.pause(0.02)


def act(body):
    return ACTION_ADAPTER.validate_python(body)


async def test_roles_card_shows_each_roles_part_and_the_observers_guesses(host):
    imoc = await join(host, "imoc", "ana")
    tloc = await join(host, "tloc", "bo")
    watcher = await join(host, "observer", "cy")
    try:
        host.advance(300)
        host.set_power("imoc", "restart", True)  # a small team: the facilitator lets the IMOC restart
        await settle(host, imoc)
        for seat, body in (
            (imoc, {"action": "ack"}),
            (imoc, {"action": "set_severity", "severity": "SEV2"}),
            (tloc, {"action": "hypothesis", "text": "checkout v2.5.0 leaks memory"}),
            (imoc, {"action": "status_update", "text": "Checkout failing in bursts; rolling back."}),
            (imoc, {"action": "restart", "service": "payments"}),  # hands-on: counted against the IMOC
            (tloc, {"action": "rollback_deploy", "service": "checkout"}),
        ):
            assert (await asyncio.to_thread(seat.apply, act(body))).accepted, body
        assert await asyncio.to_thread(watcher.guess, "a memory leak in checkout's new cart cache") is None

        app = seat_app(watcher)
        async with app.run_test(size=(140, 60)) as pilot:
            await console_built(app, pilot)
            host.end()  # the facilitator calls time: every seat's console turns to the debrief
            await settle(host, watcher)
            await until_debrief(app, pilot)
            # the debrief crossed the wire whole (investigation path decoded, not left as dicts)
            investigation = app.screen.debrief.investigation
            assert investigation and all(isinstance(step, PathStep) for step in investigation)
            assert app.screen.debrief.report.roles, app.screen.debrief.report
            roles = str(app.screen.query_one("#roles", Static).render())
    finally:
        for seat in (imoc, tloc, watcher):
            seat.quit()
    assert "IMOC imoc:ana" in roles and "status updates 1" in roles and "severity set" in roles
    assert "hands-on (the coordinator debugged):" in roles and "restart" in roles
    assert "TLOC tloc:bo" in roles and "hypotheses 1" in roles and "rollback_deploy" in roles
    assert "Observers' root-cause guesses" in roles
    assert "observer:cy: a memory leak in checkout's new cart cache" in roles


async def test_a_single_trainees_debrief_has_no_roles_card():
    from tui.app import MisfortuneApp
    from tui.session import LocalSession

    session = LocalSession.start("checkout-oom-leak", 1, journal=False)
    app = MisfortuneApp(session, "console")
    async with app.run_test(size=(140, 60)) as pilot:
        await console_built(app, pilot)
        app.show_debrief()
        await until_debrief(app, pilot)
        assert not app.screen.query("#roles-card")
