"""A game day's journal replays to the same report and who-did-what; rewind is the session as it was."""

from __future__ import annotations

import asyncio

from simulator.session.journal import read_journal
from simulator.session.journal_session import replay_journal
from tests.gameday.conftest import join, settle

IMOC = {"ack", "set_severity", "status_update", "resolve"}


def who_did_what(sim) -> list[tuple[float, str, str, str]]:
    return [(e.t, e.source, e.kind, e.text) for e in sim.timeline() if e.source != "system"]


def state(sim) -> tuple:
    """What a seat or the debrief can tell apart at one moment."""
    return (
        sim.now,
        sim.score(),
        tuple(sim.timeline()),
        tuple(sim.change_log()),
        sim.incident_view(),
        tuple(sim.messages()),
        tuple((i.id, i.version, i.state, i.memory_mb) for i in sim.instances()),
        sim.metric("checkout", "error_ratio").values,
        tuple(sim.log_store.query()),
    )


async def test_a_game_day_journal_replays_to_the_same_report_and_who_did_what(host):
    imoc = await join(host, "imoc", "ana")
    tloc = await join(host, "tloc", "bo")
    try:
        host.advance(120)
        host.inject(kind="message", sender="@vp", text="what is going on?")
        for step in host.sim.scenario.solution:
            seat = imoc if step.action in IMOC else tloc
            host.advance(step.at - host.sim.now)
            await settle(host, seat)
            assert (await asyncio.to_thread(seat.apply, step)).accepted, step.action
        await settle(host, imoc)
        assert host.sim.ended_at is not None
    finally:
        imoc.quit()
        tloc.quit()
    replayed, report = replay_journal(host.session.journal_path)
    assert report == host.sim.score()
    assert report.roles == host.sim.score().roles and set(report.roles) == {"imoc", "tloc"}
    assert who_did_what(replayed) == who_did_what(host.sim)
    assert {source for _, source, _, _ in who_did_what(replayed)} == {"imoc:ana", "tloc:bo"}
    assert replayed.messages() == host.sim.messages()
    assert replayed.end_reason == host.sim.end_reason == "resolved"


async def test_rewind_is_the_session_as_it_was_at_t_with_its_seats(host):
    host.advance(300)
    assert host.act("imoc:ana", "imoc", {"action": "ack"}).accepted
    host.advance(240)
    assert host.act("tloc:bo", "tloc", {"action": "rollback_deploy", "service": "checkout"}).accepted
    assert host.act("imoc:ana", "imoc", {"action": "set_severity", "severity": "SEV2"}).accepted
    host.guess("observer:cy", "observer", "a memory leak in checkout")
    host.advance(60)
    at_600 = state(host.sim)
    host.advance(1)
    assert host.act(
        "tloc:bo", "tloc", {"action": "restart", "service": "checkout"}
    ).accepted  # after t: not on the branch
    assert host.act("imoc:ana", "imoc", {"action": "status_update", "text": "restarting checkout"}).accepted
    host.advance(300)
    old_journal = host.session.journal_path
    branch = host.rewind(600)
    assert state(host.sim) == at_600
    assert [(a.t, a.seat, a.action.action) for a in read_journal(branch).actions] == [
        (300.0, "imoc:ana", "ack"),
        (540.0, "tloc:bo", "rollback_deploy"),
        (540.0, "imoc:ana", "set_severity"),
    ]
    assert read_journal(branch).header["branch_of"] == old_journal
    assert [(g[1], g[2]) for g in host.guesses] == [("observer:cy", "a memory leak in checkout")]
    # the branch goes on from there, and replays like any journal
    host.advance(60)
    assert host.act("tloc:bo", "tloc", {"action": "note", "text": "on the branch"}).accepted
    host.end()
    replayed, report = replay_journal(branch)
    assert report == host.sim.score()
    assert who_did_what(replayed) == who_did_what(host.sim)
