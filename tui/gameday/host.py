"""The game-day host: the one authoritative Simulation, served to seats over asyncio TCP.

Seats authenticate with the game day's token, sit in a role (IMOC, TLOC, observer) and act through the
host; everything they do is journalled with their seat name (``role:name``), so `misfortune resume`
and `misfortune replay` bring a killed game day back. The host pushes each seat what SessionPort
shows a trainee (:mod:`tui.gameday.protocol`), never the hidden truth before the debrief. The
facilitator steers the same object in-process: clock, injects, hints, rewind.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import monotonic
from typing import Any

from pydantic import ValidationError

from scenarios.language.actions import ACTION_ADAPTER, MITIGATION_ACTIONS, PROCESS_ACTIONS, Action, Inject
from simulator.diagnostics.desk import ProfileRequest
from simulator.diagnostics.profiles import ProfileError
from simulator.session.journal_session import JournalSession, end_reason_of
from simulator.session.simulation import Simulation
from simulator.views import ActionResult
from tui.gameday.feed import SeatFeed
from tui.gameday.protocol import (
    MAX_SEAT_FRAME,
    VERSION,
    Act,
    EndNow,
    FrameError,
    GetProfile,
    Guess,
    Hello,
    Look,
    TakeProfile,
    debrief_payload,
    encode,
    parse_seat_frame,
    view_payload,
)
from tui.port import SPEEDS, Debrief
from tui.session import CHECKPOINT_EVERY, LocalSession

log = logging.getLogger("misfortune.gameday")

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 7420
PUSH_EVERY = 0.5
"""Wall seconds between state pushes to the seats."""
HELLO_TIMEOUT = 10.0
MAX_STEP = 1.0

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    # The IMOC may go hands-on, but the score counts it against them (simulator.incident.scoring.role_parts).
    "imoc": PROCESS_ACTIONS | MITIGATION_ACTIONS,
    "tloc": MITIGATION_ACTIONS | {"ack", "note", "hypothesis"},
    "observer": frozenset(),
}
"""What each role may do; the facilitator's injects belong to no seat."""
PROFILE_ROLES = frozenset({"imoc", "tloc"})
"""Who may take profiles. A profile is a look, not a change, so the IMOC taking one is not hands-on
(the score counts hands-on changes); the journal still shows who took it, on the investigation path."""


def new_token() -> str:
    """A fresh random game-day token (never starting with "-": `--token -x...` would read as an option)."""
    while (token := secrets.token_urlsafe(18)).startswith("-"):
        pass
    return token


def role_refusal(role: str, action: str) -> str | None:
    """Why ``role`` may not take ``action`` (None when it may)."""
    if action in ROLE_ACTIONS[role]:
        return None
    if role == "observer":
        return "observers are read-only; you may submit a root-cause guess (shown in the debrief)"
    if action == "inject":
        return "only the facilitator injects"
    return f"{action} is the IMOC's call: the TLOC diagnoses and mitigates; tell the IMOC in a note"


@dataclass(frozen=True)
class FeedEntry:
    """One line of the facilitator's feed: a seat's action, a refusal, a join or leave."""

    t: float
    seat: str
    kind: str
    """action, refused, rejected, join, leave, guess, profile, facilitator."""
    text: str


@dataclass
class SeatLink:
    """One connected seat."""

    label: str
    role: str
    spectator: bool
    writer: asyncio.StreamWriter
    feed: SeatFeed = field(default_factory=SeatFeed)
    debrief_sent: bool = False


