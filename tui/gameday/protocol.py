"""The game-day wire protocol: one JSON object per line, validated with pydantic on both ends.

Seat -> host frames are small (hello, act, look, guess, end, profile, profile_get, and a mentor's
whisper and flag) and capped at
``MAX_SEAT_FRAME`` bytes; every field has a type and a size limit (no free-form field reaches the
journal: a look names one of ``LOOK_KINDS`` with the few details in :class:`LookDetail`, an action is a
flat mapping of bounded scalars that the action vocabulary then validates), numbers are finite and
nesting is shallow. Anything malformed, oversized or of the wrong version is refused with a reason.
Host -> seat frames carry only the view records of :mod:`simulator.views`, profiles and dumps
of instances, and :class:`tui.port.Briefing` (through :func:`view_payload`, which refuses any other
type), and the :class:`tui.port.Debrief` only once the session has ended: the hidden truth has no way
onto the wire before the debrief, except to a mentor seat of a game day hosted with ``--mentor`` (its
welcome carries :func:`tui.gameday.mentor.mentor_truth`; reverse shadow).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from typing import (
    Annotated,
    Any,
    Literal,
    Required,  # pydantic needs these on Python < 3.12
    TypeVar,
)

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from simulator.diagnostics import (
    CpuProfile,
    CrashReport,
    HeapProfile,
    HeapSite,
    ProfileRequest,
    ThreadDump,
    ThreadGroup,
)
from simulator.views import (
    ActionResult,
    AlertView,
    ChangeRecord,
    Compression,
    HypothesisView,
    IncidentRecord,
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
    ToolStatus,
    Trace,
)
from tui.gameday.debrief_wire import check_debrief
from tui.port import Briefing, Debrief

VERSION = 1
"""Protocol version; a seat speaking another one is refused."""
MAX_SEAT_FRAME = 16 * 1024
"""Largest frame a seat may send, in bytes (a note or a hypothesis fits many times over)."""
MAX_HOST_FRAME = 64 * 1024 * 1024
"""Largest frame a seat accepts from the host (state frames stay under a megabyte: see feed.py)."""
ROLES = ("imoc", "tloc", "ops", "scribe", "observer", "mentor")
"""Roles a seat may sit in (tui.gameday.roles says what each may do)."""
ONCALL = ("primary", "secondary")
"""On-call rotations a seat may hold in a game day (the escalation policy pages them in order)."""
MAX_TEXT = 2000
"""Longest text field of an action (a note, a status update, a hypothesis), in characters."""
MAX_WORD = 200
"""Longest short field (a service, an instance, a flag, a log query, an evidence reference)."""
MAX_FIELDS = 16
"""Most fields in an action (the widest action of the vocabulary has six)."""
MAX_EVIDENCE = 20
"""Most evidence references on one hypothesis."""
MAX_ID = 2**53
"""Largest request id (what a JSON number holds exactly)."""
LOOK_KINDS = ("console", "panel", "metric", "trace", "runbook", "log_query")
"""What a seat may say it looked at; the host's own looks (guess, profile, clock, checkpoint) are its alone."""

Word = Annotated[str, StringConstraints(max_length=MAX_WORD)]
RequestId = Annotated[int, Field(ge=0, le=MAX_ID)]
MAX_NUMBER = 1e15
"""Largest magnitude of a number in an action (the vocabulary's own bounds are far below it)."""


