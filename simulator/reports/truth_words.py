"""The hidden truth in words: a fault, a reference step or a trap as the debrief, the mentor and the
facilitator show them.

The hidden truth is the scenario's own fields dumped to JSON (``Simulation.hidden_truth``), so a field
left unset is null and a fault's scope is a nested mapping. Shown as Python formats them, a trainee read
``zone_outage on None``, ``lasts=None`` and ``{'action': 'restart', ...}`` at the end of every game.
Here an unset field is left out, a flag is yes or no, a list is a list of words and a mapping is its own
``name=value`` pairs in parentheses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scenarios.durations import format_clock

FAULT_HEAD = ("type", "service", "onset_s")
"""The fields a fault's line opens with (what, where, when); the rest follow as details."""


def value_words(value: Any) -> str:
    """One field's value in words: numbers as a person writes them, yes/no for a flag, lists and
    mappings spelled out (never ``None``, ``[]`` or a dict's braces)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):  # its fields apart by ";" so a list inside keeps its commas
        inner = fields_words(value, joiner="; ")
        return f"({inner})" if inner else "none"
    if isinstance(value, list | tuple):
        words = [value_words(v) for v in value if v is not None]
        return ", ".join(words) if words else "none"
    return "-" if value is None else str(value)


def fields_words(fields: Mapping[str, Any], skip: tuple[str, ...] = (), sep: str = "=", joiner: str = ", ") -> str:
    """``name=value`` pairs of a mapping, unset (null) and empty fields left out."""
    parts = []
    for name, value in fields.items():
        if name in skip or value is None or (isinstance(value, list | tuple | Mapping) and not value):
            continue
        parts.append(f"{name}{sep}{value_words(value)}")
    return joiner.join(parts)


def fault_words(fault: Mapping[str, Any]) -> str:
    """A fault of the hidden truth: ``zone_outage from 00:05:14 (zone=eu-central-1b, hang=3s)``."""
    head = value_words(fault.get("type") or "fault")
    if fault.get("service") is not None:
        head += f" on {value_words(fault['service'])}"
    onset = fault.get("onset_s")
    if isinstance(onset, int | float) and not isinstance(onset, bool):
        head += f" from {format_clock(onset)}"
    details = fields_words(fault, skip=FAULT_HEAD)
    return f"{head} ({details})" if details else head


def action_words(body: Mapping[str, Any], skip: tuple[str, ...] = ("at", "action"), sep: str = "=") -> str:
    """An action body (a trap's match, a reference step): its kind, then its fields."""
    kind = value_words(body.get("action") or "action")
    details = fields_words(body, skip=skip, sep=sep)
    return f"{kind} {details}" if details else kind
