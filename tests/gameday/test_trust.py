"""The game-day host under a hostile or slow seat: schema'd frames, own records only, isolation, limits."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable

import pytest

from simulator.session.journal import read_journal
from simulator.session.journal_session import replay_journal
from tests.gameday.conftest import PATIENCE, eventually, exchange, hello, join, settle
from tui.gameday import host as host_module
from tui.gameday import links
from tui.gameday.feed import SeatFeed
from tui.gameday.protocol import FrameError, encode, parse_seat_frame
from tui.gameday.seat import JoinRefused


def refusals(frames: list[dict]) -> list[str]:
    return [f["reason"] for f in frames if f["type"] == "refused"]


def results_in(frames: list[dict]) -> list[dict]:
    return [f["result"] for f in frames if f["type"] == "result"]


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (at most ``PATIENCE`` seconds) for ``condition`` to hold."""
    assert await eventually(condition), f"waited {PATIENCE:g} s: {what}"


@pytest.mark.parametrize(
    "line, reason",
    [
        (b"[" * 5000 + b"\n", "nested deeper than 8"),
        (b'{"type":"act","id":1,"action":{"action":"scale","service":"checkout","replicas":1e999}}\n', "finite"),
        (b'{"type":"act","id":1,"action":{"action":"scale","service":"checkout","replicas":NaN}}\n', "NaN"),
        (b'{"type":"act","id":' + b"9" * 5000 + b',"action":{}}\n', "not a JSON object"),
        (b'{"type":"act","id":1,"action":{"action":"note","text":"' + b"x" * 2001 + b'"}}\n', "at most 2000"),
        (b'{"type":"act","id":1,"action":{"action":"note","text":{"a":{"b":1}}}}\n', "malformed frame: act.action"),
        (b'{"type":"act","id":1,"action":{"action":"rate_limit","service":"x","rps":1e300}}\n', "at most 1e\\+15"),
        (
            b'{"type":"act","id":1,"action":{"action":"scale","service":"x","replicas":1' + b"0" * 20 + b"}}\n",
            "at most 9",
        ),
        (b'{"type":"look","what":"guess","detail":{}}\n', "malformed frame: look.what"),
        (b'{"type":"look","what":"panel","detail":{"type":"action"}}\n', "look.detail.type"),
        (b'{"type":"look","what":"panel","detail":{"name":"x","seat":"imoc:ana"}}\n', "look.detail.seat"),
    ],
)
def test_every_frame_is_parsed_by_its_schema(line, reason):
    with pytest.raises(FrameError, match=reason):
        parse_seat_frame(line)


async def test_a_seat_cannot_forge_records_and_replay_applies_only_what_it_did(host):
    """A look's details cannot turn it into an action record; a seat's records name that seat."""
    forged = {"type": "action", "t": 0, "seat": "imoc:ana", "action": {"action": "resolve"}}
    lines = [
        hello(host),
        encode({"type": "look", "what": "panel", "detail": forged}),
        encode({"type": "look", "what": "panel", "detail": {"name": "logs", **{"type": "end", "reason": "x"}}}),
        encode({"type": "look", "what": "checkpoint"}),
        encode({"type": "act", "id": 1, "action": {"action": "note", "text": "mine", "seat": "imoc:ana"}}),
        encode({"type": "act", "id": 2, "action": {"action": "note", "text": "[bold mine"}}),
        encode({"type": "look", "what": "log_query", "detail": {"service": "checkout", "text": "OOMKilled"}}),
    ]
    frames = await exchange(host, *lines, until=lambda frames: len(results_in(frames)) == 2)
    assert len(refusals(frames)) == 3  # the three forged looks; the rest are answered
    results = results_in(frames)
    assert [r["accepted"] for r in results] == [False, True]
    assert "invalid note" in results[0]["message"]
    await until(lambda: any(look["seat"] == "tloc:bo" for look in host.sim.looks), "the log query is taken")
    data = read_journal(host.session.journal_path)
    assert [(r.seat, r.action.action, r.action.text) for r in data.actions] == [("tloc:bo", "note", "[bold mine")]
    assert [(look["seat"], look["what"]) for look in data.looks] == [("tloc:bo", "log_query")]
    assert data.end is None
    host.end()
    sim, report = replay_journal(host.session.journal_path)
    assert report == host.sim.score()
    assert sim.incident_view().notes == host.sim.incident_view().notes


