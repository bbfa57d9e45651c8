"""Primary and secondary on call in a game day: the escalation policy pages seats.

Seats join holding a rotation (``misfortune join ... --on-call primary``). Every page of the simulation
walks the game's escalation policy (:mod:`simulator.shift`'s, the same data a shift uses: the default
pages the primary, then after 5 minutes without an acknowledgement the secondary, and once more). The
policy's rotations are filled with the seats that hold them *now*, so a seat that joins late or
changes rotation is paged from the next step on; a level nobody in the room holds is skipped. An
acknowledgement (any seat's ``ack``) stops the walk.

The walk is a pure function of the page's time, its acknowledgement and the simulated clock, so the
host only has to ask after each advance what is due (:meth:`OnCallPager.due`); what it sends is
journalled as the facilitator's look, and the feed shows it to the room.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.shift import DEFAULT_POLICY, EscalationPolicy

ROTATIONS = ("primary", "secondary")
PAGE_LOOK = "oncall_page"
"""Look kind of a page the policy sent to a seat (journalled by the host)."""


@dataclass(frozen=True)
class SeatPage:
    """One notification due: page ``number`` at level ``level`` to the seats ``to`` (empty: skipped)."""

    t: float
    number: int
    alert: str
    level: int
    to: tuple[str, ...]


class OnCallPager:
    """Walks the game's escalation policy for each of the simulation's pages, against the seats on call."""

    def __init__(self, policy: EscalationPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self.sent: set[tuple[int, int]] = set()
        """(page number, step index) already sent on this branch."""

    def reset(self) -> None:
        """A rewind: the branch's pages are walked afresh."""
        self.sent.clear()

    def staffed(self, seats: dict[str, list[str]]) -> EscalationPolicy:
        """The policy with its rotations held by the room's seats (labels by rotation)."""
        on_call = {rotation: [] for rotation in self.policy.on_call}
        for rotation, labels in seats.items():
            on_call[rotation] = list(labels)
        return self.policy.model_copy(update={"on_call": on_call})

    def due(self, pages: list[Any], now: float, seats: dict[str, list[str]]) -> list[SeatPage]:
        """What the policy sends now: every step of an unacknowledged page whose time has come."""
        steps, _ = self.staffed(seats).steps()
        out = []
        for page in pages:
            for index, step in enumerate(steps):
                key = (page.number, index)
                at = page.t + step.offset
                if key in self.sent or at > now:
                    continue
                if page.acked_at is not None and page.acked_at <= at:
                    continue  # acknowledged before this step: the walk stopped
                self.sent.add(key)
                out.append(SeatPage(at, page.number, page.alert, step.level, step.who))
        return out
