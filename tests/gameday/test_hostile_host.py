"""A seat under a host it cannot trust: a frame of the wrong shape is reported and the seat rejoins.

A seat joins whatever address it is given; a host of another version (or not a misfortune host at
all) must not kill the seat's reader thread with a traceback, nor make it allocate without bound.
"""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from tests.gameday.conftest import eventually, settle
from tui.gameday import seat as seat_module
from tui.gameday.seat import JoinRefused, RemoteSession, SeriesMirror


def log_frame(**wrong) -> dict:
    """A state frame that is well formed but for one field of its one log line."""
    line = {"t": 1.0, "level": "ERROR", "service": "s", "version": "v", "zone": "z", "instance": "i"}
    line |= {"message": "m", "trace_id": "", "span_id": "", "attributes": {}}
    return {"type": "state", "full": False, "more": True, "logs": [line | wrong], "traces": [], "series": {}}


NAN = float("nan")


BAD_FRAMES = {
    "log time not a number": log_frame(t="soon"),
    "log level a dict": log_frame(level={"[bold]": 1}),
    "log message a list": log_frame(message=["[bold]x"]),
    "log zone a number": log_frame(zone=3),
    "log time infinite": log_frame(t=float("inf")),
    "endless series chunk": {
        "type": "state",
        "full": False,
        "more": True,
        "logs": [],
        "traces": [],
        "series": {"service": {"t0": 0.0, "dt": 1.0, "n": 10**12, "values": {}}},
    },
    "not an object": [1, 2, 3],
    "a whisper from a dict": {"type": "whisper", "t": 1.0, "from": {"[b]": 1}, "text": "x"},
    "a page at an infinite time": {"type": "page", "t": float("inf"), "from": "pager", "text": "x"},
    "a refusal whose reason is a list": {"type": "refused", "reason": ["[b]x"]},
    "a room debrief that is a dict": {"type": "room_debrief", "markdown": {"#": 1}},
    "an end answer without its verdict": {"type": "ended", "id": 1},
    "a profile answer whose request is a word": {"type": "profile", "id": 99, "ok": True, "request": "cpu"},
    "views of the wrong shape": {
        "type": "state",
        "full": False,
        "logs": [],
        "traces": [],
        "series": {},
        "views": {"services": 5},
    },
}


class InjectingProxy:
    """Relays a seat to the host, slipping ``bad`` in after the first state frame of the first connection."""

    def __init__(self, host_port: int, bad: bytes) -> None:
        self.host_port, self.bad = host_port, bad
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=2**26)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, seat_reader: asyncio.StreamReader, seat_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        inject = self.connections == 1
        host_reader, host_writer = await asyncio.open_connection("127.0.0.1", self.host_port, limit=2**26)

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, to_seat: bool) -> None:
            nonlocal inject
            try:
                while line := await reader.readline():
                    writer.write(line)
                    if to_seat and inject and json.loads(line).get("type") == "state":
                        writer.write(self.bad)
                        inject = False
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        try:
            await asyncio.gather(pipe(seat_reader, host_writer, False), pipe(host_reader, seat_writer, True))
        except asyncio.CancelledError:
            pass  # the test's loop ends with the relay still open


@pytest.mark.parametrize("name", list(BAD_FRAMES))
async def test_a_malformed_host_frame_is_reported_and_the_seat_rejoins(host, monkeypatch, name):
    monkeypatch.setattr(seat_module, "RECONNECT_EVERY", 0.05)
    proxy = InjectingProxy(host.port, (json.dumps(BAD_FRAMES[name]) + "\n").encode())
    port = await proxy.start()
    seat = RemoteSession("127.0.0.1", port, host.token, "tloc", "bo")
    try:
        await asyncio.to_thread(seat.connect)
        await eventually(lambda: proxy.connections >= 2 and seat.connected.is_set())
        assert any("malformed" in reason for reason in seat.refusals), seat.refusals
        assert seat._thread.is_alive()  # the reader survived the frame
        assert proxy.connections == 2 and seat.connected.is_set()
        await settle(host, seat)
        assert seat.now == pytest.approx(host.sim.now)  # following the host again after the rejoin
        assert all(math.isfinite(t) for t in seat._series["service"].times)
    finally:
        seat.quit()
        await proxy.stop()


