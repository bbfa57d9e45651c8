"""Fixtures: a game-day host on an ephemeral loopback port, clock driven by the test."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from tui.gameday import seat as seat_module
from tui.gameday.host import GameHost
from tui.gameday.protocol import encode
from tui.gameday.seat import RemoteSession

PATIENCE = 30.0
"""Seconds a test waits for what the host or a seat does a little later (a frame through a socket, a reader
thread taking it in) before it fails. A count of short sleeps is no bound: on a loaded machine 100 turns of
10 ms pass before a seat's reader thread has run at all; quiet, these waits end in milliseconds."""


def hello(host, role="tloc", name="bo", token=None) -> bytes:
    """A hello frame for ``host`` (its token unless ``token`` is given), as a seat sends it."""
    token = host.token if token is None else token
    return encode({"type": "hello", "version": 1, "token": token, "role": role, "name": name})


async def exchange(
    host, *lines: bytes, until: Callable[[list[dict]], bool] | None = None, listen: float = 0.6
) -> list[dict]:
    """Send raw lines, then read what the host answers until it closes the connection or ``until(frames)``
    holds, and then ``listen`` seconds more (an extra frame right after still shows). Waits for the answers,
    not a fixed time: a loaded machine may take seconds to answer; ``PATIENCE`` bounds a host that never does."""
    reader, writer = await asyncio.open_connection("127.0.0.1", host.port, limit=2**26)
    for line in lines:
        writer.write(line)
    await writer.drain()
    out: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    try:
        while (left := deadline - loop.time()) > 0:
            line = await asyncio.wait_for(reader.readline(), left)
            if not line:
                break
            out.append(json.loads(line))
            if until is not None and until(out):
                deadline = min(deadline, loop.time() + listen)
    except (TimeoutError, ConnectionError):
        pass
    writer.close()
    return out


class Recorder:
    """A seat's connection that hands ``keep`` each frame written to it, as the bytes the seat receives
    (wrap the writer ``GameHost._reply`` is given: the frame is encoded once, as the host does)."""

    def __init__(self, writer: asyncio.StreamWriter, keep: Callable[[bytes], object]) -> None:
        self.writer, self.keep = writer, keep

    def write(self, data: bytes) -> None:
        self.keep(data)
        self.writer.write(data)


@pytest.fixture(autouse=True)
def _patient_seats(monkeypatch):
    """A seat waits ``PATIENCE`` for the host's reply to a request (the product's 10 s ran out on a loaded
    machine: an action came back "not sent"). No test here is about that wait but the one that sets its own."""
    monkeypatch.setattr(seat_module, "REPLY_TIMEOUT", PATIENCE)


@pytest.fixture
async def host(tmp_path):
    """A host of checkout-oom-leak (seed 1), journalling under tmp_path, clock driven by the test."""
    game = GameHost.start_session("checkout-oom-leak", 1, directory=tmp_path, port=0, clock=False)
    await game.start()
    yield game
    await game.stop()


async def join(host: GameHost, role: str, name: str, **kwargs) -> RemoteSession:
    """A seat connected to ``host`` (the blocking connect runs off the host's loop, and waits up to
    ``PATIENCE`` for the first state: the seat's own 10 s ran out on a loaded machine)."""
    seat = RemoteSession("127.0.0.1", host.port, kwargs.pop("token", host.token), role, name, **kwargs)
    return await asyncio.to_thread(seat.connect, PATIENCE)


async def settle(host: GameHost, seat: RemoteSession | None = None) -> None:
    """Push the host's state and let the seats' reader threads take it in."""
    await host.push_all()
    await host.drained()  # each seat's writer sends on its own: wait until they all have
    deadline = time.monotonic() + PATIENCE
    while True:  # the caller checks what it expects (a seat that cannot catch up is a test's to report)
        await asyncio.sleep(0.01)
        if seat is None or abs(seat.now - host.sim.now) < 1e-9 or time.monotonic() > deadline:
            return


async def eventually(condition: Callable[[], bool], patience: float = PATIENCE) -> bool:
    """Wait until ``condition()`` holds, at most ``patience`` seconds of wall time; return whether it held.
    The caller asserts what it expects after it (its message names what was missing)."""
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True
