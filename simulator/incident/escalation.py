"""Escalation gets an answer: whoever is paged joins after a short while and asks for status; an
incident commander also takes command (the incident's IC role, unless the responders named one).

The action dispatcher delivers the answer through the simulation's message mechanism
(``IncidentState.deliver``), as the scenario's own timed messages arrive, so it shows in the console's comms,
the journal's replay and the postmortem timeline alike. Deterministic: a fixed delay per responder.
"""

from __future__ import annotations

from dataclasses import dataclass

REPLY_SECONDS = {"secondary": 120.0, "owner": 240.0, "incident-commander": 180.0}
"""How long each responder takes to join (a team handle answers as an owner does)."""
IMOC_NAMES = ("incident-commander", "imoc", "ic")


@dataclass(frozen=True, slots=True)
class EscalationReply:
    """Who answers an escalation, when (seconds after it), and what they say."""

    delay: float
    sender: str
    text: str
    takes_command: bool = False
    """The responder becomes the incident commander when they join (unless someone was named already)."""


def reply_to(to: str, secondary: str) -> EscalationReply:
    """The answer to ``escalate(to)``; ``secondary`` is the scenario's secondary on-call ("@sam (...)")."""
    who = to.strip().lower()
    if who == "secondary":
        sender = secondary.split()[0] if secondary.strip() else "secondary on-call"
        return EscalationReply(
            REPLY_SECONDS["secondary"],
            sender,
            "Got the page, joining now. Where are we: what is the impact, what have you tried, "
            "and what do you want me to take?",
        )
    if who in IMOC_NAMES:
        return EscalationReply(
            REPLY_SECONDS["incident-commander"],
            "@imoc (incident commander)",
            "IMOC here, I have command. Give me a status: impact, severity, current action and when the "
            "next update goes out.",
            takes_command=True,
        )
    return EscalationReply(
        REPLY_SECONDS["owner"],
        to.strip() or "service owner",
        "Paged in as owner. What are you seeing, since when, and what changed recently?",
    )
