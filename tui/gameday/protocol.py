"""The game-day wire protocol: one JSON object per line, validated with pydantic on both ends.

Seat -> host frames are small (hello, act, look, guess, end, profile, profile_get) and capped at
``MAX_SEAT_FRAME`` bytes; anything malformed, oversized or of the wrong version is refused with a
reason. Host -> seat frames carry only the view records of :mod:`simulator.views`, profiles and dumps
of instances, and :class:`tui.port.Briefing` (through :func:`view_payload`, which refuses any other
type), and the :class:`tui.port.Debrief` only once the session has ended: the hidden truth has no way
onto the wire before the debrief.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from simulator.diagnostics import (
    CpuProfile,
    CrashReport,
    HeapProfile,
    HeapSite,
    ProfileRequest,
    ThreadDump,
    ThreadGroup,
)
from simulator.incident import Report
from simulator.reports import EvidenceFinding, PathStep, QuestionAnswer
from simulator.views import (
    ActionResult,
    AlertView,
    ChangeRecord,
    HypothesisView,
    IncidentView,
    InstanceView,
    LogRecord,
    MessageView,
    Operation,
    PageView,
    RunbookView,
    ServiceView,
    Span,
    TimelineEvent,
    Trace,
)
from tui.port import Briefing, Debrief

VERSION = 1
"""Protocol version; a seat speaking another one is refused."""
MAX_SEAT_FRAME = 16 * 1024
"""Largest frame a seat may send, in bytes (a note or a hypothesis fits many times over)."""
MAX_HOST_FRAME = 64 * 1024 * 1024
"""Largest frame a seat accepts from the host (a join snapshot carries an hour of metrics)."""
ROLES = ("imoc", "tloc", "observer")


class Frame(BaseModel):
    """Base of every seat -> host frame: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Hello(Frame):
    """The first frame of a connection: who is joining, with which token."""

    type: Literal["hello"]
    version: int
    """Protocol version the seat speaks."""
    token: str = Field(max_length=256)
    """The game day's token, printed by `misfortune host`."""
    role: Literal["imoc", "tloc", "observer"]
    """The seat's incident role."""
    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.@-]+$")
    """Who sits there (letters, digits, _ . @ -)."""
    spectator: bool = False
    """A read-only screen for the room (the projector): never acts, never guesses."""


class Act(Frame):
    """Take an action of the vocabulary."""

    type: Literal["act"]
    id: int
    """Echoed in the result, so the seat can match it."""
    action: dict[str, Any]
    """The action as the vocabulary spells it, e.g. {"action": "ack"}."""


class Look(Frame):
    """What the seat looked at (journalled for the debrief's investigation path)."""

    type: Literal["look"]
    what: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict)


class Guess(Frame):
    """An observer's guess of the root cause, shown in the debrief."""

    type: Literal["guess"]
    text: str = Field(min_length=1, max_length=500)


class EndNow(Frame):
    """Ask to end the incident now (the IMOC calls time)."""

    type: Literal["end"]
    id: int


class TakeProfile(Frame):
    """Start a profile or dump of an instance (it takes simulated time; the host journals it as a look)."""

    type: Literal["profile"]
    id: int
    kind: Literal["cpu", "heap", "threads", "crash"]
    instance: str = Field(min_length=1, max_length=128)
    seconds: float = Field(default=30.0, ge=1.0, le=600.0)
    """Window of a CPU profile (the other kinds take a fixed time)."""


class GetProfile(Frame):
    """Ask how a profile this seat took is doing (its result once its window has ended)."""

    type: Literal["profile_get"]
    id: int
    request: int = Field(ge=1)
    """The request id the host gave when the profile was started."""


SeatFrameType = Hello | Act | Look | Guess | EndNow | TakeProfile | GetProfile
SeatFrame = Annotated[SeatFrameType, Field(discriminator="type")]
SEAT_FRAME = TypeAdapter(SeatFrame)


class FrameError(ValueError):
    """A frame that cannot be accepted; the message is the reason sent back."""


def parse_seat_frame(line: bytes) -> SeatFrameType:
    """Validate one line from a seat (FrameError with the reason when it cannot be accepted)."""
    if len(line) > MAX_SEAT_FRAME:
        raise FrameError(f"frame of {len(line)} bytes is over the {MAX_SEAT_FRAME}-byte limit")
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FrameError(f"not a JSON object: {exc}") from exc
    if not isinstance(data, dict):
        raise FrameError("a frame must be a JSON object")
    try:
        return SEAT_FRAME.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FrameError(f"malformed frame: {where}: {first['msg']}") from exc


