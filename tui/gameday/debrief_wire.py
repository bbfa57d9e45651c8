"""The shapes a seat checks a host's debrief and a mentor's hidden truth against before any screen reads them.

The :class:`tui.port.Debrief` carries the hidden truth as the scenario's own fields (``dict[str, Any]``:
a fault's fields vary with its type), so checking it against the dataclass alone lets through a trap whose
``match`` is a word, an incident that is a number or a NaN error budget, and the debrief screen then fails
or shows it. Here each part the screens read has its type: what they only show as ``name=value`` pairs
(a fault, a reference step, a trap's match) may hold any JSON value, since
:mod:`simulator.reports.truth_words` spells out whatever it is. Extra keys are allowed (a host of a later
version may send more); numbers must be finite.
"""

from __future__ import annotations

from typing import Any, Required

from pydantic import TypeAdapter
from typing_extensions import TypedDict

from tui.gameday.seat_wire import WIRE, Count, Moment


class RootCauseWire(TypedDict, total=False):
    """The root cause as the debrief and the mentor show it."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    category: str
    service: str
    summary: str
    five_whys: list[str]
    red_herrings: list[str]


class TrapWire(TypedDict, total=False):
    """A trap: the action it matches (shown as its fields) and why it hurts."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    match: Required[dict[str, Any]]
    why: str


class StepWire(TypedDict, total=False):
    """A reference step: when and which action (its other fields are shown as they are)."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    at: str
    action: Required[str]


class ActionItemWire(TypedDict, total=False):
    """One of the postmortem's action items."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    priority: str | None
    action: str
    owner: str | None


class PostmortemWire(TypedDict, total=False):
    """The scenario's postmortem notes the debrief lists."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    went_well: list[str]
    lessons: list[str]
    action_items: list[ActionItemWire]


class MomentWire(TypedDict):
    """A seat's words at a moment: an observer's root-cause guess, a mentor's flag."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    t: Moment
    seat: str
    text: str


class _IncidentFields(TypedDict, total=False):
    """What the report's and the truth's incidents both carry."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    number: Required[Count]  # shown as "#N from HH:MM:SS": without it the line read "#None from 00:00:00"
    alerts: list[str]
    acknowledgement: str
    acknowledgement_said: str | None
    severity_declared: str | None
    severity_assessed: str | None
    status: str
    roles: dict[str, str | None]


class ReportIncidentWire(_IncidentFields, total=False):
    """One incident as the report carries it (simulator.incident.incidents.incident_entries)."""

    opened_at_s: Moment


class IncidentWire(_IncidentFields, total=False):
    """One incident of the session as the debrief's incidents list reads it."""

    opened_at: Required[Moment]


class TruthWire(TypedDict, total=False):
    """The rest of the hidden truth, as far as the debrief reads it."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    acknowledgement: str
    incidents: list[IncidentWire]
    root_cause_guesses: list[MomentWire]


class ImocWire(TypedDict, total=False):
    """The incident commander's part of a game day's score (simulator.incident.scoring.role_parts)."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    seats: Required[list[str]]
    status_updates: Required[int]
    longest_silence_s: Moment | None
    escalations: Required[int]
    severity_set: Required[bool]
    roles_assigned: Required[int]
    resolved: Required[bool]
    hands_on: Required[list[str]]


class TlocWire(TypedDict, total=False):
    """The operations lead's part of a game day's score."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    seats: Required[list[str]]
    hypotheses: Required[int]
    notes: Required[int]
    mitigations: Required[list[str]]
    first_mitigation_after_impact_s: Moment | None


class RolesWire(TypedDict, total=False):
    """Each game-day role's part; other roles name their seats."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    imoc: ImocWire
    tloc: TlocWire


class ReportWire(TypedDict, total=False):
    """The report's figures (the dataclass checks their types; here they must also be finite)."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    ttd_s: Moment | None
    tta_s: Moment | None
    ttm_s: Moment | None
    ttr_s: Moment | None
    error_budget_burned_pct: float
    ended_at_s: Moment
    par: dict[str, Moment]
    impact_avoided_pct: float | None
    roles: RolesWire
    incidents: list[ReportIncidentWire]


class DebriefWire(TypedDict, total=False):
    """The debrief frame's parts the screens read beyond what :class:`tui.port.Debrief` types."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    report: Required[ReportWire]
    root_cause: Required[RootCauseWire]
    faults: Required[list[dict[str, Any]]]
    solution: Required[list[StepWire]]
    traps: Required[list[TrapWire]]
    postmortem: Required[PostmortemWire]
    truth: TruthWire
    mentor_flags: list[MomentWire]


class MentorTruthWire(TypedDict, total=False):
    """A mentor's hidden truth (tui.gameday.mentor.mentor_truth), as its truth view reads it."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    root_cause: Required[RootCauseWire]
    faults: Required[list[dict[str, Any]]]
    traps: Required[list[TrapWire]]
    solution: Required[list[StepWire]]


DEBRIEF_WIRE: TypeAdapter[DebriefWire] = TypeAdapter(DebriefWire)
MENTOR_TRUTH_WIRE: TypeAdapter[MentorTruthWire] = TypeAdapter(MentorTruthWire)


def check_debrief(payload: Any) -> None:
    """Raise ValidationError (a ValueError) when a debrief frame's parts are not of the shapes screens read."""
    DEBRIEF_WIRE.validate_python(payload, strict=False)


def check_mentor_truth(payload: Any) -> dict[str, Any]:
    """The mentor's hidden truth once checked (ValidationError when malformed); the payload as sent."""
    MENTOR_TRUTH_WIRE.validate_python(payload)
    return payload