def _action_value(value: Any) -> Any:
    """One field of an action, checked for type and size before the vocabulary reads it."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_ID:
            raise ValueError(f"a number is at most {MAX_ID:,} in size")
        return value
    if isinstance(value, float):
        if abs(value) > MAX_NUMBER:
            raise ValueError(f"a number is at most {MAX_NUMBER:g} in size")
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"a text has at most {MAX_TEXT} characters")
        return value
    if isinstance(value, list) and len(value) <= MAX_EVIDENCE:
        if all(isinstance(v, str) and len(v) <= MAX_WORD for v in value):
            return value
        raise ValueError(f"a list holds strings of at most {MAX_WORD} characters")
    if isinstance(value, list):
        raise ValueError(f"a list holds at most {MAX_EVIDENCE} items")
    raise ValueError("an action's field is a text, a number, true/false, null or a list of texts")


ActionValue = Annotated[Any, AfterValidator(_action_value)]
"""One field of an action: a scalar, or a short list of references (a hypothesis's evidence)."""


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
    role: Literal["imoc", "tloc", "ops", "scribe", "observer", "mentor"]
    """The seat's incident role (a seat rejoining with its ``seat_token`` gets its current role back)."""
    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.@-]+$")
    """Who sits there (letters, digits, _ . @ -)."""
    spectator: bool = False
    """A read-only screen for the room (the projector): never acts, never guesses."""
    seat_token: str | None = Field(default=None, min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    """The seat's own token from its first welcome: rejoining with it gives back role, view and unread state."""
    on_call: Literal["primary", "secondary"] | None = None
    """The on-call rotation this seat holds: pages go to the primary, then to the secondary by the policy."""


class Act(Frame):
    """Take an action of the vocabulary (the host validates it against the vocabulary and the role)."""

    type: Literal["act"]
    id: RequestId
    """Echoed in the result, so the seat can match it."""
    action: Annotated[dict[Annotated[str, StringConstraints(max_length=40)], ActionValue], Field(max_length=MAX_FIELDS)]
    """The action as the vocabulary spells it, e.g. {"action": "ack"}."""


class LookDetail(Frame):
    """The details a look may carry (each optional): what the debrief's investigation path reads."""

    name: Word | None = None
    """The panel opened (panel)."""
    service: Word | None = None
    metric: Word | None = None
    split: Word | None = None
    window: Word | None = None
    trace_id: Word | None = None
    level: Word | None = None
    text: Word | None = None
    """The log query's text (log_query)."""


class Look(Frame):
    """What the seat looked at (journalled, as this seat's look, for the debrief's investigation path)."""

    type: Literal["look"]
    what: Literal["console", "panel", "metric", "trace", "runbook", "log_query"]
    detail: LookDetail = Field(default_factory=LookDetail)


class Whisper(Frame):
    """A mentor's hint or comment, delivered to the trainee seats only (reverse shadow)."""

    type: Literal["whisper"]
    text: str = Field(min_length=1, max_length=500)


class FlagMoment(Frame):
    """A mentor marks this moment for the debrief, where it stands beside the timeline."""

    type: Literal["flag"]
    text: str = Field(min_length=1, max_length=500)


class Guess(Frame):
    """An observer's guess of the root cause, shown in the debrief."""

    type: Literal["guess"]
    text: str = Field(min_length=1, max_length=500)


class EndNow(Frame):
    """Ask to end the incident now (the IMOC calls time)."""

    type: Literal["end"]
    id: RequestId


class TakeProfile(Frame):
    """Start a profile or dump of an instance (it takes simulated time; the host journals it as a look)."""

    type: Literal["profile"]
    id: RequestId
    kind: Literal["cpu", "heap", "threads", "crash"]
    instance: str = Field(min_length=1, max_length=128)
    seconds: float = Field(default=30.0, ge=1.0, le=600.0)
    """Window of a CPU profile (the other kinds take a fixed time)."""


class GetProfile(Frame):
    """Ask how a profile this seat took is doing (its result once its window has ended)."""

    type: Literal["profile_get"]
    id: RequestId
    request: int = Field(ge=1, le=MAX_ID)
    """The request id the host gave when the profile was started."""


ReportText = Annotated[str, StringConstraints(min_length=1, max_length=400)]


class StatusReport(Frame):
    """Status to the IMOC: a structured report from an engineer (journalled as the seat's note)."""

    type: Literal["report"]
    id: RequestId
    impact: ReportText
    """What users see now, as far as this seat knows."""
    doing: ReportText
    """What this seat is doing about it."""
    need: Annotated[str, StringConstraints(max_length=400)] = ""
    """What this seat needs from the IMOC (empty: nothing)."""
    next: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    """When the next report comes (e.g. "in 15 min")."""


class ReadUpTo(Frame):
    """The seat has read the room's messages up to this count (its unread state, kept for a rejoin)."""

    type: Literal["read"]
    messages: int = Field(ge=0, le=MAX_ID)


SeatFrameType = (
    Hello | Act | Look | Guess | EndNow | TakeProfile | GetProfile | Whisper | FlagMoment | StatusReport | ReadUpTo
)
SeatFrame = Annotated[SeatFrameType, Field(discriminator="type")]
SEAT_FRAME = TypeAdapter(SeatFrame)


class FrameError(ValueError):
    """A frame that cannot be accepted; the message is the reason sent back."""


MAX_DEPTH = 8
"""Deepest nesting of arrays and objects in a frame (the deepest real frame has three levels)."""


def _no_constant(name: str) -> float:
    raise FrameError(f"{name} is not a number a frame may carry")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as infinity
        raise FrameError(f"{text[:40]} is not a finite number")
    return value


def _depth(line: bytes) -> int:
    """How deeply arrays and objects nest in ``line`` (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in line:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _where(loc: tuple) -> str:
    # A location may name a key the seat sent: keep it short (it is echoed back and shown as plain text).
    return ".".join(str(p)[:40] for p in loc)


def parse_seat_frame(line: bytes) -> SeatFrameType:
    """Validate one line from a seat (FrameError with the reason when it cannot be accepted)."""
    if len(line) > MAX_SEAT_FRAME:
        raise FrameError(f"frame of {len(line)} bytes is over the {MAX_SEAT_FRAME}-byte limit")
    # Checked before parsing: json.loads recurses once per level (a 16 KB frame of "[" overflows it).
    if line.count(b"[") + line.count(b"{") > MAX_DEPTH and _depth(line) > MAX_DEPTH:
        raise FrameError(f"frame nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
    except FrameError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # ValueError: bad JSON, a 5000-digit int
        raise FrameError(f"not a JSON object: {str(exc)[:120]}") from exc
    if not isinstance(data, dict):
        raise FrameError("a frame must be a JSON object")
    try:
        return SEAT_FRAME.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FrameError(f"malformed frame: {_where(first['loc'])}: {first['msg']}") from exc


class Encoded:
    """A part of a frame encoded as JSON once, for the many frames that carry it unchanged (the quiet
    run's samples before t=0: the same ~10^5 values in every joining seat's snapshot). :func:`encode`
    writes it in place; it is only ever built from JSON-ready data."""

    __slots__ = ("text",)

    def __init__(self, value: Any) -> None:
        self.text = json.dumps(value, separators=(",", ":"), allow_nan=True)


_SLOT = "\x00encoded\x00"
_SLOT_JSON = json.dumps(_SLOT)
"""What an :class:`Encoded` part is first written as, then replaced by (in the order they were met)."""


def encode(frame: dict[str, Any] | Frame) -> bytes:
    """One frame as a line of JSON."""
    body = frame.model_dump(mode="json") if isinstance(frame, Frame) else frame
    parts: list[str] = []

    def slot(value: Any) -> str:
        if type(value) is not Encoded:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        parts.append(value.text)
        return _SLOT

    text = json.dumps(body, separators=(",", ":"), allow_nan=True, default=slot)
    if parts:
        pieces = text.split(_SLOT_JSON)
        if len(pieces) == len(parts) + 1:
            text = "".join(p for pair in zip(pieces, [*parts, ""], strict=True) for p in pair)
        else:  # a string of the frame's own reads as a slot: encode the parts again, in place
            text = json.dumps(body, separators=(",", ":"), allow_nan=True, default=lambda v: json.loads(v.text))
    return text.encode() + b"\n"


# --- host -> seat: view records only ----------------------------------------------------------

VIEW_TYPES: tuple[type, ...] = (
    ActionResult,
    AlertView,
    Briefing,
    ChangeRecord,
    HypothesisView,
    IncidentRecord,
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
    ToolStatus,
    Compression,
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


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types a payload carries as they are (exactly these: a subclass takes the general path)."""


@functools.cache
def _view_fields(cls: type) -> tuple[str, ...] | None:
    """The field names of the view dataclass ``cls`` (None: not a dataclass, or not a view)."""
    if not dataclasses.is_dataclass(cls) or not issubclass(cls, VIEW_TYPES):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


def view_payload(value: Any) -> Any:
    """A SessionPort view as JSON-ready data; any other record type is a programming error.

    A state frame carries thousands of records (a thousand log lines, their fields): the common types
    are told apart by ``type(value)`` first, a view's field names are looked up once per class, and
    anything else takes the general path below (same answers, same errors).
    """
    cls = type(value)
    if cls in _PLAIN:
        return value
    if cls is list or cls is tuple:
        return [view_payload(v) for v in value]
    names = _view_fields(cls)
    if names is not None:
        return {name: view_payload(getattr(value, name)) for name in names}
    return _general_payload(value)


def _general_payload(value: Any) -> Any:
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
# A seat may be pointed at any address: every record a host sends is validated against its dataclass
# (pydantic, lax mode: lists become tuples, "3" becomes 3 for an int field, a dict is never a string),
# so a malformed frame raises ValidationError (a ValueError) where it is read, not later on a screen.


T = TypeVar("T")


@functools.cache
def _adapter(record: type) -> TypeAdapter:
    return TypeAdapter(record)


def decode(record: type[T], data: Any) -> T:
    """One view record from its wire form, its fields checked against their declared types."""
    return _adapter(record).validate_python(data)


def decode_many(record: type[T], data: Any) -> list[T]:
    """A list of view records from their wire form (ValidationError when it is not a list of them)."""
    return _adapter(list[record]).validate_python(data)


class SliWire(TypedDict, total=False):
    """The SLI status a host sends (simulator.incident.process's ``status``, plus ``no_data_since``); its
    figures finite (the status bar shows them as they come)."""

    __pydantic_config__ = ConfigDict(allow_inf_nan=False)  # type: ignore[misc]

    service: Required[str]
    availability: Required[float]
    objective: Required[float]
    breaching: Required[bool]
    impact_start: float | None
    healthy_for: float
    budget_burned_pct: float
    no_data_since: float | None


def decode_trace(d: dict[str, Any]) -> Trace:
    """A Trace from its wire form."""
    return decode(Trace, d)


def decode_incident(d: dict[str, Any]) -> IncidentView:
    """An IncidentView from its wire form (tuples restored; JSON's string keys back to incident numbers)."""
    return decode(IncidentView, d)


def decode_incident_record(d: dict[str, Any]) -> IncidentRecord:
    """An IncidentRecord from its wire form (tuples restored)."""
    return decode(IncidentRecord, d)


def decode_briefing(d: dict[str, Any]) -> Briefing:
    """A Briefing from its wire form."""
    return decode(Briefing, d)


def decode_profile_request(d: dict[str, Any]) -> ProfileRequest:
    """A ProfileRequest (and its profile or dump, once ready) from its wire form."""
    result = d.get("result")
    if result is not None:
        result = decode(PROFILE_DECODERS[result["kind"]], result)
    return decode(ProfileRequest, {**d, "result": result})


PROFILE_DECODERS = {"cpu": CpuProfile, "heap": HeapProfile, "threads": ThreadDump, "crash": CrashReport}
"""Wire form -> record, by the profile's ``kind``."""


def decode_debrief(d: dict[str, Any]) -> Debrief:
    """A Debrief from its wire form, the parts its screens read checked first (tui.gameday.debrief_wire)."""
    check_debrief(d)
    return decode(Debrief, d)
