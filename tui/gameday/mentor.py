"""Reverse shadow: a mentor seat watches the trainee lead, whispers, flags moments, and never acts.

The mentor sits in a game day started with ``misfortune host SCENARIO --mentor`` (``misfortune join ...
--role mentor``). It sees what the trainee sees, plus the hidden truth (root cause, faults, traps and
the reference solution with each step's reason), which only a mentor seat is ever sent. Its whispers
go to the trainee seats alone (IMOC and TLOC, not observers, spectators or other mentors); its flags
mark moments for the debrief, where they stand beside the timeline. Both are journalled as the mentor's
looks, so a resumed or replayed game day keeps them.
"""

from __future__ import annotations

from typing import Any

from scenarios.language.solution import step_notes
from simulator.reports.truth_words import action_words, fault_words, value_words
from simulator.session import Simulation

MENTOR_ROLE = "mentor"
TRAINEE_ROLES = frozenset({"imoc", "tloc", "ops"})
"""Seats a whisper reaches: the ones leading the incident."""
MENTOR_REFUSAL = "a mentor coaches and does not act: W whispers the trainee a hint, M flags this moment for the debrief"
MAX_WHISPERS = 300
"""Whispers one game day may carry (each is a line in the trainee's notifications and the journal)."""
MAX_FLAGS = 200
"""Moments one game day may flag."""
WHISPER_LOOK = "whisper"
FLAG_LOOK = "mentor_flag"
"""Look kinds a mentor's whispers and flags are journalled as (the host's own, never a seat's)."""


def is_trainee(role: str, spectator: bool) -> bool:
    """A seat a mentor's whisper reaches."""
    return role in TRAINEE_ROLES and not spectator


def mentor_truth(sim: Simulation) -> dict[str, Any]:
    """What a mentor sees beyond the trainee's console: the hidden truth, the solution with its reasons."""
    truth = sim.hidden_truth()
    steps = []
    for step in sim.scenario.solution:
        why, looks = step_notes(step)
        body = step.model_dump(mode="json", exclude_none=True)
        steps.append({**body, "why": why or "", "looked_at": [look.panel for look in looks]})
    return {
        "root_cause": truth["root_cause"],
        "faults": truth["faults"],
        "traps": truth["traps"],
        "solution": steps,
        "variant": truth["variant"],
    }


def truth_lines(truth: dict[str, Any]) -> list[str]:
    """The hidden truth as lines of plain text for the mentor's screen."""
    root = truth.get("root_cause") or {}
    lines = [f"Root cause: {root.get('service', '?')} · {root.get('category', '?')}"]
    if root.get("summary"):
        lines.append(str(root["summary"]).strip())
    lines += [f"  why: {w}" for w in root.get("five_whys", [])]
    lines.append("")
    lines.append("Faults:")
    for fault in truth.get("faults", []):
        lines.append("  " + fault_words(fault))
    lines.append("")
    lines.append("Reference solution:")
    for step in truth.get("solution", []):
        what = action_words(step, skip=("at", "action", "why", "looked_at"))
        lines.append(f"  {value_words(step.get('at', ''))} {what}".rstrip())
        if step.get("why"):
            lines.append(f"      {step['why']}")
    lines.append("")
    lines.append("Traps:")
    lines += [f"  {action_words(t.get('match', {}))}: {value_words(t.get('why', ''))}" for t in truth.get("traps", [])]
    return lines
