"""What the engine refuses before any handler runs: absurd parameters and floods past a session's caps.

Actions parsed from a file, a journal or a seat already went through the vocabulary's field limits;
this is the engine's own check, so an action built any other way (``model_construct``, an older journal,
a bug in a front end) still cannot set an infinite memory limit, scale to a million replicas or fill
memory with notes. A refused action changes nothing and is never on the timeline, so it is never scored.
"""

from __future__ import annotations

import math

from scenarios.language.actions import Action
from scenarios.limits import (
    MAX_ESCALATIONS,
    MAX_EVIDENCE,
    MAX_HYPOTHESES,
    MAX_INJECTED_MESSAGES,
    MAX_MEMORY_MB,
    MAX_NOTES,
    MAX_REPLICAS,
    MAX_RPS,
    MAX_SESSION_ACTIONS,
    MAX_STATUS_UPDATES,
    MAX_TEXT_CHARS,
    MAX_TOTAL_REPLICAS,
)
from simulator.incident.process import IncidentState


def absurd_parameter(action: Action, replicas: dict[str, int]) -> str | None:
    """Why an action's parameters cannot be applied (not finite, negative, beyond a bound), or None."""
    for name, value in _parameters(action):
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            if not math.isfinite(value):
                return f"{name} {value} is not a finite number"
            if value < 0:
                return f"{name} {value:g} is negative"
        elif isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            return f"{name} is {len(value):,} characters long, more than {MAX_TEXT_CHARS:,}"
        elif isinstance(value, list | tuple) and len(value) > MAX_EVIDENCE:
            return f"{name} has {len(value)} items, more than {MAX_EVIDENCE}"
    kind = action.action
    if kind == "scale":
        return _scale_problem(action.service, action.replicas, replicas)
    if kind == "set_memory_limit" and action.limit_mb > MAX_MEMORY_MB:
        return f"a memory limit of {action.limit_mb:g} MB is beyond any machine (at most {MAX_MEMORY_MB:g} MB)"
    if kind == "rate_limit" and action.rps is not None and not 0 < action.rps <= MAX_RPS:
        return f"a rate limit of {action.rps:g} rps must be above 0 and at most {MAX_RPS:g}"
    if kind in ("shed_load", "shed_class") and action.percent > 100:
        return f"cannot shed {action.percent:g}% of requests (at most 100)"
    return None


def _parameters(action: Action) -> list[tuple[str, object]]:
    # ``at`` is where a file scheduled it, not a parameter: the engine applies actions at its own now.
    return [(name, getattr(action, name, None)) for name in type(action).model_fields if name != "at"]


def _scale_problem(service: str, wanted: int, replicas: dict[str, int]) -> str | None:
    if wanted > MAX_REPLICAS:
        return f"{wanted:,} replicas are more than a service may have ({MAX_REPLICAS})"
    total = sum(replicas.values()) - replicas.get(service, 0) + wanted
    if total > max(MAX_TOTAL_REPLICAS, sum(replicas.values())):
        return f"{total:,} instances in all would be more than the system may have ({MAX_TOTAL_REPLICAS:,})"
    return None


def session_cap(action: Action, incident: IncidentState, accepted: int) -> str | None:
    """Why this session takes no more of this kind of action (a cap reached), or None."""
    kind = action.action
    if accepted >= MAX_SESSION_ACTIONS and kind != "resolve":  # a flooded session can still be closed
        return f"this session has reached its limit of {MAX_SESSION_ACTIONS:,} actions"
    caps = {
        "note": (incident.notes, MAX_NOTES, "notes"),
        "status_update": (incident.status_updates, MAX_STATUS_UPDATES, "status updates"),
        "escalate": (incident.escalations, MAX_ESCALATIONS, "escalations"),
    }
    if kind == "hypothesis" and action.op == "add":
        caps["hypothesis"] = (incident.hypotheses, MAX_HYPOTHESES, "hypotheses")
    if kind == "hypothesis" and action.op != "add":
        for h in incident.hypotheses:
            if h.id == action.id and len(h.evidence) + len(action.evidence) > MAX_EVIDENCE:
                return f"hypothesis #{h.id} would have more than {MAX_EVIDENCE} pieces of evidence"
    if kind == "inject" and action.kind == "message":
        caps["inject"] = (incident.messages, MAX_INJECTED_MESSAGES, "messages")
    if kind in caps:
        items, cap, noun = caps[kind]
        if len(items) >= cap:
            return f"this session has reached its limit of {cap:,} {noun}; no more can be added"
    return None
