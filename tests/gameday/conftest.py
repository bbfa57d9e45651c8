"""Fixtures: a game-day host on an ephemeral loopback port, clock driven by the test."""

from __future__ import annotations

import asyncio

import pytest

from tui.gameday.host import GameHost
from tui.gameday.seat import RemoteSession


@pytest.fixture
async def host(tmp_path):
    """A host of checkout-oom-leak (seed 1), journalling under tmp_path, clock driven by the test."""
    game = GameHost.start_session("checkout-oom-leak", 1, directory=tmp_path, port=0, clock=False)
    await game.start()
    yield game
    await game.stop()


async def join(host: GameHost, role: str, name: str, **kwargs) -> RemoteSession:
    """A seat connected to ``host`` (the blocking connect runs off the host's loop)."""
    seat = RemoteSession("127.0.0.1", host.port, kwargs.pop("token", host.token), role, name, **kwargs)
    return await asyncio.to_thread(seat.connect)


async def settle(host: GameHost, seat: RemoteSession | None = None) -> None:
    """Push the host's state and let the seats' reader threads take it in."""
    await host.push_all()
    await host.drained()  # each seat's writer sends on its own: wait until they all have
    for _ in range(100):
        await asyncio.sleep(0.01)
        if seat is None or abs(seat.now - host.sim.now) < 1e-9:
            return
