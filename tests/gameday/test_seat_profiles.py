"""Profiles over the wire: seats take them through the host (journalled with the seat), observers may not."""

from __future__ import annotations

import asyncio
import json

import pytest

from simulator.diagnostics.profiles import CpuProfile, HeapProfile, ProfileError
from simulator.diagnostics.text import render
from tests.gameday.conftest import exchange, hello, join, settle


def profile_looks(host) -> list[dict]:
    return [look for look in host.sim.looks if look["what"] == "profile"]


def gc_share(profile: CpuProfile) -> float:
    return sum(n for stack, n in profile.stacks if "GC" in stack[-1] or stack[-1].startswith("G1")) / profile.samples


async def test_a_tloc_takes_a_cpu_profile_of_a_leaking_instance_and_reads_it_after_its_window(host):
    host.advance(300)
    tloc = await join(host, "tloc", "bo")
    try:
        leaking = tloc.instances("checkout")[0]
        assert leaking.version == "v2.5.0"  # the leaking version runs everywhere in checkout
        healthy = tloc.instances("payments")[0].id
        req = await asyncio.to_thread(tloc.take_profile, "cpu", leaking.id, 30.0)
        assert (req.kind, req.instance, req.seat, req.requested_at, req.ready_at) == (
            "cpu",
            leaking.id,
            "tloc:bo",
            300.0,
            330.0,
        )
        assert not req.ready and tloc.profile_request(req.id) == req  # pending: no round trip needed
        other = await asyncio.to_thread(tloc.take_profile, "cpu", healthy, 30.0)
        # journalled on the host as the seat's look, so the debrief's investigation path shows it
        assert [(look["seat"], look["kind"], look["instance"]) for look in profile_looks(host)] == [
            ("tloc:bo", "cpu", leaking.id),
            ("tloc:bo", "cpu", healthy),
        ]
        assert host.feed[-1].kind == "profile" and host.feed[-1].seat == "tloc:bo"

        host.advance(31)
        await settle(host, tloc)
        got = await asyncio.to_thread(tloc.profile_request, req.id)
        assert got.ready and got.error is None and isinstance(got.result, CpuProfile)
        assert got == host.sim.profile_request(req.id)  # the same record the host holds, field for field
        assert render(got.result, 100) == render(host.sim.profile_request(req.id).result, 100)
        compared = (await asyncio.to_thread(tloc.profile_request, other.id)).result
        assert gc_share(got.result) > gc_share(compared) + 0.1  # the leak shows as garbage collection

        heap = await asyncio.to_thread(tloc.take_profile, "heap", leaking.id)
        host.advance(6)
        await settle(host, tloc)
        heap = await asyncio.to_thread(tloc.profile_request, heap.id)
        assert isinstance(heap.result, HeapProfile) and heap == host.sim.profile_request(heap.id)
        assert max(site.growth_mb_per_min for site in heap.result.sites) > 5  # one site grows
        for kind in ("threads", "crash"):
            dump = await asyncio.to_thread(tloc.take_profile, kind, leaking.id)
            host.advance(3)
            await settle(host, tloc)
            dump = await asyncio.to_thread(tloc.profile_request, dump.id)
            assert dump.ready and dump == host.sim.profile_request(dump.id), kind
    finally:
        tloc.quit()


async def test_observers_and_the_spectator_screen_may_not_take_profiles(host):
    host.advance(300)
    watcher = await join(host, "observer", "cy")
    projector = await join(host, "observer", "projector", spectator=True)
    try:
        instance = watcher.instances("checkout")[0].id
        with pytest.raises(ProfileError, match="observers are read-only"):
            await asyncio.to_thread(watcher.take_profile, "cpu", instance, 30.0)
        with pytest.raises(ProfileError, match="spectator screen is read-only"):
            await asyncio.to_thread(projector.take_profile, "heap", instance)
        assert not profile_looks(host) and not host.sim.profiler.requests  # nothing taken, nothing journalled
        assert [e.kind for e in host.feed[-2:]] == ["refused", "refused"]
        assert "profile: observers are read-only" in host.feed[-2].text
    finally:
        watcher.quit()
        projector.quit()


async def test_an_imoc_may_take_one_without_it_counting_as_hands_on(host):
    host.advance(300)
    imoc = await join(host, "imoc", "ana")
    tloc = await join(host, "tloc", "bo")
    try:
        instance = imoc.instances("checkout")[0].id
        req = await asyncio.to_thread(imoc.take_profile, "threads", instance)
        assert profile_looks(host)[-1]["seat"] == "imoc:ana"
        host.advance(3)
        await settle(host, imoc)
        assert (await asyncio.to_thread(imoc.profile_request, req.id)).ready
        assert await asyncio.to_thread(tloc.profile_request, req.id) is None  # another seat's profile
        with pytest.raises(ProfileError, match="no instance 'checkout-nope'"):
            await asyncio.to_thread(imoc.take_profile, "cpu", "checkout-nope", 30.0)
        with pytest.raises(ProfileError, match="seconds"):
            await asyncio.to_thread(imoc.take_profile, "cpu", instance, 5000.0)
        assert (await asyncio.to_thread(imoc.apply, _ack())).accepted
        host.end()
        await settle(host)
        report = (await asyncio.to_thread(imoc.debrief)).report
        assert report.roles["imoc"]["hands_on"] == []
    finally:
        imoc.quit()
        tloc.quit()


async def test_malformed_profile_frames_are_refused_with_a_reason(host):
    frames = await exchange(
        host,
        hello(host),
        b'{"type":"profile","id":1,"kind":"core","instance":"x"}\n',
        b'{"type":"profile","id":2,"kind":"cpu","instance":"' + b"x" * 200 + b'"}\n',
        b'{"type":"profile_get","id":3,"request":0}\n',
        until=lambda frames: sum(f["type"] == "refused" for f in frames) >= 3,
    )
    reasons = [f["reason"] for f in frames if f["type"] == "refused"]
    assert len(reasons) == 3
    assert "profile.kind" in reasons[0] and "profile.instance" in reasons[1] and "profile_get.request" in reasons[2]
    assert not host.sim.profiler.requests


def _ack():
    from scenarios.language.actions import ACTION_ADAPTER

    return ACTION_ADAPTER.validate_python({"action": "ack"})


def test_profile_payloads_go_through_the_view_whitelist():
    from simulator.diagnostics.desk import ProfileRequest
    from tui.gameday.protocol import decode_profile_request, view_payload
    from tui.session import LocalSession

    session = LocalSession.start("checkout-oom-leak", 1, journal=False)
    session.sim.advance(120)
    instance = session.instances("checkout")[0].id
    taken = [session.take_profile(kind, instance, 10.0) for kind in ("cpu", "heap", "threads", "crash")]
    session.sim.advance(11)
    for req in taken:
        assert isinstance(req, ProfileRequest) and req.ready
        wire = json.loads(json.dumps(view_payload(req)))
        assert decode_profile_request(wire) == req
