"""Roles with powers: the table, the host's refusals with a reason, live changes and handoffs, all journalled."""

from __future__ import annotations

import asyncio

import pytest

from scenarios.language.actions import ACTION_ADAPTER
from tests.gameday.conftest import join, settle
from tui.gameday.host import ROLE_LOOK, TABLE_LOOK, GameHost
from tui.gameday.roles import DEFAULT_TABLE, RoleTable
from tui.session import LocalSession


def act(body):
    return ACTION_ADAPTER.validate_python(body)


async def apply(seat, body):
    return await asyncio.to_thread(seat.apply, act(body))


def looks(host, what):
    return [look for look in host.sim.looks if look["what"] == what]


def test_the_default_table_follows_the_seed():
    table = RoleTable()
    assert table.refusal("imoc", "set_severity") is None and table.refusal("imoc", "status_update") is None
    assert "does not debug" in table.refusal("imoc", "rollback_deploy")
    assert table.refusal("tloc", "rollback_deploy") is None and table.refusal("ops", "restart") is None
    assert "IMOC's call" in table.refusal("tloc", "set_severity")
    assert table.refusal("scribe", "note") is None and table.refusal("scribe", "restart") is not None
    assert table.allowed("observer") == {"guess"}
    assert table.refusal("tloc", "inject") == "only the facilitator injects"
    with pytest.raises(ValueError, match="no power 'fly'"):
        table.change("imoc", "fly", True)
    with pytest.raises(ValueError, match="no role 'cto'"):
        table.change("cto", "restart", True)


async def test_the_imocs_rollback_is_refused_with_a_reason_and_changes_nothing(host):
    imoc = await join(host, "imoc", "ana")
    try:
        host.advance(300)
        before = [i.version for i in host.sim.instances("checkout")]
        result = await apply(imoc, {"action": "rollback_deploy", "service": "checkout"})
        assert not result.accepted and "the IMOC coordinates and does not debug" in result.message
        assert [i.version for i in host.sim.instances("checkout")] == before
        assert not [e for e in host.sim.timeline() if e.kind == "rollback_deploy"]
        assert host.feed[-1].kind == "refused" and host.feed[-1].seat == "imoc:ana"
    finally:
        imoc.quit()


async def test_the_facilitator_changes_the_table_live_and_a_resumed_game_keeps_it(host):
    imoc = await join(host, "imoc", "ana")
    try:
        host.advance(300)
        said = host.set_power("imoc", "rollback_deploy", True)
        assert said == "IMOC may now rollback_deploy"
        await settle(host, imoc)
        assert "rollback_deploy" in imoc.allowed  # the seat's form offers it from the next state on
        result = await apply(imoc, {"action": "rollback_deploy", "service": "checkout"})
        assert result.accepted, result.message
        assert looks(host, TABLE_LOOK)[-1] | {"t": 0} == {
            "t": 0,
            "seat": "facilitator",
            "what": TABLE_LOOK,
            "role": "imoc",
            "power": "rollback_deploy",
            "granted": True,
        }
        journal = host.session.journal_path
    finally:
        imoc.quit()
    resumed = GameHost(LocalSession.resume(journal), port=0, clock=False)
    try:
        assert resumed.table.refusal("imoc", "rollback_deploy") is None
        assert resumed.table.differences() == ["IMOC may also: rollback_deploy"]
    finally:
        resumed.session.quit()
    assert RoleTable().powers == DEFAULT_TABLE  # the default is never mutated by a game's change


async def test_reassigning_a_seat_live_changes_its_label_powers_and_what_the_journal_credits(host):
    bo = await join(host, "tloc", "bo")
    try:
        host.advance(120)
        assert (await apply(bo, {"action": "note", "text": "looking at checkout"})).accepted
        assert host.reassign("tloc:bo", "scribe") == "scribe:bo"
        await settle(host, bo)
        assert bo.seat == "scribe:bo" and bo.role == "scribe" and bo.allowed == {"note"}
        refused = await apply(bo, {"action": "restart", "service": "checkout"})
        assert not refused.accepted and "notes only" in refused.message
        assert (await apply(bo, {"action": "note", "text": "14:02 rollback started"})).accepted
        sources = [e.source for e in host.sim.timeline() if e.kind == "note"]
        assert sources == ["tloc:bo", "scribe:bo"]
        change = looks(host, ROLE_LOOK)[-1]
        assert (change["moved"], change["to"]) == ("tloc:bo", "scribe:bo")
        with pytest.raises(ValueError, match="no seat"):
            host.reassign("tloc:nobody", "ops")
        with pytest.raises(ValueError, match="no role"):
            host.reassign("scribe:bo", "cto")
    finally:
        bo.quit()


