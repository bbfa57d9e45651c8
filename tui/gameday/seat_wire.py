"""What a seat checks of a host's welcome and state frames beyond the view records.

The view records (services, alerts, logs, traces, ...) are checked against their dataclasses where they
are read (tui.gameday.protocol.decode). The rest of a frame was taken as it came: a clock that was a
word reached the status bar's formatting, a room line without its number the message rail, a resume
whose message count was a word the seat's first refresh. Each is a malformed frame here, where it is
read, and the seat says so and rejoins (or refuses to join), never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Required

from pydantic import ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

WIRE = ConfigDict(allow_inf_nan=False)
"""Every figure a host sends is finite (the seat's wire shapes here, in data_wire and debrief_wire): a NaN is a
malformed frame, not a screen reading nan."""
Count = Annotated[int, Field(ge=0, le=10**12)]
Moment = Annotated[float, Field(ge=-(10**9), le=10**9)]
"""A simulated time: finite and bounded (the clock's formatting must not be handed 1e308)."""


class ResumeWire(TypedDict, total=False):
    """Where a rejoining seat was: its panel and how many messages it had read."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    panel: str | None
    messages_read: Count


class WelcomeWire(TypedDict, total=False):
    """The welcome's own fields (its briefing, runbooks and a mentor's truth are checked apart)."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    allowed: Required[list[str]]
    role: Required[str]
    seat: Required[str]
    seat_token: str | None
    resume: ResumeWire | None


class YouWire(TypedDict, total=False):
    """Who this seat is now (the facilitator may reassign it)."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    seat: Required[str]
    role: Required[str]
    title: str
    allowed: Required[list[str]]
    on_call: str | None


class RoomLineWire(TypedDict):
    """One line of the room's feed (tui.gameday.room.FeedEntry.wire)."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    n: Count
    t: Moment
    seat: str
    who: str
    kind: str
    text: str


class StateWire(TypedDict, total=False):
    """A state frame's own fields; its last frame of a run (``more`` unset) carries the clock."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    type: Required[Literal["state"]]
    full: Required[bool]
    more: bool
    now: Moment
    speed: Annotated[float, Field(ge=0, le=10**6)]
    finished: bool
    ended: bool
    you: YouWire | None
    room: list[RoomLineWire]
    logs: Required[list[Any]]
    traces: Required[list[Any]]  # each checked as a Trace where it is read
    series: Required[dict[Literal["service", "split"], dict[str, Any]]]
    views: dict[str, Any]


WELCOME_WIRE: TypeAdapter[WelcomeWire] = TypeAdapter(WelcomeWire)
STATE_WIRE: TypeAdapter[StateWire] = TypeAdapter(StateWire)


def check_welcome(frame: Any) -> None:
    """Raise ValidationError (a ValueError) when a welcome's own fields are not of their shapes."""
    WELCOME_WIRE.validate_python(frame)


def check_state(frame: Any) -> None:
    """Raise ValidationError (a ValueError) when a state frame's own fields are not of their shapes."""
    STATE_WIRE.validate_python(frame)


class ReplyWire(TypedDict, total=False):
    """The host's answer to one of this seat's requests (end, guess, whisper, flag, profile)."""

    __pydantic_config__ = WIRE  # type: ignore[misc]
    type: Required[str]
    id: int
    ok: Required[bool]
    reason: str
    request: dict[str, Any]
    """A profile's request, once accepted (checked as a ProfileRequest where it is read)."""


# A frame addressed to this seat alone: a whisper, a hint, a page ("from" is a keyword).
AddressedWire = TypedDict("AddressedWire", {"t": Moment, "from": str, "text": str})  # noqa: UP013
AddressedWire.__pydantic_config__ = WIRE  # type: ignore[attr-defined]

REPLY_WIRE: TypeAdapter[ReplyWire] = TypeAdapter(ReplyWire)
ADDRESSED_WIRE: TypeAdapter[Any] = TypeAdapter(AddressedWire)


def check_reply(frame: Any) -> ReplyWire:
    """A reply's own fields checked (ValidationError when malformed); an unaccepted one always says why."""
    reply = REPLY_WIRE.validate_python(frame)
    if not reply["ok"] and "reason" not in reply:
        raise ValueError("a refusal without its reason")
    return reply


def addressed(frame: Any) -> tuple[float, str, str]:
    """(t, from, text) of a frame addressed to this seat alone, checked (ValidationError when malformed)."""
    checked = ADDRESSED_WIRE.validate_python(frame)
    return checked["t"], checked["from"], checked["text"]