async def test_a_malformed_welcome_is_a_refusal_not_a_traceback():
    async def fake_host(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b'{"type": "welcome", "allowed": 7}\n')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(fake_host, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        seat = RemoteSession("127.0.0.1", port, "t", "tloc", "bo")
        with pytest.raises(JoinRefused, match="malformed welcome"):
            await asyncio.to_thread(seat.connect)
    finally:
        server.close()


@pytest.mark.parametrize(
    "t0, dt, n, values, reason",
    [
        (0.0, 1.0, 10**12, {}, "at most"),
        (0.0, 1.0, 2, {"rps": [1.0]}, "not all its length"),
        (float("inf"), 1.0, 1, {"rps": [1.0]}, "finite"),
        (0.0, float("nan"), 1, {"rps": [1.0]}, "finite"),
        (0.0, 1.0, "3", {}, "samples"),
    ],
)
def test_a_series_chunk_of_the_wrong_shape_is_refused(t0, dt, n, values, reason):
    mirror = SeriesMirror()
    with pytest.raises(ValueError, match=reason):
        mirror.extend(t0, dt, n, values)
    assert mirror.times == []


def test_a_well_formed_chunk_is_taken_in():
    mirror = SeriesMirror()
    mirror.extend(10.0, 5.0, 3, {"rps": [1.0, 2.0, 3.0]})
    assert mirror.window("rps", None, None).values == (1.0, 2.0, 3.0)
    assert mirror.times == [10.0, 15.0, 20.0]


def test_a_seat_keeps_only_the_latest_refusals():
    seat = RemoteSession("127.0.0.1", 9, "t", "tloc", "bo")  # never connected: the record alone
    for n in range(seat_module.REFUSALS_KEPT * 3):
        seat.refusals.append(f"the host sent a malformed state frame ({n}): rejoining")
    assert len(seat.refusals) == seat_module.REFUSALS_KEPT
    assert seat.refusals[-1].endswith(f"({seat_module.REFUSALS_KEPT * 3 - 1}): rejoining")


def test_a_hosts_log_fields_reach_the_logs_panel_without_control_characters():
    """A host's level, service, version, zone and instance go into a Logs panel row as they are: they are
    cleaned where the seat takes them in (the message is cleaned where it is shown)."""
    from scenarios.text import clean
    from tui.gameday.seat import MALFORMED_HOST_FRAME
    from tui.widgets.log_buffer import LogBuffer

    seat = RemoteSession("127.0.0.1", 9, "t", "tloc", "bo")  # never connected: the frame alone
    hostile = "\x1b]0;owned\x07\x1b[2Jx\r\x9b1m\u202e"
    fields = ("level", "service", "version", "zone", "instance")
    seat._apply_state(log_frame(**dict.fromkeys(fields, hostile), message=hostile, trace_id="ab" * 16))
    (record,) = seat.logs()
    assert all(getattr(record, name) == clean(hostile) == "x " for name in fields)
    buffer = LogBuffer()
    buffer.extend(seat.log_tail(0)[0])
    row = buffer.line(buffer.end - 1)
    assert row.isprintable() and "owned" not in row and row.endswith("trace=" + "ab" * 16), repr(row)
    with pytest.raises(MALFORMED_HOST_FRAME):  # ids are hex: one that is not is a malformed frame
        seat._apply_state(log_frame(trace_id=hostile))


@pytest.fixture(scope="module")
def views_payload():
    """A played session's views as a host sends them (JSON and back), with every list non-empty."""
    from tests.tui.helpers import SCENARIO, play_reference_solution
    from tui.gameday.feed import SeatFeed
    from tui.session import LocalSession

    session = LocalSession.start(SCENARIO, 1)
    play_reference_solution(session)
    return session, json.loads(json.dumps(SeatFeed._views(session)))


def test_views_decode_to_what_the_host_holds(views_payload):
    session, payload = views_payload
    views = RemoteSession._decode_views(payload)
    assert views["services"] == session.services()
    assert views["instances"] == session.instances()
    assert views["changes"] == session.change_log()
    assert views["alerts"] == session.alert_list(True)
    assert views["pages"] == session.pages()
    assert views["timeline"] == session.timeline()
    assert views["incident"] == session.incident_view()
    assert list(views["incidents"]) == list(session.incidents())
    assert views["messages"] == session.messages()
    assert views["flags"] == session.flags()
    assert views["sli"] == {k: v for k, v in session.sli_status().items()}


WRONG_TYPES = {
    "a dict for a service's name": ("services", 0, "name", {"[b]": 1}),
    "a list for an instance's zone": ("instances", 0, "zone", ["a"]),
    "a word for an alert's value": ("alerts", 0, "value", "high"),
    "a dict for a page's time": ("pages", 0, "t", {"t": 1}),
    "a list for a timeline event's text": ("timeline", 0, "text", [1, 2]),
    "a dict for a message's sender": ("messages", 0, "sender", {}),
}
A_MESSAGE = {"t": 60.0, "sender": "support", "channel": "#incident", "text": "customers see errors"}


@pytest.mark.parametrize("name", list(WRONG_TYPES))
def test_a_view_field_of_the_wrong_type_is_malformed_where_it_is_read(views_payload, name):
    """Not later, on a screen: a dict where a name goes would reach the trainee as a raw dict."""
    import copy

    from tui.gameday.seat import MALFORMED_HOST_FRAME

    key, index, field, value = WRONG_TYPES[name]
    payload = copy.deepcopy(views_payload[1])
    payload["messages"].append(dict(A_MESSAGE))
    RemoteSession._decode_views(payload)  # well formed until the one field changes
    assert field in payload[key][index], f"{key}[{index}] has no {field}: {sorted(payload[key][index])}"
    payload[key][index][field] = value
    with pytest.raises(MALFORMED_HOST_FRAME):
        RemoteSession._decode_views(payload)


@pytest.mark.parametrize(
    "part, value",
    [
        ("sli", {"service": "checkout"}),
        ("sli", {"service": "checkout", "availability": NAN, "objective": 0.999, "breaching": False}),
        ("flags", {"new-cart": "sometimes"}),
        ("incident", {"state": 3}),
        ("data", {"databases": [{"service": "db", "primary": None, "hosts": 3, "backups": []}]}),
        ("data", {"reconnects": [{"service": "gateway", "clients_away": 0.5}]}),
        ("data", {"classes": [{"class": "x", "priority": 1, "shed_pct": 0, "rate": NAN, "error_ratio": 0}]}),
        ("data", {"buffers": [{"from": {"[b]": 1}, "to": "b", "messages": 3}]}),
    ],
)
def test_a_view_of_the_wrong_shape_is_malformed(views_payload, part, value):
    from tui.gameday.seat import MALFORMED_HOST_FRAME

    payload = {**views_payload[1], part: value}
    with pytest.raises(MALFORMED_HOST_FRAME):
        RemoteSession._decode_views(payload)


@pytest.mark.parametrize("ref", ["db-failover-lost-writes", "reconnect-storm", "backbone-withdrawn-dns-unreachable"])
def test_a_hosts_data_status_decodes_to_what_it_holds(ref):
    """Databases, classes, waves, name caches and buffers as the dashboards read them on a seat."""
    from tui.session import LocalSession

    session = LocalSession.start(ref, seed=1, journal=False)
    session.sim.run_until(900)
    payload = {**json.loads(json.dumps(_views_of(session))), "data": json.loads(json.dumps(session.data_status()))}
    assert RemoteSession._decode_views(payload)["data"] == session.data_status()


def _views_of(session):
    from tui.gameday.feed import SeatFeed

    return SeatFeed._views(session)


def _state_frame(views: dict) -> dict:
    """A well-formed last state frame of a run: the clock, who this seat is, one room line."""
    you = {"seat": "tloc:bo", "role": "tloc", "title": "TLOC", "allowed": ["restart"], "on_call": None}
    line = {"n": 1, "t": 12.0, "seat": "imoc:ann", "who": "ann (IMOC)", "kind": "action", "text": "ack"}
    head = {"type": "state", "full": False, "logs": [], "traces": [], "series": {}, "views": views}
    return head | {"now": 12.0, "speed": 1.0, "finished": False, "ended": False, "you": you, "room": [line]}


STATE_WRONG = {
    "a clock that is a word": ("now", "soon"),
    "a clock past any game": ("now", 1e300),
    "a negative speed": ("speed", -5.0),
    "a room line without its number": ("room", [{"t": 1.0, "seat": "a:b", "who": "b", "kind": "k", "text": "x"}]),
    "a room line whose text is a dict": (
        "room",
        [{"n": 2, "t": 1.0, "seat": "a:b", "who": "b", "kind": "k", "text": {}}],
    ),
    "a seat whose rights are a number": ("you", {"seat": "tloc:bo", "role": "tloc", "allowed": 5}),
    "a series of another kind": ("series", {"profiles": {}}),
}


@pytest.mark.parametrize("name", list(STATE_WRONG))
def test_a_state_frame_of_the_wrong_shape_is_malformed(views_payload, name):
    """The clock, the seat and the room's lines are checked where the frame is read, before any is kept."""
    from tui.gameday.seat import MALFORMED_HOST_FRAME

    seat = RemoteSession("127.0.0.1", 9, "t", "tloc", "bo")  # never connected: the frame alone
    seat._apply_state(_state_frame(views_payload[1]))  # well formed until one field changes
    assert seat.now == 12.0 and seat.room[-1]["text"] == "ack"
    key, value = STATE_WRONG[name]
    with pytest.raises(MALFORMED_HOST_FRAME):
        seat._apply_state({**_state_frame(views_payload[1]), key: value})
    assert seat.now == 12.0  # nothing of the bad frame was kept


@pytest.mark.parametrize(
    "key, value",
    [("resume", {"panel": "logs", "messages_read": "many"}), ("role", {"[b]": 1}), ("allowed", "everything")],
)
def test_a_welcome_of_the_wrong_shape_is_malformed(views_payload, key, value):
    from tui.gameday.protocol import view_payload
    from tui.gameday.seat import MALFORMED_HOST_FRAME

    session = views_payload[0]
    welcome = {
        "type": "welcome",
        "allowed": ["restart"],
        "role": "tloc",
        "seat": "tloc:bo",
        "resume": {"panel": "logs", "messages_read": 3},
        "briefing": json.loads(json.dumps(view_payload(session.briefing()))),
        "runbooks": json.loads(json.dumps(view_payload(session.runbooks()))),
    }
    seat = RemoteSession("127.0.0.1", 9, "t", "tloc", "bo")
    seat._welcome(welcome)
    assert seat.resume == {"panel": "logs", "messages_read": 3}
    with pytest.raises(MALFORMED_HOST_FRAME):
        seat._welcome({**welcome, key: value})
