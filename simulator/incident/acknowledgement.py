"""How the page was acknowledged, in the words the debrief and the postmortem use.

"In time" only when every page was acknowledged before its escalation timer ran out; a page acknowledged
after it escalated, or never, says so (the debrief once said "acknowledged in time" after an escalation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from simulator.views import PageView

Acknowledgement = Literal["no page", "in time", "after escalation", "never"]

WORDING: dict[str, str] = {
    "no page": "no page was sent",
    "in time": "the page was acknowledged in time",
    "after escalation": "the page was acknowledged only after it escalated to the secondary",
    "never": "the page was never acknowledged",
}
"""A clause for each outcome, to be put in a sentence."""


def acknowledgement(pages: Sequence[PageView]) -> Acknowledgement:
    """The worst outcome over ``pages``: never > after escalation > in time."""
    if not pages:
        return "no page"
    if any(p.acked_at is None for p in pages):
        return "never"
    if any(p.escalated_at is not None and p.acked_at >= p.escalated_at for p in pages):  # type: ignore[operator]
        return "after escalation"
    return "in time"


def _outcome(page: PageView) -> Acknowledgement:
    return acknowledgement([page])


def acknowledgement_clause(pages: Sequence[PageView]) -> str:
    """What happened to each page, as a clause: WORDING's when every page went the same way, else page by
    page (the first page acknowledged in time, a later one never: "the page was never acknowledged" would
    tell the trainee they ignored the first)."""
    outcomes = [_outcome(p) for p in pages]
    if len(set(outcomes)) <= 1:
        clause = WORDING[acknowledgement(pages)]
        return clause.replace("the page was", "the pages were", 1) if len(pages) > 1 else clause
    said = {
        "in time": "acknowledged in time",
        "after escalation": "acknowledged only after it escalated",
        "never": "never acknowledged",
    }
    return "; ".join(f"page #{p.number} was {said[o]}" for p, o in zip(pages, outcomes, strict=True))
