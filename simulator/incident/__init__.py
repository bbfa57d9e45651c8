"""The incident wing: what the trainee *does* and how it is judged.

Owns the incident process state (``process``: severity, roles, hypotheses, the SLI tracker), the
action dispatcher (``actions``), the resolution judge (``resolution``) and the score (``scoring``).

May import: ``scenarios``, ``simulator.views``, ``simulator.world`` and ``simulator.telemetry`` (not the
diagnostics wing). Actions reach the session through ``actions.ActionSession``, a Protocol the
``Simulation`` satisfies; the judge and the score get the objects they read. ``__all__`` below is the
wing's public face.
"""

from simulator.incident.acknowledgement import WORDING as ACK_WORDING
from simulator.incident.acknowledgement import acknowledgement as acknowledgement_of
from simulator.incident.actions import ActionDispatcher
from simulator.incident.grouping import incident_summary
from simulator.incident.incidents import GROUP_WINDOW_SECONDS, GroupedIncident, group_incidents
from simulator.incident.process import IncidentState, SliTracker
from simulator.incident.resolution import ResolutionJudge
from simulator.incident.scoring import Report, impact_avoided_text

__all__ = [
    "ActionDispatcher",
    "IncidentState",
    "Report",
    "ResolutionJudge",
    "SliTracker",
    "ACK_WORDING",
    "acknowledgement_of",
    "incident_summary",
    "impact_avoided_text",
    "GROUP_WINDOW_SECONDS",
    "GroupedIncident",
    "group_incidents",
]
