"""A game-day seat's charts reach back before t=0 as a solo trainee's do (issue 14, deliverable 7): the
host's snapshot starts with the quiet run's minutes before the incident (simulator.session.warmup), in
bounded frames; a seat's incidents carry the seats as default role holders."""

from __future__ import annotations

import json
import math

import pytest

from tests.gameday.conftest import join, settle
from tui.gameday.feed import FRAME_SAMPLES, SeatFeed
from tui.gameday.protocol import Encoded, encode
from tui.gameday.seat import SeriesMirror
from tui.session import LocalSession


def values_in(frame: dict) -> int:
    return sum(len(v) for chunk in frame["series"].values() for v in chunk["values"].values())


def snapshot(session: LocalSession) -> tuple[list[dict], dict[str, SeriesMirror]]:
    """Every frame of a joining seat's snapshot, and the mirror a seat fills from them."""
    feed, frames = SeatFeed(), []
    mirror = {"service": SeriesMirror(), "split": SeriesMirror()}
    while True:
        frame = json.loads(encode(feed.delta(session, 0, 0.0)))  # as a seat reads it
        frames.append(frame)
        for key, chunk in frame["series"].items():
            mirror[key].extend(chunk["t0"], chunk["dt"], chunk["n"], chunk["values"])
        if not frame["more"]:
            return frames, mirror


def test_a_seats_first_frame_carries_points_from_before_t0_and_its_mirror_matches_solo_history():
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(300)
    frames, mirror = snapshot(session)
    first = frames[0]
    assert first["full"] and all(chunk["t0"] < 0 for chunk in first["series"].values())
    assert all(values_in(f) <= FRAME_SAMPLES for f in frames), "frames stay bounded"
    assert all(t < 0 for t in mirror["service"].times[:10])
    for name, metric in (("frontend", "rate"), ("checkout", "p99_ms")):
        solo = session.metric(name, metric, start=-900.0, end=300.0)
        seat = mirror["service"].window(f"{name}.{metric}", -900.0, 300.0)
        assert seat.times == solo.times and min(solo.times) < -800
        assert all(
            math.isclose(a, b) or (math.isnan(a) and math.isnan(b))
            for a, b in zip(seat.values, solo.values, strict=True)
        )
    instance = session.instances("checkout")[0].id
    solo = session.metric("checkout", "memory_mb", instance=instance, start=-900.0, end=0.0)
    seat = mirror["split"].window(f"{instance}.memory_mb", -900.0, 0.0)
    assert seat.times == solo.times and len(solo.times) > 100, "per-instance series reach back too"


def test_a_seat_joining_at_t0_gets_the_minutes_before_it_at_once():
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    frames, mirror = snapshot(session)
    assert session.now == 0.0 and set(frames[0]["series"]) == {"service", "split"}
    solo = session.metric("frontend", "rate", start=-900.0, end=0.0)
    assert mirror["service"].window("frontend.rate", -900.0, 0.0).times == solo.times and len(solo.times) > 800


def test_a_snapshot_that_no_longer_reaches_t0_sends_no_history_before_it():
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(3700)
    frames, mirror = snapshot(session)
    assert min(mirror["service"].times) > 0 and all(c["t0"] > 0 for f in frames for c in f["series"].values())


async def test_a_joined_seat_sees_before_t0_and_the_seats_hold_the_incident_roles(host):
    host.advance(120)
    ana = await join(host, "imoc", "ana")
    bo = await join(host, "tloc", "bo")
    await settle(host, bo)
    try:
        rate = bo.metric("frontend", "rate", start=-600.0, end=60.0)
        assert rate.times and rate.times[0] < -590 and not math.isnan(rate.values[0])
        host.advance(60)
        await settle(host, bo)
        (incident,) = [i for i in bo.incidents() if i.number == 1]
        assert dict(incident.roles) == {"imoc": "ana", "comms": "ana", "tloc": "bo"}
    finally:
        ana.quit()
        bo.quit()


def test_an_encoded_part_is_written_in_place_even_beside_a_string_that_reads_as_its_slot():
    """The quiet run's chunks are encoded once (protocol.Encoded) and written into each frame in place."""
    plain = {"a": [1.5, math.nan, {"x": "y"}], "b": "text", "c": [0.1, -math.inf, 3.0]}
    assert encode({**plain, "a": Encoded(plain["a"]), "c": Encoded(plain["c"])}) == encode(plain)
    tricky = {**plain, "b": "\x00encoded\x00", "d": {"\x00encoded\x00": 1}}
    assert encode({**tricky, "a": Encoded(tricky["a"]), "c": Encoded(tricky["c"])}) == encode(tricky)
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode({"a": object()})


def test_seats_out_of_step_each_get_every_line_and_sample_the_host_has():
    """Chunks that seats in step share are encoded once (feed._shared); a seat behind the others is sent
    its own, so each mirror still ends with exactly what the host holds."""
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    seats = {"often": _Seat(), "seldom": _Seat()}
    for step in range(1, 7):
        session.sim.advance(20.0)
        for name, seat in seats.items():
            if name == "often" or step % 3 == 0:
                seat.catch_up(session)
    for seat in seats.values():
        assert seat.lines == session.sim.log_store.total
        for name in ("frontend.rate", "checkout.p99_ms"):
            solo = session.metric(*name.split("."), start=0.0, end=session.now)
            mirrored = seat.mirror["service"].window(name, 0.0, session.now)
            assert mirrored.times == solo.times
            assert [v for v in mirrored.values if v == v] == [v for v in solo.values if v == v]


class _Seat:
    """What a seat takes in of its frames: the log lines it was sent, and its metric mirrors."""

    def __init__(self) -> None:
        self.feed, self.lines = SeatFeed(), 0
        self.mirror = {"service": SeriesMirror(), "split": SeriesMirror()}

    def catch_up(self, session: LocalSession) -> None:
        while True:
            frame = json.loads(encode(self.feed.delta(session, 0, 0.0)))
            self.lines = 0 if frame["full"] else self.lines
            self.lines += len(frame["logs"])
            for key, chunk in frame["series"].items():
                self.mirror[key].extend(chunk["t0"], chunk["dt"], chunk["n"], chunk["values"])
            if not frame["more"]:
                return
