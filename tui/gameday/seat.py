"""A game-day seat: SessionPort over the network, mirroring the state the host pushes.

A reader thread keeps the mirror current (and reconnects with the same seat name when the connection
drops: the host sends the session as it now is). Queries answer from the mirror at once; ``apply``
sends the action and waits for the host's ActionResult, so call it off the host's event loop.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import socket
import threading
import time
from collections import deque
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from scenarios.language.actions import Action
from scenarios.text import clean
from simulator.diagnostics import ProfileError, ProfileRequest
from simulator.telemetry import LogStore, Series, TraceStore, mask_series, split_name
from simulator.views import (
    ActionResult,
    AlertView,
    ChangeRecord,
    Compression,
    IncidentRecord,
    InstanceView,
    LogRecord,
    MessageView,
    Operation,
    PageView,
    RunbookView,
    ServiceView,
    TimelineEvent,
    ToolStatus,
)
from tui.gameday.data_wire import DataStatusWire
from tui.gameday.debrief_wire import check_mentor_truth
from tui.gameday.protocol import (
    MAX_HOST_FRAME,
    VERSION,
    FrameError,
    SliWire,
    decode,
    decode_briefing,
    decode_debrief,
    decode_incident,
    decode_many,
    decode_profile_request,
    decode_trace,
    encode,
    parse_seat_frame,
)
from tui.gameday.seat_wire import addressed, check_reply, check_state, check_welcome
from tui.port import Briefing, Debrief

REPLY_TIMEOUT = 10.0
ROOM_KEPT = 500
"""Room feed lines a seat keeps (the host's journal has them all)."""
RECONNECT_EVERY = 1.0
REFUSALS_KEPT = 100


MAX_MIRROR_SAMPLES = 1_000_000
"""Most samples one series chunk from the host may add (a day at 1 s is 86,400)."""

MALFORMED_HOST_FRAME = (KeyError, TypeError, AttributeError, IndexError, ValueError, OverflowError, InvalidStateError)
"""What decoding a host frame of the wrong shape raises (a missing field, a string for a list...)."""


class JoinRefused(Exception):
    """The host refused the seat (wrong token, bad name, another protocol version)."""


def _finite(value: Any, what: str) -> float:
    """``value`` as a finite float, or ValueError naming ``what`` (host frames are not trusted)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} is not a finite number")
    return number


class Unanswered(ConnectionError):
    """A request went out but its answer did not come back (the connection dropped while it was awaited):
    the host may have taken it."""


def not_sent(exc: BaseException) -> str:
    """What a seat shows for a request the host did not answer, true to what the seat knows.

    A send that failed says why it was not sent. A wait that timed out (it has no text of its own; the
    screen once showed "not sent: " and nothing after) or a connection lost while the answer was awaited
    cannot say that: the frame went out, and the host may still apply it, so the message says the host did
    not answer and where to look."""
    if isinstance(exc, FutureTimeout) or not str(exc):
        exc = Unanswered(f"no answer from the host within {REPLY_TIMEOUT:g} s")
    if isinstance(exc, Unanswered):
        return f"{exc}: it may still take effect (watch the timeline)"
    return f"not sent: {exc}"


class SeriesMirror:
    """Samples of one telemetry store, appended as the host sends them."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.values: dict[str, list[float]] = {}

    def extend(self, t0: float, dt: float, n: int, values: dict[str, list[float]]) -> None:
        """Append ``n`` samples from ``t0`` every ``dt``; ValueError for a chunk of the wrong shape."""
        t0, dt = _finite(t0, "a series chunk's start"), _finite(dt, "a series chunk's step")
        if not isinstance(n, int) or not 0 <= n <= MAX_MIRROR_SAMPLES:
            raise ValueError(f"a series chunk of {n!r} samples (at most {MAX_MIRROR_SAMPLES:,})")
        if any(len(vals) != n for vals in values.values()):
            raise ValueError("a series chunk whose columns are not all its length")
        start = len(self.times)
        self.times.extend(t0 + k * dt for k in range(n))
        for name, vals in values.items():
            column = self.values.setdefault(name, [float("nan")] * start)
            column.extend(float(v) for v in vals)
        for column in self.values.values():
            column.extend([float("nan")] * (len(self.times) - len(column)))

    def window(self, name: str, start: float | None, end: float | None) -> Series:
        column = self.values.get(name)
        if column is None:
            return Series(name, (), ())
        lo = 0 if start is None else bisect.bisect_left(self.times, start - 1e-9)
        hi = len(self.times) if end is None else bisect.bisect_right(self.times, end + 1e-9)
        return Series(name, tuple(self.times[lo:hi]), tuple(column[lo:hi]))


class RemoteSession:
    """SessionPort for a seat in another process (or machine) than the game-day host."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        role: str,
        name: str,
        spectator: bool = False,
        on_call: str | None = None,
        seat_token: str | None = None,
    ) -> None:
        self.address = (host, port)
        self._hello = {
            "type": "hello",
            "version": VERSION,
            "token": token,
            "role": role,
            "name": name,
            "spectator": spectator,
            "on_call": on_call,
            "seat_token": seat_token,
        }
        self.name = name
        self.role = role
        self.on_call = on_call
        self.seat_token = seat_token
        """This seat's own token (from the host's welcome): rejoining with it gives the seat back."""
        self.resume: dict[str, Any] = {}
        """What the host kept of this seat when it rejoined with its token: ``panel``, ``messages_read``."""
        self.room: list[dict[str, Any]] = []
        """The room's feed (who did what, when, with the result), oldest first."""
        self.private: list[tuple[float, str, str]] = []
        """(t, from, text): what reached this seat alone (a facilitator's hint, a page from the policy)."""
        self.room_debrief: str = ""
        """The room's debrief as Markdown, once the game day has ended."""
        self.spectator = spectator
        self.seat = f"{role}:{name}"
        self.journal_path: str | None = None
        self.allowed: frozenset[str] = frozenset()
        self.connected = threading.Event()
        self.closed = False
        self.refusals: deque[str] = deque(maxlen=REFUSALS_KEPT)
        self.rejoin_refused = ""
        """Why the host refused this seat's latest try to rejoin after a drop ("" once it is back)."""
        """Reasons the host gave for refusing frames (shown to the seat); the latest only, so a host that
        keeps sending malformed frames (one rejoin a second) cannot grow it without bound."""
        self.whispers: list[tuple[float, str, str]] = []
        """(t, mentor seat, text): what a mentor whispered to this seat (trainee seats only get them)."""
        self.truth: dict[str, Any] | None = None
        """The hidden truth, sent to a mentor seat only (reverse shadow)."""
        self._mentor_reply: Future | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._waiting: dict[int, Future] = {}
        self._guessed: Future | None = None
        self._debrief_ready = threading.Event()
        self._sock: socket.socket | None = None
        self._reset_mirror()
        self._briefing: Briefing | None = None
        self._runbooks: list[RunbookView] = []
        self._debrief: Debrief | None = None
        self._state: dict[str, Any] = {"now": 0.0, "speed": 0.0, "finished": False, "ended": False}
        self._views: dict[str, Any] = {}
        self._profiles: dict[int, tuple[ProfileRequest, float]] = {}
        """Profiles this seat took: the last answer and the simulated time it was asked at."""
        self._unknown_profiles: set[int] = set()
        """Ids the host does not know for this seat (asked about once per branch)."""

    # --- connection ---------------------------------------------------------------------------

    def connect(self, timeout: float = 10.0) -> RemoteSession:
        """Join the host and wait for the first state (JoinRefused with the host's reason)."""
        self._open()
        self._thread = threading.Thread(target=self._read_forever, name=f"seat {self.seat}", daemon=True)
        self._thread.start()
        if not self._state_ready.wait(timeout):
            raise JoinRefused(self.refusals[-1] if self.refusals else "no state from the host")
        return self

    def _open(self) -> None:
        sock = socket.create_connection(self.address, timeout=REPLY_TIMEOUT)
        sock.settimeout(None)
        self._sock = sock
        self._file = sock.makefile("rb")
        sock.sendall(encode(self._hello))
        line = self._file.readline(MAX_HOST_FRAME)
        frame = json.loads(line) if line else {"type": "refused", "reason": "the host closed the connection"}
        if not isinstance(frame, dict) or frame.get("type") != "welcome":
            sock.close()
            reason = frame.get("reason", "refused") if isinstance(frame, dict) else "not a misfortune host"
            raise JoinRefused(str(reason))
        try:
            self._welcome(frame)
        except MALFORMED_HOST_FRAME as exc:
            sock.close()
            raise JoinRefused(
                f"the host sent a malformed welcome ({type(exc).__name__}): is it a misfortune host?"
            ) from None
        self.connected.set()

    def _welcome(self, frame: dict[str, Any]) -> None:
        check_welcome(frame)
        self.allowed = frozenset(frame["allowed"])
        self.role = frame["role"]
        self.seat = frame["seat"]
        self.seat_token = frame.get("seat_token") or self.seat_token
        self._hello = {**self._hello, "seat_token": self.seat_token, "role": self.role}
        self.resume = dict(frame.get("resume") or {})
        truth = frame.get("truth")
        self.truth = None if truth is None else check_mentor_truth(truth)
        self._briefing = decode_briefing(frame["briefing"])
        self._runbooks = [*decode_many(RunbookView, frame["runbooks"])]

    def _read_forever(self) -> None:
        while not self.closed:
            try:
                line = self._file.readline(MAX_HOST_FRAME)
                if not line:
                    raise ConnectionError("the host closed the connection")
                frame = json.loads(line)
            except (OSError, ValueError, ConnectionError):
                if self.closed:
                    return
                self._reconnect()
                continue
            try:
                self._dispatch(frame)
            except MALFORMED_HOST_FRAME as exc:
                # A host of another version, or not a misfortune host: say so and rejoin (a fresh
                # snapshot replaces whatever half of the frame was taken in), never a traceback.
                self.refusals.append(
                    f"the host sent a malformed {_kind(frame)} frame ({type(exc).__name__}): rejoining"
                )
                self._drop_and_rejoin()

    def _reconnect(self) -> None:
        """The connection dropped: fail what was waiting, then rejoin under the same seat name."""
        self.connected.clear()
        for future in list(self._waiting.values()):
            if not future.done():
                future.set_exception(Unanswered("the connection to the host dropped before it answered"))
        self._waiting.clear()
        while not self.closed:
            time.sleep(RECONNECT_EVERY)
            try:
                self._open()
            except JoinRefused as exc:  # a host started again has another token: the seat cannot come back
                self.rejoin_refused = clean(str(exc)).strip()[:200]
                continue
            except (OSError, ValueError):
                continue
            self.rejoin_refused = ""
            return

    def _drop_and_rejoin(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        if not self.closed:
            self._reconnect()

    def drop(self) -> None:
        """Cut the connection (tests; a flaky network does the same): the reader rejoins."""
        if self._sock is not None:
            self._sock.shutdown(socket.SHUT_RDWR)

    def _send(self, frame: dict[str, Any]) -> None:
        if self._sock is None or not self.connected.is_set():
            raise ConnectionError("not connected to the host")
        self._sock.sendall(encode(frame))

    # --- frames from the host -----------------------------------------------------------------

    def _dispatch(self, frame: dict[str, Any]) -> None:
        """Take in one host frame. Each is checked here, on the reader (a malformed one is reported and the
        seat rejoins), not on the screen's thread that waits for an answer or shows it."""
        kind = frame.get("type")
        if kind == "state":
            self._apply_state(frame)
        elif kind in ("result", "reported"):
            self._answer(frame, decode(ActionResult, frame["result"]))
        elif kind in ("ended", "profile"):
            reply = check_reply(frame)
            if kind == "profile" and reply["ok"]:
                reply["request"] = decode_profile_request(frame["request"])
            self._answer(frame, reply)
        elif kind == "guessed" and self._guessed is not None:
            self._guessed.set_result(check_reply(frame))
        elif kind in ("whispered", "flagged") and self._mentor_reply is not None:
            self._mentor_reply.set_result(check_reply(frame))
        elif kind in ("whisper", "hint", "page"):
            with self._lock:
                (self.whispers if kind == "whisper" else self.private).append(addressed(frame))
        elif kind in ("room_debrief", "debrief", "refused"):
            self._take_closing(kind, frame)

    def _answer(self, frame: dict[str, Any], answer: Any) -> None:
        """Hand ``answer`` to whoever waits for the request ``frame`` answers (nobody: it came too late)."""
        future = self._waiting.pop(frame["id"], None)
        if future is not None:
            future.set_result(answer)

    def _take_closing(self, kind: str, frame: dict[str, Any]) -> None:
        """The room's debrief, the session's debrief or a refusal: text only where text goes."""
        if kind == "debrief":
            self._debrief = decode_debrief(frame["debrief"])
            self._debrief_ready.set()
            return
        text = frame.get("markdown" if kind == "room_debrief" else "reason", "")
        if not isinstance(text, str):
            raise TypeError(f"a {kind} frame's text is not text")
        if kind == "room_debrief":
            self.room_debrief = text
        else:
            self.refusals.append(text)

    def _reset_mirror(self) -> None:
        self._logs = LogStore()
        self._traces = TraceStore()
        self._series = {"service": SeriesMirror(), "split": SeriesMirror()}
        self._state_ready = getattr(self, "_state_ready", threading.Event())

    def _apply_state(self, frame: dict[str, Any]) -> None:
        """Take in one state frame; the views and the clock only from the last of a run (``more`` unset)."""
        check_state(frame)
        views = None if frame.get("more") else self._decode_views(frame["views"])
        with self._lock:
            if frame["full"]:
                self._reset_mirror()
                self._profiles.clear()  # a rewind starts the host's profile list afresh
                self._unknown_profiles.clear()
                self._debrief = None
                self._debrief_ready.clear()
            for r in decode_many(LogRecord, frame["logs"]):
                t = _finite(r.t, "a log line's time")
                # The one-line fields are cleaned here, where the host's data comes in: the Logs panel puts
                # them in a row as they are, and a control character in one would reach the terminal (an
                # honest host's are printable, and ``clean`` returns them unchanged). Trace and span ids
                # need no cleaning: the store keeps them as numbers, and one that is not hex is malformed.
                self._logs.add(
                    t,
                    clean(r.level),
                    clean(r.service),
                    clean(r.version),
                    clean(r.zone),
                    clean(r.instance),
                    r.message,
                    r.trace_id,
                    r.span_id,
                    r.attributes,
                )
            for d in frame["traces"]:
                self._traces.add(decode_trace(d))
            for key, chunk in frame["series"].items():
                self._series[key].extend(chunk["t0"], chunk["dt"], chunk["n"], chunk["values"])
            if views is None:
                return  # more of the snapshot follows: the views and the clock come with its last frame
            self._views = views
            self._state = {k: frame[k] for k in ("now", "speed", "finished", "ended")}
            self._take_room(frame)
        self._state_ready.set()

    def _take_room(self, frame: dict[str, Any]) -> None:
        """Who this seat is now (the facilitator may reassign it) and the room's new feed lines."""
        you = frame.get("you")
        if you:
            self.seat, self.role = you["seat"], you["role"]
            self.allowed = frozenset(you["allowed"])
            self.on_call = you.get("on_call")
        last = self.room[-1]["n"] if self.room else 0
        self.room.extend(line for line in frame.get("room", ()) if line["n"] > last)
        del self.room[:-ROOM_KEPT]

    @staticmethod
    def _decode_views(v: dict[str, Any]) -> dict[str, Any]:
        return {
            "services": decode_many(ServiceView, v["services"]),
            "instances": decode_many(InstanceView, v["instances"]),
            "changes": decode_many(ChangeRecord, v["changes"]),
            "alerts": decode_many(AlertView, v["alerts"]),
            "pages": decode_many(PageView, v["pages"]),
            "operations": decode_many(Operation, v["operations"]),
            "timeline": decode_many(TimelineEvent, v["timeline"]),
            "incident": decode_incident(v["incident"]),
            "incidents": tuple(decode_many(IncidentRecord, v.get("incidents", []))),
            "sli": decode(SliWire, v["sli"]),
            "data": decode(DataStatusWire, v.get("data", {})),
            "flags": decode(dict[str, bool], v["flags"]),
            "messages": decode_many(MessageView, v["messages"]),
            "tools": decode_many(ToolStatus, v.get("tools", [])),
            "compression": decode(Compression, v["compression"]) if v.get("compression") else None,
        }

    # --- clock --------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self._state["now"]

    @property
    def finished(self) -> bool:
        """Ended on the host (resolved, out of time, or called by the IMOC or the facilitator)."""
        return self._state["finished"] or self._state["ended"]

    @property
    def speed(self) -> float:
        return self._state["speed"]

    def set_speed(self, speed: float) -> None:
        """The facilitator holds the clock: a seat cannot change it."""
        self.refusals.append("the facilitator holds the clock")

    def pump(self, wall_seconds: float) -> None:
        """Nothing to do: the host's clock runs the simulation and pushes its state."""

    # --- queries ------------------------------------------------------------------------------

    def briefing(self) -> Briefing:
        assert self._briefing is not None
        return self._briefing

    def services(self):
        return list(self._views.get("services", []))

    def instances(self, service: str | None = None):
        return [i for i in self._views.get("instances", []) if service is None or i.service == service]

    def metric(
        self, service, metric, zone=None, version=None, instance=None, start=None, end=None, client=None
    ) -> Series:
        gaps = [g for t in self.tool_status() if t.tool == "metrics" for g in t.gaps]
        return mask_series(self._metric(service, metric, zone, version, instance, start, end, client), gaps)

    def _metric(self, service, metric, zone, version, instance, start, end, client=None) -> Series:
        with self._lock:
            if client is not None:
                return self._series["split"].window(split_name(service, "client", client, metric), start, end)
            if instance is not None:
                return self._series["split"].window(f"{instance}.{metric}", start, end)
            if zone is not None:
                return self._series["split"].window(split_name(service, "zone", zone, metric), start, end)
            if version is not None:
                return self._series["split"].window(split_name(service, "version", version, metric), start, end)
            return self._series["service"].window(f"{service}.{metric}", start, end)

    def split_values(self, service: str, dimension: str) -> list[str]:
        prefix = f"{service}@{dimension}="
        names = self._series["split"].values
        return sorted({n[len(prefix) :].rsplit(".", 1)[0] for n in names if n.startswith(prefix)})

    def logs(self, **filters: Any) -> list[LogRecord]:
        with self._lock:
            return self._logs.query(**filters)

    def log_tail(self, index: int, limit: int | None = None):
        with self._lock:
            return self._logs.since_index(index, limit)

    def traces(self, **filters: Any):
        with self._lock:
            return self._traces.query(**filters)

    def trace(self, trace_id: str):
        return self._traces.get(trace_id)

    def change_log(self):
        return list(self._views.get("changes", []))

    def alert_list(self, include_resolved: bool = True):
        alerts = self._views.get("alerts", [])
        return list(alerts) if include_resolved else [a for a in alerts if a.state != "resolved"]

    def pages(self):
        return list(self._views.get("pages", []))

    def operation_list(self):
        return list(self._views.get("operations", []))

    def timeline(self):
        return list(self._views.get("timeline", []))

    def incident_view(self):
        return self._views["incident"]

    def incidents(self):
        return tuple(self._views.get("incidents", ()))

    def sli_status(self) -> dict[str, Any]:
        return dict(self._views.get("sli", {}))

    def data_status(self) -> dict[str, Any]:
        return dict(self._views.get("data", {}))

    def flags(self) -> dict[str, bool]:
        return dict(self._views.get("flags", {}))

    def messages(self):
        return list(self._views.get("messages", []))

    def runbooks(self):
        return list(self._runbooks)

    def tool_status(self):
        return list(self._views.get("tools", []))

    def compression(self):
        return self._views.get("compression")  # the host's clock skips ahead; seats see that it does

    # --- doing --------------------------------------------------------------------------------

    def apply(self, action: Action) -> ActionResult:
        """Send the action; the host's result (a refusal says why). Blocks until the host answers."""
        body = action.model_dump(mode="json", exclude_none=True, exclude={"at"})
        future: Future = Future()
        ident = next(self._ids)
        self._waiting[ident] = future
        try:
            self._send({"type": "act", "id": ident, "action": body})
            return future.result(REPLY_TIMEOUT)
        except (ConnectionError, OSError, FutureTimeout) as exc:
            self._waiting.pop(ident, None)
            return ActionResult(False, not_sent(exc), action.action, self.now)

    def look(self, what: str, **detail: Any) -> None:
        if self.spectator:
            return
        frame = {"type": "look", "what": what, "detail": detail}
        try:
            parse_seat_frame(encode(frame))  # the host's rules: a look it would refuse is not sent
            self._send(frame)
        except (ConnectionError, OSError, FrameError):
            pass  # a look is a courtesy record; the action path reports lost connections

    def take_profile(self, kind: str, instance: str, seconds: float = 30.0) -> ProfileRequest:
        """Ask the host to start a profile as this seat (ProfileError with the host's reason if refused)."""
        try:
            req = self._profile_call({"type": "profile", "kind": kind, "instance": instance, "seconds": seconds})
        except ConnectionError as exc:
            raise ProfileError(not_sent(exc)) from exc
        self._profiles[req.id] = (req, self.now)
        return req

    def profile_request(self, request_id: int) -> ProfileRequest | None:
        """A profile this seat took; asks the host only when the answer may have changed.

        A finished one never changes, and a pending one cannot finish before its window ends or
        while the clock stands still, so the console's refreshes cost no round trip in between.
        """
        known = self._profiles.get(request_id)
        if known is not None:
            req, asked_at = known
            if req.ready or self.now < req.ready_at or self.now <= asked_at:
                return req
        elif request_id in self._unknown_profiles:
            return None
        try:
            req = self._profile_call({"type": "profile_get", "request": request_id})
        except ConnectionError:
            return known[0] if known is not None else None  # asked again on the next refresh
        except ProfileError:  # the host no longer knows it (a rewind): stop asking
            self._profiles.pop(request_id, None)
            self._unknown_profiles.add(request_id)
            return None
        self._profiles[request_id] = (req, self.now)
        return req

    def _profile_call(self, frame: dict[str, Any]) -> ProfileRequest:
        """One profile round trip: ProfileError with the host's refusal, ConnectionError when unanswered."""
        ident = next(self._ids)
        frame = {**frame, "id": ident}
        try:  # the host's own rules, checked here too: a refused frame carries no id to answer
            parse_seat_frame(encode(frame))
        except FrameError as exc:
            raise ProfileError(str(exc)) from exc
        future: Future = Future()
        self._waiting[ident] = future
        try:
            self._send(frame)
            reply = future.result(REPLY_TIMEOUT)
        except FutureTimeout as exc:
            self._waiting.pop(ident, None)
            raise Unanswered(f"no answer from the host within {REPLY_TIMEOUT:g} s") from exc
        except Unanswered:
            self._waiting.pop(ident, None)
            raise
        except (ConnectionError, OSError) as exc:  # the frame did not go out
            self._waiting.pop(ident, None)
            raise ConnectionError(str(exc) or "the connection to the host failed") from exc
        if not reply["ok"]:
            raise ProfileError(reply["reason"])
        return reply["request"]

    def guess(self, text: str) -> str | None:
        """Submit a root-cause guess (observers); None when accepted, else the host's reason."""
        self._guessed = Future()
        try:
            self._send({"type": "guess", "text": text})
            reply = self._guessed.result(REPLY_TIMEOUT)
        except (ConnectionError, OSError, FutureTimeout) as exc:
            return not_sent(exc)
        return None if reply["ok"] else reply["reason"]

    def report(self, impact: str, doing: str, need: str, next_update: str) -> ActionResult:
        """Status to the IMOC: a structured report (the host's result; a refusal says why)."""
        ident = next(self._ids)
        frame = {"type": "report", "id": ident, "impact": impact, "doing": doing, "need": need, "next": next_update}
        try:
            parse_seat_frame(encode(frame))  # the host's limits, said here before anything is sent
        except FrameError as exc:
            return ActionResult(False, str(exc), "report", self.now)
        future: Future = Future()
        self._waiting[ident] = future
        try:
            self._send(frame)
            return future.result(REPLY_TIMEOUT)
        except (ConnectionError, OSError, FutureTimeout) as exc:
            self._waiting.pop(ident, None)
            return ActionResult(False, not_sent(exc), "report", self.now)

    def mark_read(self, messages: int) -> None:
        """Tell the host how many messages this seat has read (kept for a rejoin)."""
        try:
            self._send({"type": "read", "messages": max(0, int(messages))})
        except (ConnectionError, OSError):
            pass  # the next read mark says it again

    def whisper(self, text: str) -> str | None:
        """A mentor's hint to the trainee seats; None when delivered, else the host's reason."""
        return self._mentor_frame({"type": "whisper", "text": text})

    def flag(self, text: str) -> str | None:
        """A mentor marks this moment for the debrief; None when recorded, else the host's reason."""
        return self._mentor_frame({"type": "flag", "text": text})

    def _mentor_frame(self, frame: dict[str, Any]) -> str | None:
        self._mentor_reply = Future()
        try:
            self._send(frame)
            reply = self._mentor_reply.result(REPLY_TIMEOUT)
        except (ConnectionError, OSError, FutureTimeout) as exc:
            return not_sent(exc)
        return None if reply["ok"] else reply["reason"]

    def quit(self) -> None:
        """Leave the game day (the host keeps the session and the journal)."""
        self.closed = True
        if self._sock is not None:
            try:  # shutdown first: the reader's file object keeps the socket open past close()
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                self._sock.close()
            except OSError:
                pass

    def end_now(self, reason: str = "gave_up") -> None:
        """Ask the host to end the incident (only the IMOC may); waits for the debrief."""
        future: Future = Future()
        ident = next(self._ids)
        self._waiting[ident] = future
        try:
            self._send({"type": "end", "id": ident})
            reply = future.result(REPLY_TIMEOUT)
        except (ConnectionError, OSError, FutureTimeout) as exc:
            self.refusals.append(not_sent(exc))
            return
        if not reply["ok"]:
            self.refusals.append(reply["reason"])

    def debrief(self, timeout: float = REPLY_TIMEOUT) -> Debrief:
        """The host's debrief (hidden truth and each role's part), once the session has ended."""
        if not self._debrief_ready.wait(timeout):
            raise RuntimeError("the debrief is only available once the host has ended the session")
        assert self._debrief is not None
        return self._debrief


def _kind(frame: Any) -> str:
    """A frame's type for a message: data from the host, so only a short plain word."""
    kind = frame.get("type") if isinstance(frame, dict) else None
    return kind if isinstance(kind, str) and kind.isidentifier() and len(kind) <= 20 else "unknown"
