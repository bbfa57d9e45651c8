"""What the room shares, and what the host keeps of each seat across a dropped connection.

The room's feed is the host's feed less what is not the room's business: refusals of strangers and
of the spectator page, observers' guesses and a mentor's whispers and flags. Every seat gets it (who
did what, when, with the result). A :class:`SeatRecord` outlives the connection: a seat that rejoins
with its seat token gets its role, the panel it was on and how many messages it had read.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from tui.gameday.roles import seat_title

ROOM_KINDS = frozenset(
    {"action", "rejected", "refused", "join", "leave", "report", "role", "facilitator", "page", "profile"}
)
"""Feed kinds the seats see; guesses, whispers and flags stay with the facilitator (and the debrief)."""
ROOM_FRAME = 200
"""Most feed lines in one state frame (a rejoining seat gets the last 200)."""
REPORT_PREFIX = "Status to IMOC"
"""How a status report starts in the journal (it is the seat's note): the room debrief counts them."""
FACILITATOR = "facilitator"


@dataclass(frozen=True)
class FeedEntry:
    """One line of the feed: a seat's action, a refusal, a join or leave, a facilitator's move."""

    t: float
    seat: str
    kind: str
    """action, refused, rejected, join, leave, guess, profile, report, role, page, facilitator."""
    text: str
    n: int = 0
    """Its number in the game day (the seats' cursor)."""

    @property
    def public(self) -> bool:
        """The room sees it (a seat's or the facilitator's doing, not a stranger's, not a secret)."""
        return self.kind in ROOM_KINDS and (":" in self.seat or self.seat == FACILITATOR)

    def wire(self) -> dict[str, Any]:
        """As the seats receive it: who by seat and role."""
        return {
            "n": self.n,
            "t": round(self.t, 1),
            "seat": self.seat,
            "who": seat_title(self.seat),
            "kind": self.kind,
            "text": self.text,
        }


@dataclass
class SeatRecord:
    """What the host keeps of one seat for as long as the game day runs."""

    name: str
    role: str
    spectator: bool = False
    on_call: str | None = None
    token: str = ""
    panel: str | None = None
    """The console panel the seat last opened (its view)."""
    messages_read: int = 0
    """How many of the room's messages it had read (its unread state)."""
    room_seen: int = 0
    """The last room feed line it was sent."""

    def __post_init__(self) -> None:
        if not self.token:
            self.token = secrets.token_urlsafe(24)

    @property
    def label(self) -> str:
        """``role:name``: how the journal and the timeline name the seat."""
        return f"{self.role}:{self.name}"


def report_text(impact: str, doing: str, need: str, next_update: str) -> str:
    """A status report to the IMOC as one line of the incident channel."""
    parts = [f"impact: {impact}", f"doing: {doing}"]
    if need:
        parts.append(f"need: {need}")
    parts.append(f"next report: {next_update}")
    return f"{REPORT_PREFIX} — " + "; ".join(parts)


def room_lines(feed: list[FeedEntry], after: int, limit: int = ROOM_FRAME) -> list[dict[str, Any]]:
    """The room's feed lines numbered above ``after``, at most ``limit`` (the newest)."""
    fresh = [e for e in feed if e.n > after and e.public]
    return [e.wire() for e in fresh[-limit:]]
