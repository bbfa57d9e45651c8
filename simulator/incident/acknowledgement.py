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
