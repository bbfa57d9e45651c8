"""The shift wing: a whole on-call shift composed of incident sessions.

Owns the shift plan (which scenarios arrive when, and the noise, tickets and false positives between
them: ``plan``, ``noise``), escalation policies and the P1-P3 severity table (``policy``), the pager
that walks a policy for each page (``pager``), the shift's actions file (``steps``), the ``Shift``
itself, which runs one ``Simulation`` per incident offset in shift time (``shift``), its JSONL journal
(``journal``), headless runs, replays and resumes (``runner``), handoff notes (``handoff``) and the
shift report (``report``).

It composes sessions the way ``session`` composes the world: it may import every wing before it
(``world``, ``telemetry``, ``diagnostics``, ``incident``, ``session``) and the scenario language; it
never imports ``reports`` or textual.
"""

from simulator.shift.difficulty import DIFFICULTIES
from simulator.shift.journal import JournalError
from simulator.shift.plan import MAX_INCIDENTS, MAX_SHIFT_HOURS
from simulator.shift.policy import DEFAULT_POLICY, EscalationPolicy, load_policy
from simulator.shift.report import pace_of, shift_report
from simulator.shift.runner import (
    DEFAULT_HOURS,
    DEFAULT_MAX_INCIDENTS,
    new_shift,
    play_steps,
    replay_shift,
    resume_shift,
    run_shift,
)
from simulator.shift.shift import END_SHIFT_OVER, IncidentRun, Shift
from simulator.shift.steps import HANDOFF_SECTIONS, CloseTicket, HandoffNote, ShiftStep, load_steps

__all__ = [
    "CloseTicket",
    "DEFAULT_HOURS",
    "DEFAULT_MAX_INCIDENTS",
    "DEFAULT_POLICY",
    "DIFFICULTIES",
    "END_SHIFT_OVER",
    "EscalationPolicy",
    "HANDOFF_SECTIONS",
    "HandoffNote",
    "IncidentRun",
    "JournalError",
    "MAX_INCIDENTS",
    "MAX_SHIFT_HOURS",
    "Shift",
    "ShiftStep",
    "load_policy",
    "load_steps",
    "new_shift",
    "pace_of",
    "play_steps",
    "replay_shift",
    "resume_shift",
    "run_shift",
    "shift_report",
]
