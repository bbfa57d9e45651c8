"""The game-day host: the one authoritative Simulation, served to seats over asyncio TCP.

Seats authenticate with the game day's token, sit in a role (IMOC, TLOC, observer) and act through the
host; everything they do is journalled with their seat name (``role:name``), so `misfortune resume`
and `misfortune replay` bring a killed game day back. The host pushes each seat what SessionPort
shows a trainee (:mod:`tui.gameday.protocol`), never the hidden truth before the debrief. The
facilitator steers the same object in-process: clock, injects, hints, rewind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from time import monotonic
from typing import Any

from pydantic import ValidationError

from scenarios.language.actions import ACTION_ADAPTER, Action, Inject, Note
from scenarios.language.offer import unavailable_actions
from scenarios.text import clean
from simulator.diagnostics import ProfileError, ProfileRequest
from simulator.session import JournalSession, Simulation, SnapshotBook, end_reason_of
from simulator.shift import DEFAULT_POLICY, EscalationPolicy
from simulator.views import ActionResult
from tui.gameday.links import (
    BARRED_FOR,
    MAX_LINGERING,
    MAX_PENDING,
    MAX_SEATS,
    RATE,
    SEND_TIMEOUT,
    STRIKES,
    SeatGone,
    SeatLink,
    linger,
)
from tui.gameday.mentor import (
    FLAG_LOOK,
    MAX_FLAGS,
    MAX_WHISPERS,
    MENTOR_ROLE,
    WHISPER_LOOK,
    is_trainee,
    mentor_truth,
)
from tui.gameday.oncall import PAGE_LOOK, OnCallPager
from tui.gameday.personas import parse_fault
from tui.gameday.protocol import (
    MAX_SEAT_FRAME,
    MAX_TEXT,
    VERSION,
    Act,
    EndNow,
    FlagMoment,
    FrameError,
    GetProfile,
    Guess,
    Hello,
    Look,
    ReadUpTo,
    StatusReport,
    TakeProfile,
    Whisper,
    debrief_payload,
    encode,
    parse_seat_frame,
    view_payload,
)
from tui.gameday.roles import TABLE_ROLES, RoleTable, seat_title, title
from tui.gameday.room import FACILITATOR, FeedEntry, SeatRecord, report_text, room_lines
from tui.gameday.room_debrief import RoomDebrief, room_debrief, room_markdown
from tui.port import SPEEDS, Debrief
from tui.session import CHECKPOINT_EVERY, LocalSession

log = logging.getLogger("misfortune.gameday")

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 7420
PUSH_EVERY = 0.5
"""Wall seconds between state pushes to the seats."""
HELLO_TIMEOUT = 10.0
MAX_STEP = 1.0
MAX_FEED = 1000
"""Lines the facilitator's feed keeps (a flood of refusals must not grow it without bound)."""
FEED_TEXT = 300
"""Longest feed line, in characters (the rest is cut: the journal has the whole record)."""

SEAT_CAPS: dict[str, int] = {
    "actions": 2000,
    "texts": 300,
    "looks": 20_000,
    "guesses": 20,
    "whispers": MAX_WHISPERS,
    "flags": MAX_FLAGS,
}
"""What one seat may add in one session: actions, of which texts (notes, hypotheses, status updates),
looks, and root-cause guesses. Reaching a cap refuses the frame with a message that says so."""
TEXT_ACTIONS = frozenset({"note", "hypothesis", "status_update"})
MAX_GUESSES = 200
"""Root-cause guesses in one game day, all observers together."""

DIAL: dict[str, str] = {
    "easy": "scripted hints come at half their time",
    "normal": "the scenario as written",
    "hard": "scripted hints at 1.5 times their time, a flapping noise alert every 10 minutes",
}
"""The difficulty dial's levels and what each does during play."""
EASY_HINTS = 0.5
HARD_HINTS = 1.5
NOISE_EVERY = 600.0
SEAT_HINT_LOOK = "seat_hint"
DIAL_LOOK = "difficulty"
ROLE_LOOK = "role_change"
TABLE_LOOK = "role_table"
"""Look kinds the host journals a seat's new role and a change of the role table as (the facilitator's)."""


def new_token() -> str:
    """A fresh random game-day token (never starting with "-": `--token -x...` would read as an option)."""
    while (token := secrets.token_urlsafe(18)).startswith("-"):
        pass
    return token


