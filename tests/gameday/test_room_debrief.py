"""The room's debrief: per-seat contributions, role adherence and the communication record, live for the
facilitator, for every seat at the end, saved as Markdown; the facilitator's console watches a seat."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App
from textual.widgets import Static

from scenarios.language.actions import ACTION_ADAPTER
from tests.gameday.conftest import eventually, join, settle
from tui.gameday.facilitator import FacilitatorScreen
from tui.gameday.room_debrief import CADENCE, room_markdown
from tui.gameday.room_view import RoomDebriefScreen
from tui.gameday.watch import READ_ONLY, WatchPort, WatchScreen


class Room(App):
    """The facilitator's screen over a host that is already serving."""

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host

    def on_mount(self) -> None:
        self.push_screen(FacilitatorScreen(self.host, "join"))


def act(body):
    return ACTION_ADAPTER.validate_python(body)


async def play(host, seat, body):
    result = await asyncio.to_thread(seat.apply, act(body))
    assert result.accepted, (body, result.message)


async def test_the_room_debrief_names_who_did_what_and_judges_roles_and_comms(host):
    ana = await join(host, "imoc", "ana")
    bo = await join(host, "tloc", "bo")
    cy = await join(host, "observer", "cy")
    try:
        host.advance(300)
        await play(host, ana, {"action": "ack"})
        await play(host, ana, {"action": "set_severity", "severity": "SEV1"})
        await play(host, ana, {"action": "status_update", "text": "Checkout is failing for some customers."})
        host.set_power("imoc", "restart", True)
        await play(host, ana, {"action": "restart", "service": "checkout"})  # the IMOC debugging
        await play(host, bo, {"action": "hypothesis", "text": "checkout v2.5.0 leaks memory"})
        host.advance(1500)  # 25 min of silence from the TLOC
        await play(host, bo, {"action": "rollback_deploy", "service": "checkout"})
        assert (await asyncio.to_thread(bo.report, "errors falling", "rollback at 3/6", "", "10 min")).accepted
        await play(
            host,
            ana,
            {
                "action": "status_update",
                "text": "Rolling back checkout; customers see fewer errors. Next update in 30 min.",
            },
        )
        assert await asyncio.to_thread(cy.guess, "a leak in checkout") is None
        host.advance(2400)  # 40 min without an update at SEV1
        live = host.room_debrief()
        assert not live.ended
        host.end()
        await settle(host, cy)
        await eventually(lambda: cy.room_debrief)
        markdown = cy.room_debrief
    finally:
        for seat in (ana, bo, cy):
            seat.quit()
    assert markdown.startswith("# Room debrief: checkout-oom-leak (final")
    assert "### ana (IMOC)" in markdown and "### bo (TLOC)" in markdown
    assert "- 00:05:00 ack (as IMOC)" in markdown and "rollback_deploy (as TLOC)" in markdown
    assert "ana (IMOC) went hands-on: restart at 00:05:00" in markdown
    assert "bo (TLOC) went 40 min without telling the IMOC anything" in markdown  # after its report
    assert "SEV1 = P1: a status update at least every 30 min" in markdown
    assert "missed: " in markdown and "without an update (40 min)" in markdown
    assert "“Checkout is failing for some customers.” — says impact; lacks action, next" in markdown
    assert "says impact, action, next" in markdown
    assert "observer:cy: a leak in checkout" in markdown
    assert "IMOC may also: restart" in markdown
    saved = Path(host.session.journal_path).with_suffix(".room.md")
    assert saved.read_text() == markdown  # the same Markdown every seat got, beside the journal
    assert CADENCE["SEV2"] == ("P2", 3600.0)


async def test_no_stakeholder_update_and_no_severity_are_named(host):
    host.advance(600)
    markdown = room_markdown(host.room_debrief())
    assert "severity never set: no update cadence applies" in markdown
    assert "no stakeholder update was posted" in markdown
    assert "every role kept to its part" in markdown


async def test_the_facilitator_watches_a_seat_read_only_and_reads_the_room_debrief_live(host):
    bo = await join(host, "tloc", "bo")
    try:
        host.advance(300)
        bo.look("panel", name="changes")
        await play(host, bo, {"action": "note", "text": "looking at the change log"})
        await eventually(lambda: host.seats["tloc:bo"].record.panel == "changes")
        app = Room(host)  # the facilitator's screen; the host already listens (the fixture started it)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            live = str(app.screen.query_one("#live", Static).render())
            assert "bo (TLOC) · on changes · 0 unread" in live
            assert "{" not in live  # no raw dict on the facilitator's screen
            await app.push_screen(WatchScreen(WatchPort(host, "tloc:bo")))  # mounted: its panels can be asked
            await eventually(lambda: isinstance(app.screen, WatchScreen) and app.screen.active_panel == "changes")
            assert app.screen.active_panel == "changes"  # the seat's own view
            assert "bo" in str(app.screen.query_one("#seat-header", Static).render())
            looks = len(host.sim.looks)
            result = app.screen.session.apply(act({"action": "rollback_deploy", "service": "checkout"}))
            assert not result.accepted and result.message == READ_ONLY
            await app.screen.action_show_panel("logs")
            assert len(host.sim.looks) == looks  # watching records nothing as the seat
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, FacilitatorScreen)
            await pilot.press("b")
            await eventually(lambda: isinstance(app.screen, RoomDebriefScreen))
            assert isinstance(app.screen, RoomDebriefScreen)
            shown = str(app.screen.query_one("#room-debrief", Static).render())
            assert "(live, at 00:05:00)" in shown and "### bo (TLOC)" in shown
    finally:
        bo.quit()
