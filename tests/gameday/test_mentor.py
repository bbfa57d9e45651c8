"""Reverse shadow: a mentor seat sees the truth, whispers only to the trainee, flags moments, never acts."""

from __future__ import annotations

import asyncio

import pytest

from tests.gameday.conftest import eventually, join, settle
from tui.gameday.host import GameHost
from tui.gameday.seat import JoinRefused


@pytest.fixture
async def mentored(tmp_path):
    """A game day hosted with --mentor."""
    game = GameHost.start_session("checkout-oom-leak", 1, directory=tmp_path, port=0, clock=False, mentor=True)
    await game.start()
    yield game
    await game.stop()


async def test_a_mentors_whisper_reaches_only_the_trainee(mentored):
    trainee = await join(mentored, "imoc", "ana")
    other = await join(mentored, "observer", "bo")
    mentor = await join(mentored, "mentor", "sam")
    try:
        assert await asyncio.to_thread(mentor.whisper, "look at memory per version") is None
        await settle(mentored)
        await eventually(lambda: trainee.whispers)
        await asyncio.sleep(0.2)  # time for a wrongly sent whisper to arrive anywhere else
        assert [(who, text) for _, who, text in trainee.whispers] == [("mentor:sam", "look at memory per version")]
        assert other.whispers == [] and mentor.whispers == []
        assert "look at memory per version" not in " ".join(e.text for e in mentored.feed)  # not on the feed
        # a trainee cannot whisper
        assert await asyncio.to_thread(trainee.whisper, "psst") == "only a mentor seat whispers"
    finally:
        for seat in (trainee, other, mentor):
            seat.quit()


async def test_the_mentor_sees_the_truth_and_cannot_act(mentored):
    trainee = await join(mentored, "tloc", "ana")
    mentor = await join(mentored, "mentor", "sam")
    try:
        assert trainee.truth is None
        assert mentor.truth["root_cause"]["category"] == "memory_leak"
        rollback = next(s for s in mentor.truth["solution"] if s["action"] == "rollback_deploy")
        assert "slope" in rollback["why"]
        from scenarios.language.actions import ACTION_ADAPTER

        result = await asyncio.to_thread(mentor.apply, ACTION_ADAPTER.validate_python({"action": "ack"}))
        assert not result.accepted and "a mentor coaches and does not act" in result.message
        assert mentor.allowed == frozenset()
        assert [e for e in mentored.sim.incident.timeline if e.source == "mentor:sam"] == []
    finally:
        trainee.quit()
        mentor.quit()


async def test_flags_stand_in_the_debrief_and_the_journal(mentored):
    mentor = await join(mentored, "mentor", "sam")
    try:
        mentored.advance(300)
        assert await asyncio.to_thread(mentor.flag, "acked late: the page escalated") is None
        mentored.end("ended_by_facilitator")
        debrief = mentored.debrief()
        assert debrief.mentor_flags == [{"t": 300.0, "seat": "mentor:sam", "text": "acked late: the page escalated"}]
        looks = [look for look in mentored.sim.looks if look["what"] == "mentor_flag"]
        assert looks and looks[0]["seat"] == "mentor:sam"
        await settle(mentored)
        await eventually(lambda: mentor._debrief is not None)
        assert mentor.debrief().mentor_flags[0]["text"] == "acked late: the page escalated"
    finally:
        mentor.quit()


async def test_no_mentor_seat_without_mentor(host):
    with pytest.raises(JoinRefused, match="no mentor seat; host it with --mentor"):
        await join(host, "mentor", "sam")


def test_the_debrief_timeline_shows_the_mentors_flags_at_their_moments():
    from rich.console import Console

    from simulator.views import TimelineEvent
    from tui.screens.debrief import timeline_table

    events = [TimelineEvent(60.0, "imoc:ana", "ack", "acknowledged"), TimelineEvent(600.0, "system", "x", "kill")]
    console = Console(width=120, record=True)
    console.print(timeline_table(events, [{"t": 300.0, "seat": "mentor:sam", "text": "should have paged"}]))
    rows = [r for r in console.export_text().splitlines() if r.strip()]
    assert "mentor" in rows[0]
    assert [r.split()[0] for r in rows[1:]] == ["00:01:00", "00:05:00", "00:10:00"]
    assert "⚑ should have paged" in rows[2]
    plain = Console(width=120, record=True)
    plain.print(timeline_table(events))
    assert "mentor" not in plain.export_text()  # no flags: the table a solo trainee always had
