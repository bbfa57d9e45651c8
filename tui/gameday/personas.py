"""Who the facilitator can write as, with ready messages, and how a typed fault becomes a fault.

Templates ask; they never state a fact about the system (the simulation must not lie: a stakeholder
who says "the database is down" would be telling the room something the simulation may not hold).
The facilitator may also write any sender and text of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from scenarios.durations import parse_duration
from scenarios.language.events import Fault


@dataclass(frozen=True)
class Persona:
    """Someone outside the room who writes in: a stakeholder, a colleague, a vendor."""

    key: str
    sender: str
    channel: str
    templates: tuple[str, ...]


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "stakeholder",
        "@vp-commerce (stakeholder)",
        "chat",
        (
            "Customers are calling. What's the ETA for a fix?",
            "I'm briefing the exec team in 10 minutes: what is the customer impact right now?",
            "Do we need to tell customers anything? Who is writing the status page?",
        ),
    ),
    Persona(
        "support",
        "@support-lead (colleague)",
        "ticket",
        (
            "Support is getting tickets about failed orders. Is this a known incident? What should we tell them?",
            "Can someone confirm whether this affects all regions or only some?",
        ),
    ),
    Persona(
        "colleague",
        "@dana (colleague, on the owning team)",
        "chat",
        (
            "Saw the channel light up. Anything you want me to look at?",
            "Is there anything you want me to hold off on deploying right now?",
        ),
    ),
    Persona(
        "vendor",
        "@account-manager (cloud vendor)",
        "email",
        (
            "Are you seeing anything on your side you would like us to look at (request IDs help)?",
            "We noticed a support case opened by your team; can you share the affected region and times?",
        ),
    ),
)
"""The personas the facilitator writes as, each with a few ready messages (questions, not claims)."""

FAULT_HELP = (
    "TYPE key=value ...  e.g. latency service=payments factor=8  ·  zone_outage zone=eu-west-1b  ·  "
    "memory_leak service=checkout mb_per_min=20  (any fault type of the scenario language)"
)
FAULT = TypeAdapter(Fault)


def persona(key: str) -> Persona:
    """The persona called ``key`` (ValueError listing them)."""
    for p in PERSONAS:
        if p.key == key:
            return p
    raise ValueError(f"no persona {key!r}; personas: {', '.join(p.key for p in PERSONAS)}")


def message_of(text: str) -> tuple[str, str, str]:
    """What the facilitator typed as (sender, text, channel): ``1.0`` is persona 1's first template,
    ``SENDER: TEXT`` anyone's words (ValueError saying how to write it)."""
    pick, dot, which = text.strip().partition(".")
    if dot and pick.isdigit() and which.isdigit():
        if int(pick) >= len(PERSONAS) or int(which) >= len(PERSONAS[int(pick)].templates):
            raise ValueError(f"no template {text.strip()}; personas 0-{len(PERSONAS) - 1}, each with its templates")
        p = PERSONAS[int(pick)]
        return p.sender, p.templates[int(which)], p.channel
    sender, colon, words = text.partition(":")
    if not colon or not sender.strip() or not words.strip():
        raise ValueError("write PERSONA.TEMPLATE (e.g. 0.1) or SENDER: TEXT")
    return sender.strip(), words.strip(), "chat"


def parse_fault(text: str) -> Any:
    """``latency service=payments ms=400`` -> a Fault (ValueError saying what is wrong and how to write it)."""
    words = text.split()
    if not words:
        raise ValueError(f"write a fault as {FAULT_HELP}")
    body: dict[str, Any] = {"type": words[0]}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq or not key:
            raise ValueError(f"{word!r} is not key=value; write a fault as {FAULT_HELP}")
        body[key] = _value(value)
    try:
        return FAULT.validate_python(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "type"
        raise ValueError(f"{where}: {first['msg']}") from None


def _value(text: str) -> Any:
    """A typed value: true/false, a number, a duration, else the text."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) else text  # "inf" and "nan" are words here, never numbers
    if text[:1].isdigit():
        try:
            return parse_duration(text)
        except ValueError:
            pass
    return text
