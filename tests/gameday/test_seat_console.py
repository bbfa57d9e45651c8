"""The seat's console: the Profiles panel over the wire, what read-only seats are offered, the end of a game day.

The seat's app blocks its event loop while it waits for the host's answer (as a real seat does), so
here the host runs on its own loop in a thread, as it does in its own process for real.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from textual.widgets import Label, Static

from tests.gameday.conftest import PATIENCE
from tests.gameday.test_debrief_roles import console_built, until_debrief
from tests.tui.helpers import until
from tui.gameday.host import GameHost
from tui.gameday.seat import JoinRefused, RemoteSession
from tui.gameday.seat_app import READ_ONLY_INCIDENTS_TITLE, READ_ONLY_PAGER_TITLE, seat_app
from tui.widgets.pager import PagerPanel


class ThreadedHost:
    """A GameHost served from its own event loop thread; calls run there and wait for the answer."""

    def __init__(self, host: GameHost) -> None:
        self.host = host
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="game host", daemon=True)
        self.thread.start()
        self.run(host.start())

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def call(self, fn, *args, **kwargs):
        async def call():
            return fn(*args, **kwargs)

        return self.run(call())

    def advance(self, seconds: float) -> None:
        """Advance the simulation and push every seat its new state."""
        self.call(self.host.advance, seconds)
        self.run(self.host.push_all())
        self.run(self.host.drained())

    def seat(self, role: str, name: str, **kwargs) -> RemoteSession:
        return RemoteSession("127.0.0.1", self.host.port, self.host.token, role, name, **kwargs).connect(PATIENCE)

    def close(self) -> None:
        self.run(self.host.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def threaded(tmp_path) -> Iterator[ThreadedHost]:
    game = ThreadedHost(GameHost.start_session("checkout-oom-leak", 1, directory=tmp_path, port=0, clock=False))
    yield game
    game.close()


async def test_a_tloc_seat_takes_and_reads_a_profile_in_the_profiles_panel(threaded):
    threaded.advance(300)
    tloc = threaded.seat("tloc", "bo")
    app = seat_app(tloc)
    try:
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            console = app.screen
            assert console.check_action("profile", ("cpu",)) is True
            instance = tloc.instances("checkout")[0].id
            (await console.ensure_panel("profiles")).select_instance(instance)
            await console.action_profile("cpu")
            panel = console.panel("profiles")
            status = str(panel.query_one("#profile-status", Static).render())
            assert f"taking 30s CPU profile of {instance}: ready at 00:05:30" in status
            assert threaded.host.sim.profiler.requests[-1].seat == "tloc:bo"
            threaded.advance(31)
            await until(pilot, lambda: tloc.now >= 331, "the seat to see the clock move")
            panel.refresh_from_session()
            view = str(panel.query_one("#profile-view", Static).render())
            assert "flame graph" in view and "G1" in view  # the leak's garbage collection, drawn on the seat
    finally:
        tloc.quit()


async def test_an_observer_is_not_offered_profiles_acks_or_home(threaded):
    threaded.advance(300)
    watcher = threaded.seat("observer", "cy")
    app = seat_app(watcher)
    try:
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            console = app.screen
            assert console.check_action("profile", ("cpu",)) is False
            assert console.check_action("ack", ()) is False
            title = console.query_one(PagerPanel).query_one("#pages-title", Label)
            assert str(title.render()) == READ_ONLY_PAGER_TITLE
            # the panel's own keys reach the host anyway, which refuses with its reason
            (await console.ensure_panel("profiles")).action_take("cpu")
            status = str(console.panel("profiles").query_one("#profile-status", Static).render())
            assert "observers are read-only" in status
            assert not threaded.host.sim.profiler.requests
            threaded.call(threaded.host.end)
            threaded.run(threaded.host.push_all())
            await until_debrief(app, pilot)
            assert app.check_action("go_home", ()) is False  # would start a single-player session here
            await pilot.press("h")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "DebriefScreen"
            offered = [active.binding.action for active in app.screen.active_bindings.values()]
            assert "app.write_postmortem" in offered or "write_postmortem" in offered
            assert "app.go_home" not in offered  # not in the footer either
    finally:
        watcher.quit()


async def test_a_tlocs_pager_still_offers_acknowledge(threaded):
    tloc = threaded.seat("tloc", "bo")
    app = seat_app(tloc)
    try:
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            title = app.screen.query_one(PagerPanel).query_one("#pages-title", Label)
            assert "[a] acknowledge" in str(title.render())
            # Severity and roles are the IMOC's call: the TLOC's incidents table does not offer s / p.
            incidents = app.screen.query_one(PagerPanel).query_one("#incidents-title", Label)
            assert str(incidents.render()) == READ_ONLY_INCIDENTS_TITLE
            assert app.screen.check_action("incident_form", ("set_severity",)) is False
    finally:
        tloc.quit()


@pytest.mark.parametrize("ended", [False, True])
def test_the_host_prints_resume_only_when_the_session_did_not_end(monkeypatch, capsys, ended):
    from tui.commands.gameday_commands import host_command
    from tui.gameday import facilitator

    class Facilitator:
        """Stands in for the facilitator console: calls time (or not) and quits."""

        def __init__(self, host, web) -> None:
            self.host = host
            self.return_code = None

        def run(self) -> None:
            if ended:
                self.host.end()

    monkeypatch.setattr(facilitator, "FacilitatorApp", Facilitator)
    args = argparse.Namespace(scenario="checkout-oom-leak", seed=1, bind="127.0.0.1", port=0, web=False, web_port=0)
    assert host_command(args) == 0
    out = capsys.readouterr().out
    assert ("misfortune resume" in out) is not ended
    assert ("misfortune replay" in out) is ended


async def test_a_seat_shows_when_its_connection_to_the_host_drops_and_comes_back(threaded, monkeypatch):
    """Without a word, a dropped seat went on showing the state as of the drop (the clock stood still) and a
    trainee could not tell the host was gone: the header says it until the seat has rejoined."""
    monkeypatch.setattr("tui.gameday.seat.RECONNECT_EVERY", 0.05)
    tloc = threaded.seat("tloc", "bo")
    app = seat_app(tloc)

    def header() -> str:
        return str(app.screen.query_one("#seat-header", Static).render())

    def toasted(text: str) -> bool:
        return any(text in str(n.message) for n in app._notifications)

    try:
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            assert "connection to the host lost" not in header()
            mode = ["hold"]  # hold the seat out while the test reads the screen; then the host refuses it
            rejoin = tloc._open

            def held_open():
                while mode[0] == "hold":
                    time.sleep(0.01)
                if mode[0] == "refuse":  # a host started again: another token
                    raise JoinRefused("wrong or missing token \x1b[31m")
                return rejoin()

            monkeypatch.setattr(tloc, "_open", held_open)
            tloc.drop()
            await until(pilot, lambda: "connection to the host lost: rejoining" in header(), "the drop shown")
            # the toast comes through the app's message queue, a moment after the header
            await until(pilot, lambda: toasted("Lost the connection to the host"), "the drop's toast")
            mode[0] = "refuse"
            refused = "connection to the host lost; it refuses this seat (wrong or missing token): still trying"
            await until(pilot, lambda: refused in header(), "the refusal shown")
            mode[0] = "open"
            await until(pilot, lambda: "connection to the host lost" not in header(), "the rejoin shown")
            await until(pilot, lambda: toasted("Connected to the host again"), "the rejoin's toast")
    finally:
        tloc.quit()
