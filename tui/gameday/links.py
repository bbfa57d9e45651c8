"""One connected seat on the host: its bounded send queue, its rate limit and its strikes.

The host never awaits a seat while serving another: replies and state go into the seat's own queue,
and the seat's own writer task (in :mod:`tui.gameday.host`) delivers them. A seat that stops reading
fills its queue or leaves a frame undelivered for ``SEND_TIMEOUT`` and is dropped with a reason;
state is not queued at all but built when the writer is free, so a slow seat skips to what is current.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tui.gameday.feed import SeatFeed
from tui.gameday.protocol import encode
from tui.gameday.room import SeatRecord

MAX_SEATS = 32
"""Seats at once, spectator screens included; one more is refused (the game day is full)."""
MAX_PENDING = 16
"""Connections at once that have not yet sent a valid hello; more are refused at once."""
RATE = 20.0
"""Frames a second a seat may send, sustained (an honest console sends a few on a key press)."""
BURST = 60.0
"""Frames a seat may send at once above the sustained rate."""
STRIKES = 20
"""Refused frames within ``STRIKE_WINDOW`` after which the seat is disconnected."""
STRIKE_WINDOW = 60.0
BARRED_FOR = 30.0
"""Seconds a seat disconnected for abuse must wait before it may join again."""
MAX_REPLIES = 64
"""Replies waiting for a seat that does not read them; one more and it is dropped."""
SEND_TIMEOUT = 10.0
"""Seconds one frame may wait for a seat to read it before the seat is dropped."""


class SeatGone(Exception):
    """The seat was dropped; its writer stops."""


@dataclass
class FrameBudget:
    """A token bucket: ``RATE`` frames a second sustained, ``BURST`` at once."""

    rate: float = RATE
    burst: float = BURST
    tokens: float = BURST
    last: float | None = None

    def take(self, now: float) -> bool:
        """Spend one frame's token at wall time ``now``; False when the seat is over its rate."""
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass
class SeatLink:
    """One connected seat: who it is, what it has been sent, what waits to be sent."""

    label: str
    role: str
    spectator: bool
    writer: asyncio.StreamWriter
    record: SeatRecord
    """What the host keeps of this seat beyond the connection (role, view, unread, room cursor)."""
    feed: SeatFeed = field(default_factory=SeatFeed)
    debrief_sent: bool = False
    replies: deque[dict[str, Any]] = field(default_factory=deque)
    """Answers to this seat's frames, in order (bounded by ``MAX_REPLIES``)."""
    state_due: bool = True
    """A state frame is owed: built when the writer is free, so it is always the current one."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    budget: FrameBudget = field(default_factory=FrameBudget)
    strikes: deque[float] = field(default_factory=deque)
    task: asyncio.Task | None = None
    """The seat's writer task."""
    busy: bool = True
    """The writer is in a turn (sending); False while it waits for something to send."""
    dropped: str | None = None
    """Why the host dropped the seat (None while connected)."""
    gone: bool = False
    """The connection has ended (the seat left or was dropped): the writer stops."""

    def queue(self, frame: dict[str, Any]) -> bool:
        """Queue a reply; False when the queue is full (the seat is not reading)."""
        if len(self.replies) >= MAX_REPLIES:
            return False
        self.replies.append(frame)
        self.wake.set()
        return True

    def owe_state(self) -> None:
        """Ask the writer for a state frame (one, however many pushes it missed)."""
        self.state_due = True
        self.wake.set()

    def strike(self, now: float) -> bool:
        """Count a refused frame at wall time ``now``; True once the seat is over ``STRIKES`` a window."""
        self.strikes.append(now)
        while self.strikes and self.strikes[0] < now - STRIKE_WINDOW:
            self.strikes.popleft()
        return len(self.strikes) > STRIKES

    def close(self, reason: str, *, reading: bool = True) -> None:
        """Drop the seat with ``reason`` (sent as a fatal refusal); its reader and writer end."""
        if self.dropped is not None:
            return
        self.dropped = reason
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        transport = self.writer.transport
        if not reading:  # it would never read the reason: do not wait on it
            transport.abort()
            return
        try:  # what was already answered goes first (a few small frames), then the reason
            while self.replies:
                self.writer.write(encode(self.replies.popleft()))
            self.writer.write(encode({"type": "refused", "reason": reason, "fatal": True}))
            # Half-close, not close: the seat's reader lingers until the seat closes (see ``linger``).
            if self.writer.can_write_eof():
                self.writer.write_eof()
            else:
                self.writer.close()
        except (OSError, RuntimeError):  # the peer is gone: nothing to wait for
            self.writer.close()
        # The reason waits in the buffer for the seat to read it; a seat that stops reading now must not hold
        # the connection open.
        asyncio.get_running_loop().call_later(SEND_TIMEOUT, transport.abort)


LINGER = 5.0
"""Seconds a closing connection waits for the peer to close after the host's last frame (see ``linger``)."""
MAX_LINGERING = 64
"""Closing connections that may linger at once; past it a connection is closed at once. A flood of
refused connections that never close would otherwise hold a socket and a task each for ``LINGER``
seconds: under such a flood a refusal may be reset away, which is the lesser harm."""


async def linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half-close ``writer``, then read and discard what the peer still sends until it closes (at most
    ``LINGER`` seconds): the lingering close of HTTP servers.

    Closing a socket that holds unread input resets the connection, and the reset throws away whatever the
    kernel had not yet delivered: a seat that sent a burst and was dropped for it lost its refusals and the
    fatal reason (seen under load in ``test_a_seat_over_its_rate_is_refused_then_disconnected``).
    """
    if writer.transport.is_closing():
        return
    with contextlib.suppress(OSError, RuntimeError, TimeoutError, ValueError, asyncio.LimitOverrunError):
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(LINGER):
            while await reader.read(65536):
                pass
