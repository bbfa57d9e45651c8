"""A host and two seats on loopback play checkout-oom-leak to the debrief, the work split by role."""

from __future__ import annotations

import asyncio

from scenarios.language.actions import ACTION_ADAPTER
from tests.gameday.conftest import eventually, join, settle

IMOC = {"ack", "set_severity", "status_update", "resolve"}


async def test_imoc_and_tloc_play_the_reference_solution_to_the_debrief(host):
    imoc = await join(host, "imoc", "ana")
    tloc = await join(host, "tloc", "bo")
    try:
        for step in host.sim.scenario.solution:
            seat = imoc if step.action in IMOC else tloc
            host.advance(step.at - host.sim.now)
            await settle(host, seat)
            result = await asyncio.to_thread(seat.apply, step)
            assert result.accepted, (step.action, result.message)
            if step.action == "hypothesis":
                note = ACTION_ADAPTER.validate_python({"action": "note", "text": "TLOC: rolling back checkout"})
                assert (await asyncio.to_thread(tloc.apply, note)).accepted
        await settle(host, imoc)
        await settle(host, tloc)  # each seat's reader thread takes the last state in on its own
        # the end reaches a seat in the state frame after the resolve
        await eventually(lambda: imoc.finished and tloc.finished)
        assert imoc.finished and tloc.finished
        # notes are visible to both seats
        assert any("rolling back" in text for _, _, text in imoc.incident_view().notes)
        debrief = await asyncio.to_thread(imoc.debrief)
        report = debrief.report
        assert report.outcome == "resolved"
        assert set(report.roles) == {"imoc", "tloc"}
        assert report.roles["imoc"]["status_updates"] == 2 and report.roles["imoc"]["hands_on"] == []
        assert report.roles["tloc"]["mitigations"] and report.roles["tloc"]["hypotheses"] == 1
        assert debrief.root_cause["category"] == "memory_leak"
        seats = {e.source for e in debrief.timeline if ":" in e.source}
        assert seats == {"imoc:ana", "tloc:bo"}
    finally:
        imoc.quit()
        tloc.quit()


async def test_journal_replays_and_resumes_to_the_same_state(host):
    from tui.session import LocalSession

    imoc = await join(host, "imoc", "ana")
    tloc = await join(host, "tloc", "bo")
    try:
        host.advance(300)
        await asyncio.to_thread(imoc.apply, ACTION_ADAPTER.validate_python({"action": "ack"}))
        host.ask_eta()
        host.advance(120)
        await asyncio.to_thread(
            tloc.apply, ACTION_ADAPTER.validate_python({"action": "rollback_deploy", "service": "checkout"})
        )
        host.advance(60)
        # the host is killed here: resume rebuilds the session from its journal
        resumed = LocalSession.resume(host.session.journal_path)
        assert resumed.incident_view() == host.sim.incident_view()
        assert resumed.messages() == host.sim.messages()
        assert [i.version for i in resumed.instances("checkout")] == [i.version for i in host.sim.instances("checkout")]
        resumed.quit()
    finally:
        imoc.quit()
        tloc.quit()
