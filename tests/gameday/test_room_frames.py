"""The room's new seat frames (status report, read mark, a hello with a seat token or an on-call rotation)
stay within the protocol schema: fuzzed with hypothesis, anything else is a FrameError with a reason."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.language.actions import ACTION_ADAPTER
from tests.gameday.conftest import exchange, join
from tests.gameday.test_trust import refusals
from tui.gameday.protocol import MAX_TEXT, FrameError, Hello, ReadUpTo, StatusReport, encode, parse_seat_frame
from tui.gameday.room import report_text

HOSTILE = ["[bold", "\x1b[31m", "\u202e", "\x00", "x" * 500, "", " ", "[link=https://x]y[/link]"]
texts = st.one_of(st.text(max_size=450), st.sampled_from(HOSTILE))
anything = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), texts, st.lists(texts, max_size=2)
)


def parsed_or_refused(frame: dict):
    """The frame as the host parses it, or None when refused with a reason (never another exception)."""
    try:
        return parse_seat_frame(json.dumps(frame, allow_nan=True).encode())
    except FrameError as exc:
        assert str(exc)
        return None


@settings(max_examples=300, deadline=None)
@given(
    ident=st.one_of(st.integers(-5, 2**60), anything),
    impact=texts,
    doing=texts,
    need=st.one_of(texts, anything),
    nxt=texts,
    extra=st.dictionaries(st.sampled_from(["seat", "t", "role", "text"]), anything, max_size=1),
)
def test_a_report_frame_is_bounded_or_refused(ident, impact, doing, need, nxt, extra):
    frame = {"type": "report", "id": ident, "impact": impact, "doing": doing, "need": need, "next": nxt, **extra}
    got = parsed_or_refused(frame)
    if got is None:
        return
    assert isinstance(got, StatusReport) and not extra  # no field beyond the schema's
    assert 1 <= len(got.impact) <= 400 and 1 <= len(got.doing) <= 400 and len(got.need) <= 400
    assert 1 <= len(got.next) <= 80
    assert len(report_text(got.impact, got.doing, got.need, got.next)) <= MAX_TEXT  # a note the vocabulary takes
    ACTION_ADAPTER.validate_python({"action": "note", "text": report_text(got.impact, got.doing, got.need, got.next)})


@settings(max_examples=200, deadline=None)
@given(messages=anything)
def test_a_read_mark_is_a_bounded_count_or_refused(messages):
    got = parsed_or_refused({"type": "read", "messages": messages})
    if got is not None:
        assert isinstance(got, ReadUpTo) and 0 <= got.messages <= 2**53


@settings(max_examples=300, deadline=None)
@given(
    seat_token=st.one_of(st.none(), texts, st.from_regex(r"[A-Za-z0-9_-]{10,70}", fullmatch=True)),
    on_call=st.one_of(st.none(), st.sampled_from(["primary", "secondary", "tertiary", "[bold"])),
    role=st.sampled_from(["imoc", "tloc", "ops", "scribe", "observer", "mentor", "facilitator", "cto"]),
)
def test_a_hello_with_a_seat_token_or_on_call_is_bounded_or_refused(seat_token, on_call, role):
    frame = {"type": "hello", "version": 1, "token": "t", "role": role, "name": "bo"}
    frame |= {"seat_token": seat_token, "on_call": on_call}
    got = parsed_or_refused(frame)
    if got is None:
        return
    assert isinstance(got, Hello) and got.role not in ("facilitator", "cto")
    assert got.on_call in (None, "primary", "secondary")
    assert got.seat_token is None or (16 <= len(got.seat_token) <= 64 and got.seat_token.isascii())


@pytest.mark.parametrize(
    "frame, reason",
    [
        ({"type": "report", "id": 1, "impact": "", "doing": "x", "next": "soon"}, "report.impact"),
        ({"type": "report", "id": 1, "impact": "x", "doing": "x", "next": "y" * 81}, "report.next"),
        ({"type": "report", "id": 1, "impact": "x", "doing": "x", "next": "y", "seat": "imoc:ana"}, "report.seat"),
        ({"type": "read", "messages": -1}, "read.messages"),
        ({"type": "hello", "version": 1, "token": "t", "role": "facilitator", "name": "x"}, "hello.role"),
        ({"type": "hello", "version": 1, "token": "t", "role": "tloc", "name": "x", "seat_token": "a b"}, "seat_token"),
    ],
)
def test_what_the_schema_refuses(frame, reason):
    with pytest.raises(FrameError, match=reason):
        parse_seat_frame(encode(frame))


async def test_a_forged_seat_token_is_refused_and_a_report_is_plain_text_in_the_journal(host):
    hello = {"type": "hello", "version": 1, "token": host.token, "role": "imoc", "name": "eve", "seat_token": "A" * 32}
    assert refusals(await exchange(host, encode(hello))) == ["unknown seat token: join without it to take a new seat"]
    bo = await join(host, "tloc", "bo")
    try:
        result = await asyncio.to_thread(bo.report, "[bold]\x1b[31mred", "\x00x", "", "5m")
        assert result.accepted
        note = host.sim.incident.notes[-1][2]
        assert "\x1b" not in note and "\x00" not in note and "[bold]" in note  # cleaned, and kept as data
    finally:
        bo.quit()
