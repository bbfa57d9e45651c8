"""Primary and secondary on call in a game day: the escalation policy pages the secondary when the primary
does not acknowledge; an acknowledgement stops it; a level nobody holds is skipped."""

from __future__ import annotations

import argparse
import asyncio
from types import SimpleNamespace

from scenarios.language.actions import ACTION_ADAPTER
from simulator.shift import DEFAULT_POLICY
from tests.gameday.conftest import eventually, join, settle
from tui.gameday.oncall import PAGE_LOOK, OnCallPager


def page_looks(host):
    return [(look["page"], look["level"], look["to"]) for look in host.sim.looks if look["what"] == PAGE_LOOK]


async def wait_private(seat, count):
    await eventually(lambda: len(seat.private) >= count)


def first_page_at(host) -> float:
    while not host.sim.pages():
        host.advance(10)
    return host.sim.pages()[0].t


async def test_the_secondary_is_paged_when_the_primary_does_not_acknowledge(host):
    primary = await join(host, "imoc", "ana", on_call="primary")
    secondary = await join(host, "ops", "bo", on_call="secondary")
    try:
        fired = first_page_at(host)
        host.advance(1)
        assert page_looks(host) == [(1, 0, "imoc:ana")]
        await settle(host, primary)
        await wait_private(primary, 1)
        assert "page #1" in primary.private[0][2] and not secondary.private
        host.advance(fired + 299 - host.sim.now)
        assert len(page_looks(host)) == 1  # the primary's 5 minutes are not over yet
        host.advance(2)
        assert page_looks(host)[-1] == (1, 1, "ops:bo")
        await settle(host, secondary)
        await wait_private(secondary, 1)
        assert "you are on call, level 2 (secondary)" in secondary.private[0][2]
        pages = [line["text"] for line in secondary.room if line["kind"] == "page"]
        assert any(
            text.startswith("page #1 (") and "to bo (Ops engineer): level 2 (secondary)" in text for text in pages
        )
        # an ops engineer may not ack by the table, but the seat the policy paged may
        result = await asyncio.to_thread(secondary.apply, ACTION_ADAPTER.validate_python({"action": "ack"}))
        assert result.accepted, result.message
        host.advance(3600)
        first = [look for look in page_looks(host) if look[0] == 1]
        assert len(first) == 2  # acknowledged: page #1's walk stopped (no repeat to the primary)
        ack = [e for e in host.sim.timeline() if e.kind == "ack"]
        assert [e.source for e in ack][:1] == ["ops:bo"]
    finally:
        primary.quit()
        secondary.quit()


async def test_a_prompt_acknowledgement_never_pages_the_secondary(host):
    primary = await join(host, "tloc", "ana", on_call="primary")
    secondary = await join(host, "imoc", "bo", on_call="secondary")
    try:
        first_page_at(host)
        host.advance(30)
        assert (await asyncio.to_thread(primary.apply, ACTION_ADAPTER.validate_python({"action": "ack"}))).accepted
        host.advance(3600)
        assert [look for look in page_looks(host) if look[0] == 1] == [(1, 0, "tloc:ana")]
        await settle(host, secondary)
        assert not [text for _, _, text in secondary.private if text.startswith("page #1:")]
    finally:
        primary.quit()
        secondary.quit()


async def test_a_level_nobody_holds_is_skipped_and_the_room_is_told(host):
    primary = await join(host, "imoc", "ana", on_call="primary")
    try:
        fired = first_page_at(host)
        host.advance(fired + 301 - host.sim.now)
        skipped = [e.text for e in host.feed if e.kind == "page" and "skipped" in e.text]
        assert skipped and "level 2 (secondary) skipped: nobody in the room holds it" in skipped[0]
        # with nobody to wait for, the policy's repeat pages the primary again at once
        assert page_looks(host) == [(1, 0, "imoc:ana"), (1, 0, "imoc:ana")]
    finally:
        primary.quit()


def test_the_walk_follows_the_policy_and_stops_at_an_acknowledgement():
    pager = OnCallPager(DEFAULT_POLICY)
    seats = {"primary": ["imoc:ana"], "secondary": ["tloc:bo"]}
    page = SimpleNamespace(number=1, alert="A", t=100.0, acked_at=None)
    assert [(p.t, p.level, p.to) for p in pager.due([page], 100.0, seats)] == [(100.0, 0, ("imoc:ana",))]
    assert pager.due([page], 399.0, seats) == []
    assert [(p.t, p.level, p.to) for p in pager.due([page], 400.0, seats)] == [(400.0, 1, ("tloc:bo",))]
    page.acked_at = 500.0
    assert pager.due([page], 5000.0, seats) == []  # the repeat never comes: acknowledged before it
    steps, exhausted = DEFAULT_POLICY.steps()
    assert [(s.offset, s.level) for s in steps] == [(0.0, 0), (300.0, 1), (900.0, 0), (1200.0, 1)]
    assert exhausted == 1800.0


def test_the_host_refuses_a_broken_policy_file_with_exit_2(tmp_path, capsys):
    from tui.commands.gameday_commands import host_command

    policy = tmp_path / "policy.yaml"
    policy.write_text("on_call: {primary: ['@a']}\nlevels:\n  - {notify: [secondary]}\n")
    args = argparse.Namespace(
        scenario="checkout-oom-leak", seed=1, bind="127.0.0.1", port=0, web=False, web_port=0, policy=str(policy)
    )
    assert host_command(args) == 2
    err = capsys.readouterr().err
    assert "policy.yaml:" in err and "secondary" in err and "Traceback" not in err
