"""The incident wing: what the trainee *does* and how it is judged.

Owns the incident process state (``process``: severity, roles, hypotheses, the SLI tracker), the
session's incidents (``incidents``: alerts grouped, each with severity, roles and status), the
action dispatcher (``actions``), the resolution judge (``resolution``) and the score (``scoring``).

May import: ``scenarios``, ``simulator.views``, ``simulator.world`` and ``simulator.telemetry`` (not the
diagnostics wing). Actions reach the session through ``actions.ActionSession``, a Protocol the
``Simulation`` satisfies; the judge and the score get the objects they read. ``__all__`` below is the
wing's public face.
"""

from simulator.incident.acknowledgement import WORDING as ACK_WORDING
from simulator.incident.acknowledgement import acknowledgement as acknowledgement_of
from simulator.incident.actions import ActionDispatcher, responder
from simulator.incident.incidents import (
    GROUP_WINDOW_SECONDS,
    INCIDENT_ROLES,
    STATUSES,
    assessed_severity,
    group_incidents,
    incident_entries,
)
from simulator.incident.process import IncidentState, SliTracker
from simulator.incident.resolution import ResolutionJudge
from simulator.incident.scoring import Report, impact_avoided_text

__all__ = [
    "responder",
    "ActionDispatcher",
    "IncidentState",
    "Report",
    "ResolutionJudge",
    "SliTracker",
    "ACK_WORDING",
    "acknowledgement_of",
    "impact_avoided_text",
    "GROUP_WINDOW_SECONDS",
    "INCIDENT_ROLES",
    "STATUSES",
    "assessed_severity",
    "group_incidents",
    "incident_entries",
]
