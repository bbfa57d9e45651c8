"""Facilitator powers through the host's API: messages as any persona, any fault on the topology, a hint
to one seat, the difficulty dial, a rewind that keeps the table; every one journalled."""

from __future__ import annotations

import pytest

from simulator.session.journal_session import replay_journal
from tests.gameday.conftest import eventually, join, settle
from tui.gameday.host import DIAL_LOOK, NOISE_EVERY, SEAT_HINT_LOOK, TABLE_LOOK
from tui.gameday.personas import PERSONAS, parse_fault, persona


def injects(host):
    return [e for e in host.sim.timeline() if e.source == "facilitator"]


async def test_a_persona_template_and_a_free_text_message_reach_every_seat_and_the_journal(host):
    bo = await join(host, "tloc", "bo")
    try:
        host.advance(60)
        vendor = persona("vendor")
        assert host.message(vendor.sender, vendor.templates[0], vendor.channel).accepted
        assert host.message("@cfo (stakeholder)", "Do we need to pause the marketing campaign?").accepted
        assert not host.message("", "no sender").accepted
        await settle(host, bo)
        got = [(m.sender, m.channel, m.text) for m in bo.messages()]
        assert (vendor.sender, "email", vendor.templates[0]) in got
        assert ("@cfo (stakeholder)", "chat", "Do we need to pause the marketing campaign?") in got
        replayed, _report = replay_journal(host.session.journal_path)
        assert [m.text for m in replayed.messages()][-2:] == [vendor.templates[0], got[-1][2]]
    finally:
        bo.quit()


def test_persona_templates_ask_and_never_claim():
    for p in PERSONAS:
        assert p.templates and all(t.rstrip().endswith("?") for t in p.templates), p.key
    with pytest.raises(ValueError, match="personas: stakeholder"):
        persona("ceo")


def test_a_typed_fault_is_parsed_by_the_scenario_language():
    fault = parse_fault("latency service=payments factor=4")
    assert fault.type == "latency" and fault.service == "payments" and fault.factor == 4
    assert parse_fault("zone_outage zone=eu-west-1b").zone == "eu-west-1b"
    for text, reason in (
        ("", "write a fault as"),
        ("latency payments", "is not key=value"),
        ("gremlins service=x", "type"),
        ("latency service=payments factor=inf", "factor"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_fault(text)


async def test_any_fault_the_topology_allows_starts_and_replays(host):
    host.advance(60)
    result = host.inject_fault("latency service=payments factor=8")
    assert result.accepted, result.message
    assert result.message == "fault latency on payments started"
    refused = host.inject_fault("latency service=nowhere factor=8")
    assert not refused.accepted and "unknown service 'nowhere'" in refused.message
    assert not host.inject_fault("zone_outage zone=mars-1a").accepted
    assert not host.inject_fault("latency service=payments factor=0.5").accepted
    host.advance(120)
    assert any(f.type == "latency" for f in host.sim.faults.active)
    replayed, _report = replay_journal(host.session.journal_path)
    assert [f.type for f in replayed.faults.faults] == ["memory_leak", "latency"]  # replay starts it too


async def test_a_hint_to_one_seat_reaches_it_alone(host):
    bo = await join(host, "tloc", "bo")
    ana = await join(host, "imoc", "ana")
    try:
        host.advance(60)
        assert host.hint_seat("tloc:bo", "Compare memory per version.") is None
        assert host.hint_seat("tloc:nobody", "x") == "no seat 'tloc:nobody' is connected"
        await settle(host, bo)
        await settle(host, ana)
        await eventually(lambda: bo.private)
        assert [text for _, _, text in bo.private] == ["Compare memory per version."]
        assert not ana.private
        look = [look for look in host.sim.looks if look["what"] == SEAT_HINT_LOOK][-1]
        assert (look["to"], look["text"]) == ("tloc:bo", "Compare memory per version.")
        assert not [line for line in ana.room if "Compare memory" in line["text"]]  # not in the room's feed
    finally:
        bo.quit()
        ana.quit()


async def test_the_difficulty_dial_brings_hints_sooner_or_adds_noise(host):
    host.set_difficulty("easy")
    host.advance(7.5 * 60)  # the first hint is written for 15 min: easy brings it at 7.5 min
    assert [text for _, text in host.sim.incident.hints][:1] == [host.sim.scenario.hints[0].text]
    host.set_difficulty("hard")
    host.advance(NOISE_EVERY + 1)
    assert any(a.name.startswith("ProbeFlapping") for a in host.sim.alert_list(True))
    assert [look["level"] for look in host.sim.looks if look["what"] == DIAL_LOOK] == ["easy", "hard"]
    with pytest.raises(ValueError, match="easy, normal, hard"):
        host.set_difficulty("nightmare")


async def test_a_rewind_keeps_the_games_table_on_the_new_branch(host):
    host.advance(120)
    host.set_power("imoc", "restart", True)
    host.advance(60)
    host.rewind(60)
    assert host.table.refusal("imoc", "restart") is None
    assert [(look["role"], look["power"]) for look in host.sim.looks if look["what"] == TABLE_LOOK] == [
        ("imoc", "restart")
    ]


async def test_a_scripted_message_comes_early_or_late_once_and_replays_the_same(tmp_path):
    from tui.gameday.host import GameHost

    game = GameHost.start_session("bad-flag-cohort", 1, directory=tmp_path, port=0, clock=False)
    try:
        first, second = game.sim.scenario.messages[:2]
        game.advance(60)
        early = game.move_message(0, 0.0)
        assert early.accepted, early.message
        late = game.move_message(1, second.at + 600 - game.sim.now)
        assert late.accepted and f"to {second.at + 600:.0f}s" in late.message
        assert not game.move_message(0, 0.0).accepted  # it has arrived already
        assert not game.move_message(9, 0.0).accepted
        assert [(m.t, m.text) for m in game.sim.messages()] == [(60, first.text)]
        game.advance(second.at + 60 - game.sim.now)  # its own time has passed: it did not come
        assert second.text not in [m.text for m in game.sim.messages()]
        game.advance(600)
        assert [m.t for m in game.sim.messages() if m.text == second.text] == [second.at + 600]
        assert len([m for m in game.sim.messages() if m.text == first.text]) == 1  # never twice
        game.end()
        replayed, _ = replay_journal(game.session.journal_path)
        assert [(m.t, m.text) for m in replayed.messages()] == [(m.t, m.text) for m in game.sim.messages()]
    finally:
        game.session.quit()


async def test_hard_puts_the_scripted_hints_off_and_replay_agrees(host):
    first = host.sim.scenario.hints[0]
    host.set_difficulty("hard")
    host.advance(first.after + 60)
    assert first.text not in [text for _, text in host.sim.incident.hints]  # its own time passed silently
    host.advance(first.after * 1.5 + 1 - host.sim.now)
    assert [(t, text) for t, text in host.sim.incident.hints][:1] == [(first.after * 1.5, first.text)]
    host.end()
    replayed, _ = replay_journal(host.session.journal_path)
    assert replayed.incident.hints == host.sim.incident.hints