async def test_a_handoff_between_seats_swaps_their_roles_and_is_an_action_in_the_journal(host):
    ana = await join(host, "imoc", "ana")
    bo = await join(host, "tloc", "bo")
    try:
        host.advance(120)
        assert (await apply(ana, {"action": "handoff", "to": "bo"})).accepted
        await settle(host, ana)
        await settle(host, bo)
        assert ana.seat == "tloc:ana" and bo.seat == "imoc:bo"
        handoffs = [e for e in host.sim.timeline() if e.kind == "handoff"]
        assert [(e.source, e.text) for e in handoffs] == [("imoc:ana", "incident handed off to bo")]
        assert [(c["seat"], c["moved"], c["to"]) for c in looks(host, ROLE_LOOK)] == [
            ("imoc:ana", "tloc:bo", "imoc:bo"),
            ("imoc:ana", "imoc:ana", "tloc:ana"),
        ]
        assert (await apply(ana, {"action": "rollback_deploy", "service": "checkout"})).accepted  # now the TLOC
        assert host.sim.incident_view().roles["imoc"] == "bo"
    finally:
        ana.quit()
        bo.quit()


async def test_every_seat_has_the_rooms_feed_and_the_imoc_gets_status_reports(host):
    ana = await join(host, "imoc", "ana")
    bo = await join(host, "tloc", "bo")
    cy = await join(host, "observer", "cy")
    try:
        host.advance(300)
        assert (await apply(ana, {"action": "ack"})).accepted
        assert not (await apply(ana, {"action": "restart", "service": "checkout"})).accepted
        result = await asyncio.to_thread(bo.report, "checkout 5xx for 30% of orders", "rolling back", "", "10 min")
        assert result.accepted, result.message
        assert not (await asyncio.to_thread(cy.report, "x", "y", "", "z")).accepted  # observers read only
        assert await asyncio.to_thread(cy.guess, "the cart cache leaks") is None
        await settle(host, cy)
        lines = [(line["who"], line["kind"], line["text"].split(":")[0]) for line in cy.room]
        assert ("ana (IMOC)", "action", "ack") in lines and ("ana (IMOC)", "refused", "restart") in lines
        assert ("bo (TLOC)", "report", "Status to IMOC — impact") in lines
        assert not [line for line in cy.room if line["kind"] == "guess"]  # guesses stay with the facilitator
        assert not [line for line in cy.room if "web" in line["seat"]]
        notes = host.sim.incident_view().notes
        assert notes[-1][1] == "tloc:bo" and notes[-1][2] == (
            "Status to IMOC — impact: checkout 5xx for 30% of orders; doing: rolling back; next report: 10 min"
        )
    finally:
        for seat in (ana, bo, cy):
            seat.quit()


def test_a_report_frame_over_its_limits_is_refused_before_it_leaves_the_seat():
    from tui.gameday.seat import RemoteSession

    seat = RemoteSession("127.0.0.1", 1, "t", "tloc", "bo")
    result = seat.report("x" * 401, "doing", "", "soon")
    assert not result.accepted and "impact" in result.message


async def test_no_seat_is_offered_a_data_action_where_no_database_keeps_data(host):
    ops = await join(host, "ops", "kim")
    try:
        await settle(host, ops)
        assert "rollback_deploy" in ops.allowed
        assert not ops.allowed & {"restore_backup", "resync_replica", "shed_class", "run_procedure"}
        assert {"restore_backup", "resync_replica"} <= host.table.allowed("ops")  # the role may; the system has none
    finally:
        ops.quit()
