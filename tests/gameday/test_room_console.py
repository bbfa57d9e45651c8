"""A seat's console in the room: only its role's actions, its name and role on top, the room's feed, a
status report, a new role live, an unread count that survives a rewind, and a rejoin that gets it all back."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from scenarios.language.actions import ACTION_ADAPTER
from tests.gameday.test_debrief_roles import console_built
from tests.gameday.test_seat_console import ThreadedHost, until
from tui.gameday.host import GameHost
from tui.gameday.room_view import ReportDialog, RoomFeedScreen
from tui.gameday.seat import RemoteSession
from tui.gameday.seat_app import seat_app
from tui.widgets.message_rail import MessageRail


@pytest.fixture
def threaded(tmp_path):
    game = ThreadedHost(GameHost.start_session("checkout-oom-leak", 1, directory=tmp_path, port=0, clock=False))
    yield game
    game.close()


def offered(app) -> list[str]:
    options = app.screen.panel("actions").query_one("#action-list", OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count) if options.get_option_at_index(i)]


def header(app) -> str:
    return str(app.screen.query_one("#seat-header", Static).render())


async def test_each_role_is_offered_only_its_actions_and_sees_its_name_and_role(threaded):
    threaded.advance(60)
    imoc = threaded.seat("imoc", "ana", on_call="primary")
    watcher = threaded.seat("observer", "cy")
    try:
        app = seat_app(imoc)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            assert "ana" in header(app) and "IMOC" in header(app) and "primary on call" in header(app)
            names = offered(app)
            assert "set_severity" in names and "status_update" in names and "resolve" in names
            assert "rollback_deploy" not in names and "restart" not in names
            assert app.screen.check_action("report", ()) is False  # the IMOC receives reports, not sends
        app = seat_app(watcher)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            assert offered(app) == []
            doc = str(app.screen.panel("actions").query_one("#action-doc", Static).render())
            assert "Your role takes no actions here." in doc
            assert app.screen.check_action("guess", ()) is True
    finally:
        imoc.quit()
        watcher.quit()


async def test_a_new_role_reaches_the_console_live_and_the_room_feed_shows_who_did_what(threaded):
    threaded.advance(60)
    bo = threaded.seat("tloc", "bo")
    ana = threaded.seat("imoc", "ana")
    try:
        app = seat_app(bo)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            assert "rollback_deploy" in offered(app) and "TLOC" in header(app)
            ana.apply(ACTION_ADAPTER.validate_python({"action": "ack"}))
            threaded.call(threaded.host.reassign, "tloc:bo", "scribe")
            threaded.advance(1)
            await until(pilot, lambda: "Scribe" in header(app), "the header to follow the new role")
            await until(pilot, lambda: offered(app) == ["note"], "the action list to follow the new role")
            rail = str(app.screen.query_one(MessageRail).render())
            assert "You are now Scribe (scribe:bo)" in rail
            await app.screen.run_action("room")
            await pilot.pause()
            assert isinstance(app.screen, RoomFeedScreen)
            feed = str(app.screen.query_one("#room-feed", Static).render())
            assert "ana (IMOC) action: ack" in feed and "bo (TLOC) is now Scribe" in feed
    finally:
        bo.quit()
        ana.quit()


async def test_a_status_report_goes_from_the_dialog_to_the_imocs_channel(threaded):
    threaded.advance(60)
    bo = threaded.seat("tloc", "bo")
    try:
        app = seat_app(bo)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            await app.screen.run_action("report")
            await pilot.pause()
            assert isinstance(app.screen, ReportDialog)
            for text in ("checkout errors", "rolling back", "", "10 min"):
                await pilot.press(*text, "enter") if text else await pilot.press("enter")
            await until(pilot, lambda: threaded.host.sim.incident.notes, "the report to reach the host")
            note = threaded.host.sim.incident.notes[-1]
            assert note[1] == "tloc:bo" and note[2].startswith("Status to IMOC — impact: checkout errors; doing:")
    finally:
        bo.quit()


async def test_the_unread_count_never_goes_below_zero_after_a_rewind(threaded):
    threaded.advance(120)
    bo = threaded.seat("tloc", "bo")
    try:
        app = seat_app(bo)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            threaded.call(threaded.host.ask_eta)
            threaded.advance(30)
            await until(pilot, lambda: app.screen.unread == 1, "the message to arrive unread")
            await app.screen.action_show_panel("comms")
            await pilot.pause()
            assert app.screen.unread == 0
            await app.screen.action_show_panel("changes")  # read, then elsewhere when the rewind comes
            threaded.call(threaded.host.rewind, 60)  # before the message: the branch has none
            threaded.advance(0)
            await until(pilot, lambda: not bo.messages(), "the rewound branch")
            app.screen.refresh_panels()
            assert app.screen.unread == 0
            assert "msgs -1" not in str(app.screen.query_one("StatusBar").render())
    finally:
        bo.quit()


async def test_a_seat_that_rejoins_with_its_token_gets_its_role_view_and_unread_state_back(threaded):
    threaded.advance(120)
    bo = threaded.seat("tloc", "bo")
    token = bo.seat_token
    assert token
    try:
        app = seat_app(bo)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            threaded.call(threaded.host.ask_eta)
            threaded.advance(10)
            await until(pilot, lambda: app.screen.unread == 1, "a first message")
            await app.screen.action_show_panel("comms")
            await pilot.pause()
            await until(pilot, lambda: _record(threaded, token).messages_read == 1, "the read mark on the host")
            await app.screen.action_show_panel("changes")
            await until(pilot, lambda: _record(threaded, token).panel == "changes", "the view on the host")
    finally:
        bo.quit()  # the seat's terminal is gone
    threaded.call(threaded.host.ask_eta, "@cfo (stakeholder)")  # the room goes on without it
    threaded.call(threaded.host.reassign, "tloc:bo", "ops")
    threaded.advance(10)
    again = RemoteSession("127.0.0.1", threaded.host.port, threaded.host.token, "observer", "bo", seat_token=token)
    again.connect()
    try:
        assert again.seat == "ops:bo" and again.role == "ops"  # its current role, whatever the hello said
        assert again.resume == {"panel": "changes", "messages_read": 1}
        app = seat_app(again)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            await until(pilot, lambda: app.screen.active_panel == "changes", "the seat's view back")
            assert app.screen.unread == 1  # the message that came while it was away is still unread
    finally:
        again.quit()


def _record(game, token):
    return game.host.records[token]


async def test_the_projector_shows_the_feed_the_incident_and_the_dashboards(threaded):
    from textual.widgets import DataTable

    from tui.gameday.spectator import SpectatorScreen

    threaded.advance(300)
    ana = threaded.seat("imoc", "ana")
    projector = threaded.seat("observer", "projector", spectator=True)
    try:
        ana.apply(ACTION_ADAPTER.validate_python({"action": "set_severity", "severity": "SEV2"}))
        ana.apply(ACTION_ADAPTER.validate_python({"action": "status_update", "text": "Checkout degraded; next in 1h."}))
        threaded.advance(5)
        app = seat_app(projector)
        async with app.run_test(size=(140, 50)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, SpectatorScreen), "the projector's screen")
            await until(pilot, lambda: projector.room and app.screen.query(DataTable), "the feed and the dashboards")
            await pilot.pause(0.6)
            status = str(app.screen.query_one("#incident-status", Static).render())
            feed = str(app.screen.query_one("#room-feed", Static).render())
            red = app.screen.query_one("#red", DataTable)
            assert "severity SEV2" in status and "Checkout degraded; next in 1h." in status
            assert "ana (IMOC) action: set_severity" in feed
            assert red.row_count == len(threaded.host.sim.services())  # the main dashboard, filled
            threaded.call(threaded.host.end)
            threaded.advance(0)
            await until(
                pilot,
                lambda: "Room debrief" in str(app.screen.query_one("#room-feed", Static).render()),
                "the room debrief",
            )
    finally:
        ana.quit()
        projector.quit()


async def test_a_change_of_the_role_table_reaches_the_action_list_live(threaded):
    imoc = threaded.seat("imoc", "ana")
    try:
        app = seat_app(imoc)
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            assert "rollback_deploy" not in offered(app)
            threaded.call(threaded.host.set_power, "imoc", "rollback_deploy", True)
            threaded.advance(1)
            await until(pilot, lambda: "rollback_deploy" in offered(app), "the granted action in the form")
            threaded.call(threaded.host.set_power, "imoc", "rollback_deploy", False)
            threaded.advance(1)
            await until(pilot, lambda: "rollback_deploy" not in offered(app), "the revoked action gone")
    finally:
        imoc.quit()