class GameHost:
    """The authoritative simulation, its journal, the seats and the facilitator's controls."""

    def __init__(
        self,
        session: LocalSession,
        token: str | None = None,
        bind: str = LOOPBACK,
        port: int = DEFAULT_PORT,
        clock: bool = True,
        mentor: bool = False,
        policy: EscalationPolicy | None = None,
    ) -> None:
        self.session = session
        if session.sim.checkpoints is None:  # snapshots as it plays, so a rewind does not replay from zero
            session.sim.checkpoints = SnapshotBook()
        self.pager = OnCallPager(policy or DEFAULT_POLICY)
        """Walks the escalation policy for each page against the seats on call (primary, secondary)."""
        self.mentor = mentor
        """A mentor seat may join (reverse shadow: ``misfortune host SCENARIO --mentor``)."""
        self.mentor_flags: list[tuple[float, str, str]] = [
            (float(look["t"]), str(look["seat"]), str(look.get("text", "")))
            for look in session.sim.looks
            if look.get("what") == FLAG_LOOK  # a resumed game day keeps its flags
        ]
        self.token = token or new_token()
        self.bind = bind
        self.port = port
        self.clock_enabled = clock
        self.speed = 0.0
        """The facilitator holds the clock: paused until they start it."""
        self.seats: dict[str, SeatLink] = {}
        self.feed: list[FeedEntry] = []
        self.guesses: list[tuple[float, str, str]] = []
        self.epoch = 0
        """Bumped on rewind: every seat gets a full snapshot of the new branch."""
        self.listeners: list[Callable[[], None]] = []
        """Called after anything changes (the facilitator screen refreshes)."""
        self._server: asyncio.base_events.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._seat_tasks: set[asyncio.Task] = set()
        """One per connection: stop() ends them (closing the server alone leaves them reading)."""
        self._checkpoint = session.now
        self._pending = 0
        self._lingering = 0
        """Connections that have not said hello yet."""
        self._barred: dict[str, float] = {}
        """Seat label -> wall time until which it may not rejoin (disconnected for abuse)."""
        self._tallies: dict[str, Counter] = {}
        """Per seat label: what it added this session (see SEAT_CAPS)."""
        self._debrief_cache: tuple[tuple, dict[str, Any]] | None = None
        self._room_markdown = ""
        self.table = RoleTable()
        self._unavailable = frozenset(unavailable_actions(self.sim.scenario))
        """Actions the scenario's system has nothing for: no seat is offered them."""
        """What each role may do in this game (the facilitator may change it live)."""
        for look in session.sim.looks:  # a resumed game day keeps its table
            if look.get("what") == TABLE_LOOK:
                self.table.change(str(look["role"]), str(look["power"]), bool(look["granted"]))
        self.difficulty = "normal"
        """The facilitator's dial (see :meth:`set_difficulty`)."""
        self._noise_from = session.now
        self.records: dict[str, SeatRecord] = {}
        """Every seat that joined, by its seat token: what a rejoin gets back."""
        self._feed_n = 0
        self._name_role_holders()

    @classmethod
    def start_session(cls, ref: str, seed: int, directory: Path | None = None, **kwargs: Any) -> GameHost:
        """A host over a new journalled session of scenario ``ref``."""
        return cls(LocalSession.start(ref, seed, directory=directory), **kwargs)

    @property
    def sim(self) -> Simulation:
        return self.session.sim

    # --- serving ------------------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        """Seats can connect (start succeeded and stop was not called)."""
        return self._server is not None and self._server.is_serving()

    async def start(self) -> None:
        """Listen (loopback unless told otherwise) and run the clock and the pushes."""
        self._server = await asyncio.start_server(self._serve_seat, self.bind, self.port, limit=MAX_SEAT_FRAME * 2)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("game day %s listening on %s:%d", self.sim.scenario.id, self.bind, self.port)
        self._tasks.append(asyncio.create_task(self._push_forever()))
        if self.clock_enabled:
            self._tasks.append(asyncio.create_task(self._clock_forever()))

    async def stop(self) -> None:
        """Close every seat and the server; the journal stays resumable unless the session ended."""
        for task in self._tasks:
            task.cancel()
        for link in list(self.seats.values()):
            if link.task is not None:
                link.task.cancel()
            link.writer.close()
        if self._server is not None:
            self._server.close()
        for task in list(self._seat_tasks):
            task.cancel()
        await asyncio.gather(*self._seat_tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self.session.quit()

    def join_command(self, address: str | None = None) -> str:
        """What a seat types to join."""
        where = f"{address or self.bind}:{self.port}"
        roles = "imoc|tloc|ops|scribe|observer" + ("|mentor" if self.mentor else "")
        return f"misfortune join {where} --token {self.token} --role {roles} --name NAME [--on-call primary|secondary]"

    async def _serve_seat(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer(writer)
        link: SeatLink | None = None
        stopping = False
        task = asyncio.current_task()
        assert task is not None
        self._seat_tasks.add(task)
        try:
            if self._pending >= MAX_PENDING:
                await self._deny(writer, peer, "too many connections are waiting to join; try again shortly")
                return
            self._pending += 1
            try:
                hello = await self._hello(reader, writer, peer)
            finally:
                self._pending -= 1
            if hello is None:
                return
            link = await self._seat(hello, writer, peer)
            if link is None:
                return
            link.queue(self._welcome(link))
            link.task = asyncio.create_task(self._write_forever(link))
            link.task.add_done_callback(lambda task, link=link: self._writer_done(link, task))
            while link.dropped is None:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    self._refuse(link.label, f"frame over the {MAX_SEAT_FRAME}-byte limit; connection closed")
                    link.close("oversized frame")
                    return
                if not line:
                    return
                self._frame(link, line)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            stopping = True
            return  # the host is stopping
        except Exception:  # a bug, not the seat's doing: said loudly, and it costs this connection only
            log.exception("serving %s failed", link.label if link is not None else peer)
            if link is not None:
                link.close("the host failed on a frame of this seat; rejoin")
        finally:
            self._seat_tasks.discard(task)
            if link is not None:
                link.gone = True  # the writer stops at its next turn even if a cancel goes astray
                link.wake.set()
                if link.task is not None:
                    link.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):  # the host stopping cancels us too
                        await asyncio.gather(link.task, return_exceptions=True)
                if self.seats.get(link.label) is link:
                    del self.seats[link.label]
                    self._note(link.label, "leave", f"dropped: {link.dropped}" if link.dropped else "left")
            # The last frames (a refusal's reason) must reach the peer, not be reset away; a flood of
            # closing connections is not waited on past MAX_LINGERING.
            if not stopping and self._lingering < MAX_LINGERING:
                self._lingering += 1
                try:
                    await linger(reader, writer)
                finally:
                    self._lingering -= 1
            writer.close()

    async def _hello(self, reader, writer, peer: str) -> Hello | None:
        try:
            async with asyncio.timeout(HELLO_TIMEOUT):
                line = await reader.readline()
            frame = parse_seat_frame(line)
        except FrameError as exc:
            # The reason goes back to the connection; the feed and the log get only the host's words.
            return await self._deny(writer, peer, str(exc), logged="no valid hello frame")
        except (TimeoutError, ValueError, asyncio.LimitOverrunError):
            return await self._deny(writer, peer, "no valid hello frame")
        if not isinstance(frame, Hello):
            return await self._deny(writer, peer, "the first frame must be a hello")
        if frame.version != VERSION:
            return await self._deny(writer, peer, f"protocol version {frame.version}; this host speaks {VERSION}")
        if not secrets.compare_digest(frame.token.encode(), self.token.encode()):
            return await self._deny(writer, peer, "wrong or missing token")
        return frame

    async def _deny(self, writer, peer: str, reason: str, logged: str | None = None) -> None:
        self._refuse(peer, logged or reason)
        await self._reply(writer, {"type": "refused", "reason": reason, "fatal": True})
        with contextlib.suppress(ConnectionError, TimeoutError):  # a few bytes: only a dead peer makes it wait
            async with asyncio.timeout(SEND_TIMEOUT):
                await writer.drain()
        return None

    async def _seat(self, hello: Hello, writer: asyncio.StreamWriter, peer: str) -> SeatLink | None:
        record = self.records.get(hello.seat_token) if hello.seat_token else None
        if hello.seat_token and record is None:
            return await self._deny(writer, peer, "unknown seat token: join without it to take a new seat")
        if record is None:
            record = SeatRecord(hello.name, hello.role, hello.spectator, hello.on_call)
        label = record.label
        barred = self._barred.get(label, 0.0) - monotonic()
        if barred > 0:
            return await self._deny(writer, peer, f"{label} was disconnected for abuse; rejoin in {barred:.0f} s")
        if record.role == MENTOR_ROLE and not self.mentor:
            return await self._deny(writer, peer, "this game day has no mentor seat; host it with --mentor")
        old = self.seats.get(label)
        if old is None and len(self.seats) >= MAX_SEATS:
            return await self._deny(writer, peer, f"the game day is full ({MAX_SEATS} seats)")
        if old is not None:  # the same seat rejoining: the new connection replaces the old one
            old.close("replaced by a new connection of the same seat")
        rejoined = record.token in self.records
        self.records[record.token] = record
        record.room_seen = 0  # a new connection may be a new process: it gets the room's recent feed again
        link = SeatLink(label, record.role, record.spectator, writer, record=record)
        self.seats[label] = link
        self._name_role_holders()
        if record.spectator:
            self._note(label, "join", "spectator screen joined")
        else:
            on_call = f" as {record.on_call} on call" if record.on_call else ""
            self._note(label, "join", f"{'rejoined' if rejoined else 'joined'} as {title(record.role)}{on_call}")
        return link

    def _welcome(self, link: SeatLink) -> dict[str, Any]:
        return {
            "type": "welcome",
            "version": VERSION,
            "seat": link.label,
            "role": link.role,
            "allowed": sorted(self.table.allowed(link.role) - self._unavailable),
            "seat_token": link.record.token,
            "resume": {"panel": link.record.panel, "messages_read": link.record.messages_read},
            **link.feed.welcome(self.session),
            # Only a mentor seat is ever sent the hidden truth before the debrief.
            **({"truth": mentor_truth(self.sim)} if link.role == MENTOR_ROLE and not link.spectator else {}),
        }

    def _frame(self, link: SeatLink, line: bytes) -> None:
        """Handle one frame from a seat; the answers go to its queue (nothing here waits on a seat)."""
        if not link.budget.take(monotonic()):
            self._strike(link, f"over the rate limit of {RATE:g} frames a second; frame ignored")
            return
        try:
            frame = parse_seat_frame(line)
        except FrameError as exc:
            self._strike(link, str(exc))
            return
        if isinstance(frame, Act):
            result = self.act(link.label, link.role, frame.action, link.spectator)
            self._send(link, {"type": "result", "id": frame.id, "result": _result(result)})
            self._push_soon()
        elif isinstance(frame, Look | ReadUpTo):
            self._seen(link, frame)
        elif isinstance(frame, StatusReport):
            result = self.report(link.label, link.role, frame, link.spectator)
            self._send(link, {"type": "reported", "id": frame.id, "result": _result(result)})
            self._push_soon()
        elif isinstance(frame, Guess):
            reason = self.guess(link.label, link.role, frame.text, link.spectator)
            self._send(link, {"type": "guessed", "ok": reason is None, "reason": reason or ""})
        elif isinstance(frame, TakeProfile):
            req, reason = self.take_profile(
                link.label, link.role, frame.kind, frame.instance, frame.seconds, link.spectator
            )
            self._send(link, _profile_reply(frame.id, req, reason))
        elif isinstance(frame, GetProfile):
            req, reason = self.profile_request(link.label, frame.request)
            self._send(link, _profile_reply(frame.id, req, reason))
        elif isinstance(frame, Whisper):
            reason = self.whisper(link.label, link.role, frame.text, link.spectator)
            self._send(link, {"type": "whispered", "ok": reason is None, "reason": reason or ""})
        elif isinstance(frame, FlagMoment):
            reason = self.flag_moment(link.label, link.role, frame.text, link.spectator)
            self._send(link, {"type": "flagged", "ok": reason is None, "reason": reason or ""})
        elif isinstance(frame, EndNow):
            reason = self.end_by_seat(link.label, link.role)
            self._send(link, {"type": "ended", "id": frame.id, "ok": reason is None, "reason": reason or ""})
            self._push_soon()
        else:
            self._strike(link, "already joined: a second hello")

    def _seen(self, link: SeatLink, frame: Look | ReadUpTo) -> None:
        """A look (journalled) or the seat's read cursor: both kept on its record for a rejoin."""
        if isinstance(frame, ReadUpTo):
            link.record.messages_read = min(frame.messages, len(self.sim.messages()))
        elif link.spectator:
            self._strike(link, "the spectator screen is read-only: it records no looks")
        elif (reason := self._over_cap(link.label, "looks")) is not None:
            self._strike(link, reason)
        else:
            if frame.what == "panel" and frame.detail.name:
                link.record.panel = frame.detail.name  # the view a rejoin comes back to
            self.sim.look(frame.what, link.label, **frame.detail.model_dump(exclude_none=True))

    def _strike(self, link: SeatLink, reason: str) -> None:
        """Refuse a frame with ``reason``; a seat refused too often is disconnected (and barred a while)."""
        self._refuse(link.label, reason)
        self._send(link, {"type": "refused", "reason": reason})
        if link.strike(monotonic()) and link.dropped is None:
            self._barred[link.label] = monotonic() + BARRED_FOR
            link.close(f"disconnected: over {STRIKES} refused frames in a minute (rejoin after {BARRED_FOR:g} s)")

    def _send(self, link: SeatLink, frame: dict[str, Any]) -> None:
        """Queue a reply for ``link``; a seat whose queue is full is not reading and is dropped."""
        if link.dropped is None and not link.queue(frame):
            link.close("not reading: too many replies waiting", reading=False)

    def _push_soon(self) -> None:
        """Owe every seat a state frame now (their writers send it when they are free)."""
        for link in list(self.seats.values()):
            link.owe_state()
        for listener in list(self.listeners):
            listener()

    async def _write_forever(self, link: SeatLink) -> None:
        """The seat's writer: its replies in order, then the current state (in bounded frames), then the debrief."""
        try:
            while link.dropped is None and not link.gone:
                link.busy = False
                await link.wake.wait()
                link.wake.clear()
                link.busy = True
                while link.replies:
                    await self._deliver(link, link.replies.popleft())
                if not link.state_due:
                    continue
                link.state_due = False
                state = link.feed.delta(self.session, self.epoch, self.speed)
                if "views" in state:
                    state |= self._seat_state(link)
                if link.feed.more:  # a snapshot in several frames: the next one as soon as this one is read
                    await self._deliver(link, state)
                    link.owe_state()
                elif self.sim.ended_at is None:
                    link.debrief_sent = False
                    await self._deliver(link, state)
                elif not link.debrief_sent:
                    # Written together: a seat that sees the end asks for the debrief at once.
                    link.debrief_sent = True
                    debrief = {"type": "debrief", "debrief": self._debrief_payload()}
                    await self._deliver(link, state, debrief, {"type": "room_debrief", "markdown": self._room_markdown})
                else:
                    await self._deliver(link, state)
        except SeatGone:
            return

    def _seat_state(self, link: SeatLink) -> dict[str, Any]:
        """What this seat's state frame carries beyond the views: who it is now, and the room's feed."""
        record = link.record
        room = room_lines(self.feed, record.room_seen)
        if room:
            record.room_seen = room[-1]["n"]
        you = {
            "seat": link.label,
            "role": link.role,
            "title": title(link.role),
            "allowed": sorted(self.table.allowed(link.role) - self._unavailable),
            "on_call": record.on_call,
        }
        return {"you": you, "room": room}

    def _writer_done(self, link: SeatLink, task: asyncio.Task) -> None:
        """A writer that failed (a bug, not a seat's doing) is logged and its seat dropped, not left mute."""
        if task.cancelled() or task.exception() is None:
            return
        log.error("sending to %s failed", link.label, exc_info=task.exception())
        link.close("the host could not send to this seat; rejoin")

    async def _deliver(self, link: SeatLink, *frames: dict[str, Any]) -> None:
        """Write ``frames`` to the seat, then wait (bounded) until it has taken them."""
        for frame in frames:
            await self._reply(link.writer, frame)
        try:
            # asyncio.timeout, not wait_for: in 3.11 wait_for can swallow a cancel that races the drain,
            # and the writer would outlive its connection (found by the long fuzz: seats never freed).
            async with asyncio.timeout(SEND_TIMEOUT):
                await link.writer.drain()
        except TimeoutError:
            link.close(f"not reading: a frame waited over {SEND_TIMEOUT:g} s", reading=False)
            raise SeatGone from None
        except ConnectionError:
            pass  # the seat left; its reader ends the connection

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, frame: dict[str, Any]) -> None:
        """Write one frame to a connection's buffer (it never waits: delivery is waited for apart)."""
        try:
            writer.write(encode(frame))
        except (ConnectionError, RuntimeError):
            pass  # the seat left; its reader ends the connection

    def _over_cap(self, seat: str, kind: str) -> str | None:
        """Why ``seat`` may add no more of ``kind`` this session (None while under the cap; counts it)."""
        tally = self._tallies.setdefault(seat, Counter())
        if tally[kind] >= SEAT_CAPS[kind]:
            return f"this seat has reached its limit of {SEAT_CAPS[kind]} {kind} for this session"
        tally[kind] += 1
        return None

    # --- what seats do ------------------------------------------------------------------------

    def act(self, seat: str, role: str, body: dict[str, Any], spectator: bool = False) -> ActionResult:
        """Apply a seat's action if its role may take it; a refusal changes nothing and is logged."""
        name = clean(body.get("action", "?"))[:40]
        refusal = "the spectator screen is read-only" if spectator else self.table.refusal(role, name)
        if refusal is not None and name == "ack" and not spectator and self._holds_on_call(seat):
            refusal = None  # whoever the policy pages may acknowledge, whatever their incident role
        if refusal is None:
            refusal = self._over_cap(seat, "actions")
        if refusal is None and name in TEXT_ACTIONS:
            refusal = self._over_cap(seat, "texts")
        if refusal is None:
            try:
                action = ACTION_ADAPTER.validate_python(body)
            except ValidationError as exc:
                first = exc.errors()[0]
                refusal = f"invalid {name}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        if refusal is not None:
            self._refuse(seat, f"{name}: {refusal}")
            return ActionResult(False, refusal, name, self.sim.now)
        result = self._apply(action, seat)
        self._note(seat, "action" if result.accepted else "rejected", f"{name}: {result.message}")
        if result.accepted and action.action == "handoff":
            self._hand_role_over(seat, action.to)
        return result

    def _holds_on_call(self, seat: str) -> bool:
        link = self.seats.get(seat)
        return link is not None and link.record.on_call is not None

    def report(self, seat: str, role: str, frame: StatusReport, spectator: bool = False) -> ActionResult:
        """Status to the IMOC: the seat's structured report, journalled as its note (the channel shows it)."""
        refusal = "the spectator screen is read-only" if spectator else self.table.refusal(role, "report")
        if refusal is None:
            refusal = self._over_cap(seat, "texts")
        if refusal is not None:
            self._refuse(seat, f"report: {refusal}")
            return ActionResult(False, refusal, "report", self.sim.now)
        text = report_text(clean(frame.impact), clean(frame.doing), clean(frame.need), clean(frame.next))
        result = self._apply(Note(action="note", text=text), seat)
        self._note(seat, "report" if result.accepted else "rejected", text)
        return result

    # --- roles ----------------------------------------------------------------------------------

    def reassign(self, label: str, role: str, by: str = FACILITATOR) -> str:
        """Seat ``label`` takes ``role`` from now on (journalled); its new label is returned.

        Later actions are journalled under the new ``role:name``, so the timeline and the debrief
        credit each role with what was done while the seat held it. ValueError when it cannot.
        """
        if role not in TABLE_ROLES or role == MENTOR_ROLE:
            roles = ", ".join(r for r in TABLE_ROLES if r != MENTOR_ROLE)
            raise ValueError(f"no role {role!r} to reassign to; roles: {roles}")
        link = self.seats.get(label)
        record = link.record if link is not None else next((r for r in self.records.values() if r.label == label), None)
        if record is None or record.spectator or record.role == MENTOR_ROLE:
            raise ValueError(f"no seat {label!r} to reassign")
        new = f"{role}:{record.name}"
        if new == label:
            return label
        if new in self.seats or any(r.label == new for r in self.records.values()):
            raise ValueError(f"{new} is already seated")
        record.role = role
        if link is not None:
            del self.seats[label]
            link.label, link.role = new, role
            self.seats[new] = link
            self._tallies[new] = self._tallies.pop(label, Counter())
        self._name_role_holders()
        self.sim.look(ROLE_LOOK, by, moved=label, to=new)
        self._note(by, "role", f"{seat_title(label)} is now {title(role)}")
        self._push_soon()
        return new

    def _name_role_holders(self) -> None:
        """The seats hold an incident's roles until someone is named for one: the IMOC seat commands and
        communicates, the TLOC seat (else the ops seats) runs ops."""
        seated = [r for r in self.records.values() if not r.spectator]

        def names(role: str) -> str:
            return ", ".join(sorted(r.name for r in seated if r.role == role))

        imoc, ops = names("imoc") or "no IMOC seated", names("tloc") or names("ops") or "no TLOC or ops seated"
        self.session.role_holders = {"imoc": imoc, "comms": imoc, "tloc": ops}

    def _hand_role_over(self, seat: str, to: str) -> None:
        """A handoff to a seated person swaps the two seats' roles (the action is in the journal already)."""
        target = to.strip().lstrip("@")
        other = next((r for r in self.records.values() if target in (r.name, r.label) and r.label != seat), None)
        giver = next((r for r in self.records.values() if r.label == seat), None)
        if other is None or giver is None or other.spectator or other.role == MENTOR_ROLE:
            return  # handed to someone outside the room: the incident record says so, no seat changes
        mine, theirs = giver.role, other.role
        # Labels carry the name, so the two never collide mid-swap.
        self.reassign(other.label, mine, by=seat)
        self.reassign(seat, theirs, by=seat)

    def set_power(self, role: str, power: str, granted: bool) -> str:
        """The facilitator changes this game's role table (journalled; ValueError when unknown)."""
        said = self.table.change(role, power, granted)
        self.sim.look(TABLE_LOOK, FACILITATOR, role=role, power=power, granted=granted)
        self._note(FACILITATOR, "role", said)
        self._push_soon()
        return said

    def _apply(self, action: Action, seat: str) -> ActionResult:
        result = self.sim.apply(action, seat)
        self._end_if_finished()
        return result

    def whisper(self, seat: str, role: str, text: str, spectator: bool = False) -> str | None:
        """A mentor's hint to the trainee seats (IMOC and TLOC) alone; None when delivered.

        Journalled as the mentor's look (the record of the session); the facilitator's feed says a
        whisper went out, not what it said.
        """
        reason = None
        if role != MENTOR_ROLE or spectator:
            reason = "only a mentor seat whispers"
        elif (reason := self._over_cap(seat, "whispers")) is None:
            text = clean(text)
            frame = {"type": "whisper", "t": round(self.sim.now, 3), "from": seat, "text": text}
            for link in list(self.seats.values()):
                if is_trainee(link.role, link.spectator):
                    self._send(link, frame)
            self.sim.look(WHISPER_LOOK, seat, text=text)
            self._note(seat, "whisper", "whispered to the trainee")
            return None
        self._refuse(seat, f"whisper: {reason}")
        return reason

    def flag_moment(self, seat: str, role: str, text: str, spectator: bool = False) -> str | None:
        """A mentor marks this moment for the debrief; None when recorded."""
        reason = None
        if role != MENTOR_ROLE or spectator:
            reason = "only a mentor seat flags moments"
        elif (reason := self._over_cap(seat, "flags")) is None:
            text = clean(text)
            self.mentor_flags.append((self.sim.now, seat, text))
            self.sim.look(FLAG_LOOK, seat, text=text)
            self._note(seat, "flag", text)
            return None
        self._refuse(seat, f"flag: {reason}")
        return reason

    def guess(self, seat: str, role: str, text: str, spectator: bool = False) -> str | None:
        """Record a root-cause guess (journalled as a look, so resume keeps it); None when accepted."""
        if spectator:
            reason = "the spectator screen is read-only"
        elif (reason := self.table.refusal(role, "guess")) is not None:
            pass
        elif len(self.guesses) >= MAX_GUESSES:
            reason = f"the game day has its {MAX_GUESSES} guesses: talk it over with the room instead"
        elif (reason := self._over_cap(seat, "guesses")) is not None:
            pass
        else:
            self.guesses.append((self.sim.now, seat, text))
            self.sim.look("guess", seat, text=text)
            self._note(seat, "guess", text)
            return None
        self._refuse(seat, f"guess: {reason}")
        return reason

    def take_profile(
        self, seat: str, role: str, kind: str, instance: str, seconds: float, spectator: bool = False
    ) -> tuple[ProfileRequest | None, str | None]:
        """Start a profile as ``seat`` (journalled as its look): (request, None), or (None, why not)."""
        if spectator:
            reason = "the spectator screen is read-only"
        elif (reason := self.table.refusal(role, "profile")) is not None:
            pass
        elif self.sim.ended_at is not None:
            reason = "the incident has ended"
        else:
            try:
                req = self.sim.take_profile(kind, instance, seconds, seat)
            except ProfileError as err:
                reason = str(err)
            else:
                self._note(seat, "profile", f"{kind} of {instance}: ready at {req.ready_at:.0f}s")
                return req, None
        self._refuse(seat, f"profile: {reason}")
        return None, reason

    def profile_request(self, seat: str, request_id: int) -> tuple[ProfileRequest | None, str | None]:
        """A profile ``seat`` took, by id: (request, None), or (None, why not)."""
        req = self.sim.profile_request(request_id)
        if req is None or req.seat != seat:
            return None, f"no profile #{request_id} taken from this seat (a rewind starts a new list)"
        return req, None

    def end_by_seat(self, seat: str, role: str) -> str | None:
        """The IMOC may call time; nobody else. None when the session ended."""
        reason = self.table.refusal(role, "end")
        if reason is not None:
            self._refuse(seat, f"end: {reason}")
            return reason
        self.end("ended_by_imoc", seat)
        return None

    # --- the facilitator ----------------------------------------------------------------------

    def set_speed(self, speed: float) -> None:
        """Pause (0) or run the clock at one of SPEEDS."""
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS}")
        self.speed = speed
        self.sim.look("clock", "facilitator", speed=speed)
        self._note("facilitator", "facilitator", "paused" if speed == 0 else f"clock at {speed:g}x")

    def advance(self, seconds: float) -> None:
        """Run the simulation ``seconds`` forward now (the clock task does this at speed x wall time)."""
        if self.sim.ended_at is not None:
            return
        self.sim.advance(seconds)
        self._dial()
        self._page_on_call()
        if self.sim.now - self._checkpoint >= CHECKPOINT_EVERY:
            self._checkpoint = self.sim.now  # lets `misfortune resume` come back to (nearly) this moment
            self.sim.look("checkpoint", "facilitator")
        self._end_if_finished()

    def inject(self, **fields: Any) -> ActionResult:
        """A live inject (message, alert, fault, hint): an action of the facilitator's seat, journalled."""
        action = Inject(action="inject", **fields)
        result = self._apply(action, "facilitator")
        self._note("facilitator", "facilitator" if result.accepted else "rejected", f"inject: {result.message}")
        return result

    def message(self, sender: str, text: str, channel: str = "chat") -> ActionResult:
        """A message to the room from anyone the facilitator writes as (a persona's template or free text)."""
        sender, text = clean(sender).strip()[:80], clean(text).strip()[:MAX_TEXT]
        if not sender or not text:
            return ActionResult(False, "a message needs a sender and a text", "inject", self.sim.now)
        return self.inject(kind="message", sender=sender, text=text, channel=channel)

    def move_message(self, index: int, delay: float) -> ActionResult:
        """The scenario's scripted message ``index`` arrives ``delay`` seconds from now (early or late; journalled)."""
        return self.inject(kind="scripted", index=index, delay=delay)

    def inject_fault(self, text: str) -> ActionResult:
        """Start any fault the scenario's topology allows, written ``TYPE key=value ...`` (journalled)."""
        try:
            fault = parse_fault(text)
        except ValueError as err:
            return ActionResult(False, f"not a fault: {err}", "inject", self.sim.now)
        return self.inject(kind="fault", fault=fault)

    def hint_seat(self, label: str, text: str) -> str | None:
        """A hint to one seat alone (journalled as the facilitator's look); None when delivered."""
        link = self.seats.get(label)
        text = clean(text).strip()[:500]
        if link is None or link.spectator:
            return f"no seat {label!r} is connected"
        if not text:
            return "a hint needs a text"
        self._send(link, {"type": "hint", "t": round(self.sim.now, 3), "from": "facilitator (hint)", "text": text})
        self.sim.look(SEAT_HINT_LOOK, FACILITATOR, to=label, text=text)
        self._note(FACILITATOR, "hint", f"hint to {seat_title(label)}: {text}")
        return None

    def set_difficulty(self, level: str) -> None:
        """The difficulty dial during play (journalled): easy brings scripted hints at half their time,
        hard adds a flapping noise alert every ``NOISE_EVERY`` simulated seconds; what it does is
        journalled as the facilitator's injects, so replay needs no dial."""
        if level not in DIAL:
            raise ValueError(f"difficulty is one of {', '.join(DIAL)}")
        self.difficulty = level
        self._noise_from = self.sim.now
        self.sim.look(DIAL_LOOK, FACILITATOR, level=level)
        if level == "hard":
            self._hold_hints()
        self._note(FACILITATOR, "facilitator", f"difficulty {level}: {DIAL[level]}")

    def on_call(self) -> dict[str, list[str]]:
        """The seats holding each on-call rotation now (connected, not spectators)."""
        out: dict[str, list[str]] = {}
        for label, link in sorted(self.seats.items()):
            if link.record.on_call and not link.spectator:
                out.setdefault(link.record.on_call, []).append(label)
        return out

    def _page_on_call(self, quiet: bool = False) -> None:
        """Send the seats on call what the escalation policy says is due (journalled; shown in the feed)."""
        for page in self.pager.due(self.sim.pages(), self.sim.now, self.on_call()):
            if quiet:
                continue
            level = f"level {page.level + 1} ({', '.join(self.pager.policy.levels[page.level].notify)})"
            if not page.to:
                self._note(FACILITATOR, "page", f"page #{page.number}: {level} skipped: nobody in the room holds it")
                continue
            text = f"page #{page.number}: {page.alert} — you are on call, {level}; acknowledge with a"
            frame = {"type": "page", "t": round(page.t, 3), "from": f"pager · {level}", "text": text}
            for label in page.to:
                if (link := self.seats.get(label)) is not None:
                    self._send(link, frame)
            self.sim.look(PAGE_LOOK, FACILITATOR, page=page.number, level=page.level, to=",".join(page.to))
            who = ", ".join(seat_title(label) for label in page.to)
            self._note(FACILITATOR, "page", f"page #{page.number} ({page.alert}) to {who}: {level}")

    def _hold_hints(self) -> None:
        """Hard: every scripted hint not yet out comes at ``HARD_HINTS`` times its time (inject actions)."""
        released = {text for _, text in self.sim.incident.hints} | self.sim.incident.held_hints
        for i, hint in enumerate(self.sim.scenario.hints):
            if hint.text not in released and hint.after > self.sim.now:
                self.inject(kind="hint", index=i, delay=hint.after * HARD_HINTS - self.sim.now)

    def _dial(self) -> None:
        """What the dial does as the clock moves (called after every advance)."""
        now = self.sim.now
        if self.difficulty == "easy":
            released = {text for _, text in self.sim.incident.hints}
            for i, hint in enumerate(self.sim.scenario.hints):
                if hint.text not in released and hint.after * EASY_HINTS <= now:
                    self.release_hint(i)
        elif self.difficulty == "hard" and now - self._noise_from >= NOISE_EVERY:
            self._noise_from = now
            names = self.sim.service_names()
            service = names[int(now // NOISE_EVERY) % len(names)]
            self.inject(
                kind="alert",
                service=service,
                name=f"ProbeFlapping {service}",
                severity="ticket",
                text=f"{service}: synthetic probe flapped (noise from the difficulty dial)",
                lasts=120.0,
            )

    def release_hint(self, index: int) -> ActionResult:
        """Show hint ``index`` to the seats now."""
        return self.inject(kind="hint", index=index)

    def ask_eta(self, sender: str = "@vp-commerce (stakeholder)") -> ActionResult:
        """A stakeholder asks the IMOC for an ETA."""
        return self.inject(kind="message", sender=sender, text="Customers are calling. What's the ETA for a fix?")

    def end(self, reason: str = "ended_by_facilitator", seat: str = "facilitator") -> None:
        """End the incident now: the seats get the debrief."""
        if self.sim.ended_at is None:
            self.session.end_now(reason)
            self._note(seat, "facilitator", f"ended the incident ({reason})")

    def rewind(self, t: float) -> Path:
        """Replay the journal up to simulated time ``t`` and continue on a new branch (a new journal).

        The simulation is deterministic, so the branch is exactly the session as it was at ``t``. It is
        played from the latest snapshot this session kept at or before ``t`` (from zero when none applies).
        Returns the new journal's path; the old one is kept as it was.
        """
        old = self.session
        assert old.journal_path is not None, "a game day always journals"
        old.quit()
        target = max(0.0, min(t, self.sim.now))
        stem = Path(old.journal_path).stem.split("-branch")[0]
        path = Path(old.journal_path).with_name(f"{stem}-branch{self.epoch + 1}-at{int(target)}s.jsonl")
        book = old.sim.checkpoints
        sim = JournalSession.open(old.journal_path, old.sim.scenario).branch(target, path, checkpoints=book)
        journal = sim.journal
        assert journal is not None
        self.guesses = [g for g in self.guesses if g[0] <= target]
        for _, seat, text in self.guesses:
            sim.look("guess", seat, text=text)
        self.mentor_flags = [f for f in self.mentor_flags if f[0] <= target]
        for _, seat, text in self.mentor_flags:
            sim.look(FLAG_LOOK, seat, text=text)
        for role, power, granted in self.table.changes():  # the branch keeps this game's table
            sim.look(TABLE_LOOK, FACILITATOR, role=role, power=power, granted=granted)
        self.session = LocalSession(sim, old.scenario_path, journal)
        self.session.seat = "facilitator"
        self._checkpoint = self._noise_from = sim.now
        self.pager.reset()
        self._page_on_call(quiet=True)  # what was paged before the rewind point is not paged again
        self.speed = 0.0
        self.epoch += 1
        self._note("facilitator", "facilitator", f"rewound to {target:.0f}s (new branch {path.name})")
        return path

    def debrief(self) -> Debrief:
        """The debrief with the observers' guesses beside the root cause (only once ended)."""
        d = self.session.debrief()
        guesses = [{"t": round(t, 1), "seat": seat, "text": text} for t, seat, text in self.guesses]
        flags = [{"t": round(t, 1), "seat": seat, "text": text} for t, seat, text in self.mentor_flags]
        return replace(d, truth={**d.truth, "root_cause_guesses": guesses}, mentor_flags=flags)

    # --- clock and pushes ---------------------------------------------------------------------

    def _end_if_finished(self) -> None:
        if self.sim.finished and self.sim.ended_at is None:
            self.sim.end(end_reason_of(self.sim))

    async def _clock_forever(self) -> None:
        last = monotonic()
        while True:
            await asyncio.sleep(0.1)
            now = monotonic()
            wall, last = min(now - last, MAX_STEP), now
            if self.speed:
                self.advance(self.speed * wall)

    async def _push_forever(self) -> None:
        while True:
            await asyncio.sleep(PUSH_EVERY)
            await self.push_all()

    async def push_all(self) -> None:
        """Owe every seat what changed (a full snapshot after a rewind), then the debrief once ended.

        It returns at once: each seat's own writer sends its frames, so a slow seat delays nobody.
        """
        self._push_soon()

    async def drained(self, timeout: float = 10.0) -> None:
        """Wait until every seat's writer has sent what it owes (for tests: the host itself never waits)."""
        deadline = monotonic() + timeout
        while monotonic() < deadline and any(
            link.busy or link.replies or link.state_due
            for link in self.seats.values()
            if link.dropped is None and not link.gone
        ):
            await asyncio.sleep(0.005)

    def _debrief_payload(self) -> dict[str, Any]:
        """The debrief on the wire, built once per ended branch (every seat gets the same); the room's
        debrief is saved beside the journal then."""
        key = (self.epoch, self.sim.ended_at, len(self.guesses), len(self.mentor_flags))
        if self._debrief_cache is None or self._debrief_cache[0] != key:
            self._debrief_cache = (key, debrief_payload(self.debrief()))
            self._room_markdown = self.save_room_debrief()[1]
        return self._debrief_cache[1]

    def room_debrief(self) -> RoomDebrief:
        """The room's debrief as of now: live for the facilitator, final once the session has ended."""
        return room_debrief(self.sim, self.feed, self.table.differences(), self.guesses)

    def save_room_debrief(self) -> tuple[Path, str]:
        """Write the room's debrief as Markdown beside the journal; (its path, the Markdown)."""
        text = room_markdown(self.room_debrief())
        assert self.session.journal_path is not None, "a game day always journals"
        path = Path(self.session.journal_path).with_suffix(".room.md")
        path.write_text(text, encoding="utf-8")
        return path, text

    # --- the feed -----------------------------------------------------------------------------

    def _note(self, seat: str, kind: str, text: str) -> None:
        entry = self._feed_entry(seat, kind, text)
        log.info("%s %s: %s", entry.seat, kind, entry.text)

    def refuse_web(self, peer: str, reason: str) -> None:
        """A spectator-page request refused (no token): in the feed and the log like a seat's."""
        self._refuse(f"web {peer}", reason)

    def _refuse(self, seat: str, reason: str) -> None:
        entry = self._feed_entry(seat, "refused", reason)
        log.warning("refused %s: %s", entry.seat, entry.text)

    def _feed_entry(self, seat: str, kind: str, text: str) -> FeedEntry:
        """A feed line, cleaned and cut (seat text is data), the feed kept to its last ``MAX_FEED`` lines."""
        self._feed_n += 1
        entry = FeedEntry(self.sim.now, clean(seat)[:80], kind, clean(text)[:FEED_TEXT], self._feed_n)
        self.feed.append(entry)
        if len(self.feed) > 2 * MAX_FEED:
            del self.feed[:-MAX_FEED]
        return entry


def _peer(writer: asyncio.StreamWriter) -> str:
    """The address of a connection as ``host:port`` (only the host's own formatting reaches the feed)."""
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return "?"


def _result(result: ActionResult) -> dict[str, Any]:
    return view_payload(result)


def _profile_reply(ident: int, req: ProfileRequest | None, reason: str | None) -> dict[str, Any]:
    if req is None:
        return {"type": "profile", "id": ident, "ok": False, "reason": reason or ""}
    return {"type": "profile", "id": ident, "ok": True, "request": view_payload(req)}
