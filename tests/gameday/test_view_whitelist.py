"""The game-day view whitelist: no hidden field of a scenario ever reaches a seat before the debrief.

Every frame the host sends a seat during a played game day (welcome, state snapshots and deltas,
results, profiles and dumps, refusals) is scanned for the hidden truth, derived from the scenario
itself rather than listed by hand: the root cause, its five whys and red herrings, the reference
solution's texts, the traps, the postmortem, the named evidence, the messages' hidden kind and
expectations, hints not yet released, optional faults not injected, and the fields that carry them.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from scenarios.language.actions import ACTION_ADAPTER
from tests.gameday.conftest import Recorder, join, settle
from tui.gameday import host as host_module
from tui.gameday.host import GameHost

HIDDEN_KEYS = {
    "root_cause",
    "five_whys",
    "red_herrings",
    "solution",
    "optional_faults",
    "traps",
    "why",
    "expects",
    "postmortem",
    "action_items",
    "lessons",
    "went_well",
    "stale",
    "stale_runbooks",
    "variant",
    "onset_s",
    "mb_per_min",
    "par",
    "resolution",
}
"""Field names that exist only in the hidden part of a scenario or its truth."""


def hidden_strings(host: GameHost) -> set[str]:
    """Texts only the hidden truth holds (long enough not to match by chance)."""
    sim = host.sim
    sc = sim.scenario
    rc = sc.root_cause
    out = {" ".join(rc.summary.split())[:60], *rc.five_whys, *rc.red_herrings}
    out |= {t.why for t in sc.traps}
    out |= {a.action for a in sc.postmortem.action_items} | set(sc.postmortem.lessons) | set(sc.postmortem.went_well)
    out |= {e.description for e in sc.evidence}
    out |= {m.expects for m in sc.messages if m.expects}
    for step in sc.solution:
        for field in ("text", "summary"):
            if value := getattr(step, field, None):
                out.add(value)
    released = {text for _, text in sim.incident.hints}
    out |= {h.text for h in sc.hints if h.text not in released}
    injected = [f for f in sim.faults.active if f in sc.optional_faults]
    for fault in sc.optional_faults:
        message = getattr(fault, "error_message", None)
        if message and fault not in injected:
            out.add(message)
    return {s for s in out if len(s) >= 15}


def keys_and_strings(value: Any, keys: set[str], strings: list[str]) -> None:
    """Every key and every string in a decoded frame (JSON: dicts, lists, strings, numbers), in order.

    A walk with its own stack (children pushed in reverse so they come off in order): a frame holds a
    thousand log records and a snapshot's samples, ~1.8 million values in a game day.
    """
    stack = [value]
    pop, push = stack.pop, stack.extend
    add_string = strings.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            add_string(item)
        elif kind is dict:
            keys.update(item)
            push(reversed(item.values()))
        elif kind is list:
            push(reversed(item))


def leaks(frames: list[dict], host: GameHost) -> list[str]:
    """What of the hidden truth the frames carry (empty when none)."""
    keys: set[str] = set()
    strings: list[str] = []
    for frame in frames:
        keys_and_strings(frame, keys, strings)
    text = "\n".join(strings)
    found = [f"key {k!r}" for k in sorted(keys & HIDDEN_KEYS)]
    found += [f"text {s[:50]!r}" for s in sorted(hidden_strings(host)) if s in text]
    kinds = {m.get("kind") for f in frames for m in f.get("views", {}).get("messages", [])}
    found += [f"message kind {k}" for k in kinds if k]
    return found


def act(body):
    return ACTION_ADAPTER.validate_python(body)


@pytest.mark.parametrize("scenario", ["checkout-oom-leak", "bad-flag-cohort", "double-trouble"])
async def test_no_hidden_field_reaches_a_seat_before_the_debrief(tmp_path, monkeypatch, scenario):
    sent: dict[int, list[dict]] = {}
    original = GameHost._reply

    async def spy(writer, frame):
        await original(Recorder(writer, lambda data: sent.setdefault(id(writer), []).append(json.loads(data))), frame)

    monkeypatch.setattr(host_module.GameHost, "_reply", staticmethod(spy))
    host = GameHost.start_session(scenario, 3, directory=tmp_path, port=0, clock=False)
    await host.start()
    imoc = await join(host, "imoc", "ana")
    tloc = await join(host, "tloc", "bo")
    watcher = await join(host, "observer", "cy")
    try:
        for minute in range(5, 45, 5):
            host.advance(minute * 60 - host.sim.now)
            await asyncio.to_thread(imoc.apply, act({"action": "ack"}))
            await asyncio.to_thread(imoc.apply, act({"action": "status_update", "text": f"update at {minute}m"}))
            await asyncio.to_thread(tloc.apply, act({"action": "hypothesis", "text": f"my idea {minute}"}))
            await asyncio.to_thread(watcher.guess, f"a guess at {minute}")
            if minute == 10:
                instance = tloc.instances()[0].id
                for kind in ("cpu", "heap", "threads", "crash"):
                    await asyncio.to_thread(tloc.take_profile, kind, instance, 10.0)
            if minute == 20 and host.sim.scenario.hints:
                host.release_hint(0)
            await settle(host, tloc)
        host.advance(60)
        await settle(host, tloc)
        for req in host.sim.profiler.requests:
            await asyncio.to_thread(tloc.profile_request, req.id)
        frames = [f for seat_frames in sent.values() for f in seat_frames]
        assert len(sent) == 3 and len(frames) > 50
        assert {"welcome", "state", "result", "profile", "guessed"} <= {f["type"] for f in frames}
        assert not leaks(frames, host)
        # the scanner finds the truth where it is: in the debrief, once the session has ended
        host.end()
        await settle(host)
        debriefs = [f for seat_frames in sent.values() for f in seat_frames if f["type"] == "debrief"]
        assert len(debriefs) == 3 and leaks(debriefs, host)
    finally:
        for seat in (imoc, tloc, watcher):
            seat.quit()
        await host.stop()


def test_a_record_that_is_not_a_view_never_goes_on_the_wire():
    """view_payload is the whitelist itself: the debrief, the hidden truth or anything else that is not a
    seat view is refused wherever it sits in a payload, and the views a seat receives pass whole."""
    from tui.gameday.protocol import view_payload
    from tui.session import LocalSession

    session = LocalSession.start("checkout-oom-leak", seed=3, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(600)
    logs, _ = session.log_tail(0, 50)
    views = {"logs": logs, "incident": session.incident_view(), "sli": session.sli_status()}
    session.sim.end("the facilitator ended it")
    debrief = session.debrief()
    for payload in (debrief, [debrief], (views["incident"], debrief), {"x": debrief}, debrief.report):
        with pytest.raises(TypeError, match="is not a seat view"):
            view_payload(payload)
    for payload in (session.sim.scenario.root_cause, {1, 2}, object()):
        with pytest.raises(TypeError, match="cannot cross the wire"):
            view_payload(payload)
    wire = view_payload(views)
    assert json.loads(json.dumps(wire)) == wire
    assert wire["logs"] and wire["logs"][0] == {f: getattr(logs[0], f) for f in wire["logs"][0]}
    assert set(wire["logs"][0]) == set(type(logs[0]).__dataclass_fields__)