def encode(frame: dict[str, Any] | Frame) -> bytes:
    """One frame as a line of JSON."""
    body = frame.model_dump(mode="json") if isinstance(frame, Frame) else frame
    return json.dumps(body, separators=(",", ":"), allow_nan=True).encode() + b"\n"


# --- host -> seat: view records only ----------------------------------------------------------

VIEW_TYPES: tuple[type, ...] = (
    ActionResult,
    AlertView,
    Briefing,
    ChangeRecord,
    HypothesisView,
    IncidentView,
    InstanceView,
    LogRecord,
    MessageView,
    Operation,
    PageView,
    RunbookView,
    ServiceView,
    Span,
    TimelineEvent,
    Trace,
    # Profiles and dumps: measured from the live instance (what a real profiler would show), never
    # from the scenario's fault list, so they are fair game for any seat that may take one.
    ProfileRequest,
    CpuProfile,
    HeapProfile,
    HeapSite,
    ThreadDump,
    ThreadGroup,
    CrashReport,
)
"""The only records a seat receives before the debrief: what SessionPort shows any trainee."""


def view_payload(value: Any) -> Any:
    """A SessionPort view as JSON-ready data; any other record type is a programming error."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not isinstance(value, VIEW_TYPES):
            raise TypeError(f"{type(value).__name__} is not a seat view; seats never receive it before the debrief")
        return {f.name: view_payload(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [view_payload(v) for v in value]
    if isinstance(value, dict):
        return {str(k): view_payload(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} cannot cross the wire")


def debrief_payload(debrief: Debrief) -> dict[str, Any]:
    """The debrief (hidden truth included): sent only once the session has ended."""
    return json.loads(json.dumps(dataclasses.asdict(debrief), default=str))


# --- decoding on the seat ---------------------------------------------------------------------


def _tuples(items: list) -> tuple:
    return tuple(tuple(i) if isinstance(i, list) else i for i in items)


def decode_trace(d: dict[str, Any]) -> Trace:
    """A Trace from its wire form."""
    return Trace(**{**d, "spans": tuple(Span(**s) for s in d["spans"])})


def decode_incident(d: dict[str, Any]) -> IncidentView:
    """An IncidentView from its wire form (tuples restored)."""
    return IncidentView(
        state=d["state"],
        severity=d["severity"],
        roles=d["roles"],
        status_updates=_tuples(d["status_updates"]),
        notes=_tuples(d["notes"]),
        hypotheses=tuple(HypothesisView(**{**h, "evidence": tuple(h["evidence"])}) for h in d["hypotheses"]),
        resolved_at=d["resolved_at"],
        escalations=_tuples(d["escalations"]),
        hints=_tuples(d["hints"]),
    )


def decode_briefing(d: dict[str, Any]) -> Briefing:
    """A Briefing from its wire form."""
    return Briefing(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def decode_profile_request(d: dict[str, Any]) -> ProfileRequest:
    """A ProfileRequest (and its profile or dump, once ready) from its wire form."""
    result = d.get("result")
    if result is not None:
        result = PROFILE_DECODERS[result["kind"]](result)
    return ProfileRequest(**{**d, "result": result})


def _cpu(d: dict[str, Any]) -> CpuProfile:
    return CpuProfile(**{**d, "stacks": tuple((tuple(frames), n) for frames, n in d["stacks"])})


def _heap(d: dict[str, Any]) -> HeapProfile:
    sites = tuple(HeapSite(**{**s, "stack": tuple(s["stack"])}) for s in d["sites"])
    return HeapProfile(**{**d, "sites": sites})


def _threads(d: dict[str, Any]) -> ThreadDump:
    return ThreadDump(**{**d, "groups": tuple(ThreadGroup(**{**g, "stack": tuple(g["stack"])}) for g in d["groups"])})


def _crash(d: dict[str, Any]) -> CrashReport:
    return CrashReport(**{**d, "last_logs": tuple(d["last_logs"]), "stack": tuple(d["stack"])})


PROFILE_DECODERS = {"cpu": _cpu, "heap": _heap, "threads": _threads, "crash": _crash}
"""Wire form -> record, by the profile's ``kind``."""


def decode_debrief(d: dict[str, Any]) -> Debrief:
    """A Debrief from its wire form."""
    return Debrief(
        **{
            **d,
            "report": Report(**d["report"]),
            "timeline": [TimelineEvent(**e) for e in d["timeline"]],
            "investigation": [PathStep(**{**p, "evidence": tuple(p["evidence"])}) for p in d.get("investigation", [])],
            "evidence": [EvidenceFinding(**f) for f in d.get("evidence", [])],
            "questions": [QuestionAnswer(**q) for q in d.get("questions", [])],
            "tags": tuple(d.get("tags", ())),
        }
    )