async def test_a_seat_that_never_reads_delays_nobody_and_is_dropped(host):
    # The host's own SEND_TIMEOUT (10 s): the honest join and the eight pushes below must all happen
    # while the stuck seat is still connected. With it patched to 5 s they once took longer than that
    # in a CI run at load 8-10 (the stuck seat was dropped, correctly, before the loop's end).
    host.advance(3600)  # an hour of history: the join snapshot is ~10 MB, far more than a socket holds
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    stuck.connect(("127.0.0.1", host.port))
    stuck.sendall(hello(host, "observer", "stuck"))  # ... and never reads a byte

    def blocked() -> bool:
        link = host.seats.get("observer:stuck")
        return link is not None and link.busy and link.feed.more

    await until(blocked, "the stuck seat's writer is blocked mid-snapshot")
    honest = await join(host, "imoc", "ana")
    loop = asyncio.get_running_loop()
    try:
        delays = []
        for _ in range(8):
            host.advance(5)
            await host.push_all()
            sent = loop.time()
            while abs(honest.now - host.sim.now) > 1e-9 and loop.time() - sent < 5:
                await asyncio.sleep(0.005)
            delays.append(loop.time() - sent)
            assert "observer:stuck" in host.seats  # still connected, still not reading
        # Blocked behind the stuck seat, a push would wait its SEND_TIMEOUT (10 s); well under that is
        # "delays nobody" even on a loaded machine (quiet, a push arrives in a few milliseconds).
        assert max(delays) < 2.0, delays
        await until(lambda: "observer:stuck" not in host.seats, "the stuck seat is dropped")
        left = [e for e in host.feed if e.seat == "observer:stuck" and e.kind == "leave"]
        assert left and "not reading" in left[-1].text
    finally:
        honest.quit()
        stuck.close()


async def test_state_frames_are_bounded_and_a_snapshot_arrives_in_parts(host):
    host.advance(3600)
    feed, sizes = SeatFeed(), []
    while True:
        frame = feed.delta(host.session, 0, 0.0)
        sizes.append(len(encode(frame)))
        if not frame["more"]:
            break
    assert len(sizes) > 10 and max(sizes) < 1_000_000, (len(sizes), max(sizes))
    seat = await join(host, "tloc", "bo")
    try:
        await settle(host, seat)
        mirrored, real = seat.metric("checkout", "memory_mb"), host.sim.metric("checkout", "memory_mb")
        assert mirrored.times == real.times and mirrored.values == real.values
        assert len(seat.logs(limit=100_000)) == min(host.sim.log_store.total, 20_000)
    finally:
        seat.quit()


async def test_repeated_abuse_disconnects_with_a_reason_and_bars_a_while(host):
    junk = [b"not json\n"] * (links.STRIKES + 5)
    frames = await exchange(host, hello(host, name="spam"), *junk)
    fatal = [f for f in frames if f.get("fatal")]
    assert fatal and "refused frames" in fatal[-1]["reason"]
    assert len(refusals(frames)) == links.STRIKES + 2  # every bad frame answered until the disconnect
    await until(lambda: "tloc:spam" not in host.seats, "the abusive seat is dropped")
    with pytest.raises(JoinRefused, match="disconnected for abuse"):
        await join(host, "tloc", "spam")
    honest = await join(host, "tloc", "other")  # another seat is not affected
    honest.quit()


async def test_a_seat_over_its_rate_is_refused_then_disconnected(host):
    look = encode({"type": "look", "what": "panel", "detail": {"name": "logs"}})
    started = time.monotonic()
    frames = await exchange(host, hello(host, name="fast"), *[look] * 200)
    elapsed = time.monotonic() - started
    reasons = refusals(frames)
    assert any("rate limit" in r for r in reasons)
    assert frames[-1]["fatal"] and "refused frames" in frames[-1]["reason"]
    # The whole burst is taken, and no more than the bucket refills while the frames arrive (a loaded
    # machine stretches the exchange over several refills' worth of wall time).
    taken = sum(1 for look in host.sim.looks if look["seat"] == "tloc:fast")
    assert links.BURST <= taken <= links.BURST + int(elapsed * links.RATE) + 1


def read_to_the_end(sock: socket.socket) -> list[dict]:
    """Every whole frame a blocking socket receives until the host closes it (or resets it: what came before)."""
    sock.settimeout(PATIENCE)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return [json.loads(line) for line in data.split(b"\n")[:-1]]  # a frame cut by a reset is not a frame


