"""The shift's pager: every page walks the escalation policy it fired with until someone acknowledges it.

One SimPy process per page (DESIGN.md: escalation timers are things that happen at a time). The page
holds its policy object, so a policy changed later in the shift applies to new pages only.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import simpy

from simulator.shift.policy import EscalationPolicy


@dataclass
class ShiftPage:
    """A page of the shift: from an incident's alert or a false positive. Mutable inside the shift."""

    number: int
    t: float
    title: str
    service: str
    priority: str
    source: str
    """``incident`` (a real incident's alert), ``incident-noise`` (a scenario's own red-herring page) or
    ``false_positive`` (a page between incidents that needs nothing done)."""
    policy: EscalationPolicy
    """The policy it fired with."""
    incident: int | None = None
    sim_page: int | None = None
    """The page's number inside its incident's simulation."""
    acked_at: float | None = None
    acked_by: str | None = None
    notified: list[tuple[float, int, tuple[str, ...]]] = field(default_factory=list)
    """(time, level index, who) each time a level was notified."""
    skipped: list[tuple[float, int]] = field(default_factory=list)
    """(time, level index) of levels with nobody on call."""
    exhausted_at: float | None = None
    """When the policy ran out (every level and repeat) without an acknowledgement."""
    repeats: int = 0
    """How many more times the same alert fired for the same incident (grouped into this page)."""
    stopped: str | None = None
    """Why the escalation stopped without an acknowledgement (downgraded to a ticket)."""

    @property
    def false_positive(self) -> bool:
        """True for a page that needed nothing done."""
        return self.source != "incident"

    @property
    def escalated(self) -> bool:
        """True once the page went past its first notification (a later level, or a repeat)."""
        return len(self.notified) > 1 or any(level > 0 for _, level, _ in self.notified)

    @property
    def open(self) -> bool:
        """Still escalating (not acknowledged, not stopped, not exhausted)."""
        return self.acked_at is None and self.stopped is None and self.exhausted_at is None


class Pager:
    """Sends shift pages and walks each one's policy in the shift's SimPy environment."""

    def __init__(self, env: simpy.Environment, log: Callable[[float, str, str], None]) -> None:
        self.env = env
        self.log = log
        self.pages: list[ShiftPage] = []

    def page(self, at: float, policy: EscalationPolicy, **details) -> ShiftPage:
        """Send a page that fired at shift time ``at`` (now or a moment ago; the walk starts then)."""
        page = ShiftPage(number=len(self.pages) + 1, t=at, policy=policy, **details)
        self.pages.append(page)
        self.env.process(self._walk(page, max(at - self.env.now, 0.0)))
        return page

    def _walk(self, page: ShiftPage, delay: float) -> Generator:
        if delay > 0:
            yield self.env.timeout(delay)
        steps, exhausted = page.policy.steps()
        elapsed = 0.0
        for step in steps:
            if step.offset > elapsed:
                yield self.env.timeout(step.offset - elapsed)
                elapsed = step.offset
            if not page.open:
                return
            if not step.who:
                page.skipped.append((self.env.now, step.level))
                self.log(self.env.now, "page", f"page #{page.number}: level {step.level + 1} skipped (nobody on call)")
                continue
            page.notified.append((self.env.now, step.level, step.who))
            self.log(self.env.now, "page", f"page #{page.number} to {', '.join(step.who)}: {page.title}")
        if exhausted > elapsed:
            yield self.env.timeout(exhausted - elapsed)
        if page.open:
            page.exhausted_at = self.env.now
            self.log(self.env.now, "page", f"page #{page.number}: nobody acknowledged; escalation policy exhausted")

    def ack(self, page: ShiftPage, by: str) -> None:
        """Acknowledge a page: its escalation stops."""
        page.acked_at = self.env.now
        page.acked_by = by
        self.log(self.env.now, "ack", f"page #{page.number} acknowledged by {by}")