class GameHost:
    """The authoritative simulation, its journal, the seats and the facilitator's controls."""

    def __init__(
        self,
        session: LocalSession,
        token: str | None = None,
        bind: str = LOOPBACK,
        port: int = DEFAULT_PORT,
        clock: bool = True,
    ) -> None:
        self.session = session
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
        return f"misfortune join {where} --token {self.token} --role imoc|tloc|observer --name NAME"

    async def _serve_seat(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        link: SeatLink | None = None
        task = asyncio.current_task()
        assert task is not None
        self._seat_tasks.add(task)
        try:
            hello = await self._hello(reader, writer, peer)
            if hello is None:
                return
            link = self._seat(hello, writer)
            await self._send(link, self._welcome(link))
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    self._refuse(link.label, f"frame over the {MAX_SEAT_FRAME}-byte limit; connection closed")
                    await self._reply(writer, {"type": "refused", "reason": "oversized frame", "fatal": True})
                    return
                if not line:
                    return
                await self._frame(link, line)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            return  # the host is stopping
        finally:
            self._seat_tasks.discard(task)
            if link is not None and self.seats.get(link.label) is link:
                del self.seats[link.label]
                self._note(link.label, "leave", "left")
            writer.close()

    async def _hello(self, reader, writer, peer) -> Hello | None:
        try:
            line = await asyncio.wait_for(reader.readline(), HELLO_TIMEOUT)
            frame = parse_seat_frame(line)
        except (TimeoutError, ValueError, asyncio.LimitOverrunError) as exc:
            reason = str(exc) if isinstance(exc, FrameError) else "no valid hello frame"
            return await self._deny(writer, peer, reason)
        if not isinstance(frame, Hello):
            return await self._deny(writer, peer, "the first frame must be a hello")
        if frame.version != VERSION:
            return await self._deny(writer, peer, f"protocol version {frame.version}; this host speaks {VERSION}")
        if not secrets.compare_digest(frame.token.encode(), self.token.encode()):
            return await self._deny(writer, peer, "wrong or missing token")
        return frame

    async def _deny(self, writer, peer, reason: str) -> None:
        self._refuse(f"{peer}", reason)
        await self._reply(writer, {"type": "refused", "reason": reason, "fatal": True})
        return None

    def _seat(self, hello: Hello, writer: asyncio.StreamWriter) -> SeatLink:
        label = f"{hello.role}:{hello.name}"
        old = self.seats.get(label)
        if old is not None:  # the same seat rejoining: the new connection replaces the old one
            old.writer.close()
        link = SeatLink(label, hello.role, hello.spectator, writer)
        self.seats[label] = link
        self._note(label, "join", "spectator screen joined" if hello.spectator else "joined")
        return link

    def _welcome(self, link: SeatLink) -> dict[str, Any]:
        return {
            "type": "welcome",
            "version": VERSION,
            "seat": link.label,
            "role": link.role,
            "allowed": sorted(ROLE_ACTIONS[link.role]),
            **link.feed.welcome(self.session),
        }

    async def _frame(self, link: SeatLink, line: bytes) -> None:
        try:
            frame = parse_seat_frame(line)
        except FrameError as exc:
            self._refuse(link.label, str(exc))
            await self._send(link, {"type": "refused", "reason": str(exc)})
            return
        if isinstance(frame, Act):
            result = self.act(link.label, link.role, frame.action, link.spectator)
            await self._send(link, {"type": "result", "id": frame.id, "result": _result(result)})
            await self.push_all()
        elif isinstance(frame, Look):
            self.sim.look(frame.what, link.label, **{k: v for k, v in frame.detail.items() if k not in ("t", "seat")})
        elif isinstance(frame, Guess):
            reason = self.guess(link.label, link.role, frame.text, link.spectator)
            await self._send(link, {"type": "guessed", "ok": reason is None, "reason": reason or ""})
        elif isinstance(frame, TakeProfile):
            req, reason = self.take_profile(
                link.label, link.role, frame.kind, frame.instance, frame.seconds, link.spectator
            )
            await self._send(link, _profile_reply(frame.id, req, reason))
        elif isinstance(frame, GetProfile):
            req, reason = self.profile_request(link.label, frame.request)
            await self._send(link, _profile_reply(frame.id, req, reason))
        elif isinstance(frame, EndNow):
            reason = self.end_by_seat(link.label, link.role)
            await self._send(link, {"type": "ended", "id": frame.id, "ok": reason is None, "reason": reason or ""})
            await self.push_all()
        else:
            self._refuse(link.label, "a second hello")
            await self._send(link, {"type": "refused", "reason": "already joined"})

    async def _send(self, link: SeatLink, frame: dict[str, Any]) -> None:
        await self._reply(link.writer, frame)

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, frame: dict[str, Any]) -> None:
        try:
            writer.write(encode(frame))
            await writer.drain()
        except ConnectionError:
            pass  # the seat left; its reader ends the connection

    # --- what seats do ------------------------------------------------------------------------

    def act(self, seat: str, role: str, body: dict[str, Any], spectator: bool = False) -> ActionResult:
        """Apply a seat's action if its role may take it; a refusal changes nothing and is logged."""
        name = str(body.get("action", "?"))
        refusal = "the spectator screen is read-only" if spectator else role_refusal(role, name)
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
        return result

    def _apply(self, action: Action, seat: str) -> ActionResult:
        result = self.sim.apply(action, seat)
        self._end_if_finished()
        return result

    def guess(self, seat: str, role: str, text: str, spectator: bool = False) -> str | None:
        """Record a root-cause guess (journalled as a look, so resume keeps it); None when accepted."""
        if spectator:
            reason = "the spectator screen is read-only"
        elif role != "observer":
            reason = "root-cause guesses are for observers; IMOC and TLOC write hypotheses"
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
        elif role not in PROFILE_ROLES:
            reason = "observers are read-only: profiles are taken by the IMOC or the TLOC"
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
        if role != "imoc":
            reason = "only the IMOC (or the facilitator) ends the incident"
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

        The simulation is deterministic, so the branch is exactly the session as it was at ``t``.
        Returns the new journal's path; the old one is kept as it was.
        """
        old = self.session
        assert old.journal_path is not None, "a game day always journals"
        old.quit()
        target = max(0.0, min(t, self.sim.now))
        stem = Path(old.journal_path).stem.split("-branch")[0]
        path = Path(old.journal_path).with_name(f"{stem}-branch{self.epoch + 1}-at{int(target)}s.jsonl")
        sim = JournalSession.open(old.journal_path, old.sim.scenario).branch(target, path)
        journal = sim.journal
        assert journal is not None
        self.guesses = [g for g in self.guesses if g[0] <= target]
        for _, seat, text in self.guesses:
            sim.look("guess", seat, text=text)
        self.session = LocalSession(sim, old.scenario_path, journal)
        self.session.seat = "facilitator"
        self._checkpoint = sim.now
        self.speed = 0.0
        self.epoch += 1
        self._note("facilitator", "facilitator", f"rewound to {target:.0f}s (new branch {path.name})")
        return path

    def debrief(self) -> Debrief:
        """The debrief with the observers' guesses beside the root cause (only once ended)."""
        d = self.session.debrief()
        guesses = [{"t": round(t, 1), "seat": seat, "text": text} for t, seat, text in self.guesses]
        return replace(d, truth={**d.truth, "root_cause_guesses": guesses})

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
        """Send every seat what changed (a full snapshot after a rewind), then the debrief once ended."""
        ended = self.sim.ended_at is not None
        debrief = debrief_payload(self.debrief()) if ended else None
        for link in list(self.seats.values()):
            frame = link.feed.delta(self.session, self.epoch, self.speed)
            await self._send(link, frame)
            if debrief is not None and not link.debrief_sent:
                link.debrief_sent = True
                await self._send(link, {"type": "debrief", "debrief": debrief})
            elif not ended:
                link.debrief_sent = False
        for listener in list(self.listeners):
            listener()

    # --- the feed -----------------------------------------------------------------------------

    def _note(self, seat: str, kind: str, text: str) -> None:
        self.feed.append(FeedEntry(self.sim.now, seat, kind, text))
        log.info("%s %s: %s", seat, kind, text)

    def refuse_web(self, peer: str, reason: str) -> None:
        """A spectator-page request refused (no token): in the feed and the log like a seat's."""
        self._refuse(f"web {peer}", reason)

    def _refuse(self, seat: str, reason: str) -> None:
        self.feed.append(FeedEntry(self.sim.now, seat, "refused", reason))
        log.warning("refused %s: %s", seat, reason)


def _result(result: ActionResult) -> dict[str, Any]:
    return view_payload(result)


def _profile_reply(ident: int, req: ProfileRequest | None, reason: str | None) -> dict[str, Any]:
    if req is None:
        return {"type": "profile", "id": ident, "ok": False, "reason": reason or ""}
    return {"type": "profile", "id": ident, "ok": True, "request": view_payload(req)}