async def test_a_seat_dropped_mid_burst_gets_the_reason_even_when_it_reads_late(host):
    # A small receive buffer and no reading until the drop: most of what the host sends still waits in the
    # host's kernel when it closes. Closing over the unread burst would reset the connection and throw that
    # away, the fatal reason with it; the host half-closes and lingers instead.
    look = encode({"type": "look", "what": "panel", "detail": {"name": "logs"}})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.connect(("127.0.0.1", host.port))
        sock.sendall(hello(host, name="late"))
        await until(lambda: "tloc:late" in host.seats, "the seat joins")
        await asyncio.sleep(0.5)  # its writer sends the welcome and the state, which wait unread
        sock.sendall(look * 200)
        await until(lambda: host._barred.get("tloc:late"), "the seat is dropped for its burst")
        await until(lambda: "tloc:late" not in host.seats, "the dropped seat is let go")
        sock.sendall(look * 50)  # and it goes on sending, as an abusive seat does
        await asyncio.sleep(0.2)  # the host's reader is past the drop (it closed, or it lingers)
        frames = await asyncio.to_thread(read_to_the_end, sock)
    finally:
        sock.close()
    assert frames[0]["type"] == "welcome"
    assert any("rate limit" in r for r in refusals(frames))
    assert frames[-1]["fatal"] and "refused frames" in frames[-1]["reason"]


async def test_the_game_day_has_a_maximum_of_seats(host, monkeypatch):
    monkeypatch.setattr(host_module, "MAX_SEATS", 2)
    a = await join(host, "tloc", "a")
    b = await join(host, "observer", "b")
    try:
        with pytest.raises(JoinRefused, match="full"):
            await join(host, "observer", "c")
        b.quit()
        await eventually(lambda: "observer:b" not in host.seats)
        c = await join(host, "observer", "c")
        c.quit()
    finally:
        a.quit()
        b.quit()


async def test_unauthenticated_connections_get_a_refusal_and_nothing_else(host, monkeypatch):
    monkeypatch.setattr(host_module, "MAX_PENDING", 2)
    idle = [socket.create_connection(("127.0.0.1", host.port)) for _ in range(2)]
    try:
        await until(lambda: host._pending == 2, "both idle connections wait to join")
        frames = await exchange(host, hello(host, name="late"))
        assert refusals(frames) == ["too many connections are waiting to join; try again shortly"]
    finally:
        for s in idle:
            s.close()
    await until(lambda: host._pending == 0, "the closed connections no longer wait")
    markup = b'{"type":"hello","version":1,"token":"x","role":"tloc","name":"a","[bold \\u001b[31m":1}\n'
    frames = await exchange(host, markup, b"GET /[bold HTTP/1.1\r\nHost: x\r\n\r\n")
    assert [f["type"] for f in frames] == ["refused"] and frames[0]["fatal"]
    assert all("[bold" not in e.text and "\x1b" not in e.text for e in host.feed)
    assert host.feed[-1].text == "no valid hello frame"


async def test_a_flood_of_refused_connections_lingers_no_more_than_the_cap(host, monkeypatch):
    # Each refused connection lingers (up to LINGER s) so its refusal is not reset away; a flood of them that
    # never close must not hold a socket and a task each: past MAX_LINGERING they are closed at once.
    monkeypatch.setattr(host_module, "MAX_LINGERING", 2)
    lingered = []

    async def counted(reader, writer):
        lingered.append(writer)
        await real_linger(reader, writer)

    real_linger = host_module.linger
    monkeypatch.setattr(host_module, "linger", counted)
    flood = [socket.create_connection(("127.0.0.1", host.port)) for _ in range(5)]
    try:
        for s in flood:
            s.sendall(b"not a hello\n")
        for s in flood:  # every one gets its refusal and then the end of the stream, lingering or not
            s.settimeout(PATIENCE)
            answer = await asyncio.to_thread(lambda s=s: s.makefile("rb").read())
            assert [json.loads(line)["reason"] for line in answer.splitlines()] == [
                "not a JSON object: Expecting value: line 1 column 1 (char 0)"
            ]
        assert len(lingered) == 2 and host._lingering == 2
    finally:
        for s in flood:
            s.close()
    await until(lambda: host._lingering == 0, "the lingering end when their peers close")


async def test_per_seat_caps_refuse_with_a_clear_message(host, monkeypatch):
    monkeypatch.setitem(host_module.SEAT_CAPS, "texts", 3)
    monkeypatch.setitem(host_module.SEAT_CAPS, "guesses", 2)
    notes = [encode({"type": "act", "id": i, "action": {"action": "note", "text": f"n{i}"}}) for i in range(5)]
    frames = await exchange(host, hello(host), *notes, until=lambda frames: len(results_in(frames)) == 5)
    results = results_in(frames)
    assert [r["accepted"] for r in results] == [True, True, True, False, False]
    assert "limit of 3 texts" in results[-1]["message"]
    guesses = [encode({"type": "guess", "text": f"g{i}"}) for i in range(3)]
    frames = await exchange(
        host,
        hello(host, "observer", "cy"),
        *guesses,
        until=lambda frames: sum(f["type"] == "guessed" for f in frames) == 3,
    )
    answers = [f for f in frames if f["type"] == "guessed"]
    assert [a["ok"] for a in answers] == [True, True, False] and "limit of 2 guesses" in answers[-1]["reason"]
    assert len(host.guesses) == 2
