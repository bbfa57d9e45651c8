"""What the host sends one seat: a welcome, then bounded state frames, built only from SessionPort views.

Every value goes through :func:`tui.gameday.protocol.view_payload`, which accepts nothing but the view
records a single-player trainee sees; metrics come from the telemetry stores as raw samples.

No state frame carries more than ``FRAME_LOGS`` log lines, ``FRAME_TRACES`` traces and
``FRAME_SAMPLES`` metric samples. A joining (or far-behind) seat's snapshot of the last hour is
therefore sent as a run of frames marked ``more``: the seat fills its mirror from them and shows the
views of the last one, which is current. Measured on checkout-oom-leak at one hour, the join
snapshot went from one 11.2 MB frame to frames of at most ~0.6 MB; a steady delta is ~25 KB.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from tui.gameday.protocol import Encoded, view_payload
from tui.session import LocalSession

SNAPSHOT_SECONDS = 3600.0
"""Metrics history a (re)joining seat receives: the last hour."""
SNAPSHOT_LOGS = 20_000
"""Log lines a (re)joining seat receives; a seat further behind than this gets a fresh snapshot."""
FRAME_LOGS = 1_000
"""Most log lines in one state frame."""
FRAME_TRACES = 50
"""Most traces in one state frame (the newest; traces are samples, older ones are not backfilled)."""
FRAME_SAMPLES = 10_000
"""Most metric samples (values) in one state frame, over both stores."""

_WARMUP_CHUNKS: WeakKeyDictionary[Any, dict[tuple[int, int], Encoded]] = WeakKeyDictionary()
"""Per store of a session's quiet run, the chunks of it a snapshot sends, by (first, last) sample, encoded
once: the quiet run never changes, and every seat that joins the session is sent the same chunks (at
t=0 they are a joining seat's whole snapshot, ~1.8 MB of JSON)."""

_SENT: WeakKeyDictionary[Any, dict[tuple, Encoded]] = WeakKeyDictionary()
"""Per log or metric store of a session, the newest chunks of it sent to a seat, encoded once: the seats of
a game day are mostly in step, and each push sends every one of them the same new lines and samples."""
SENT_KEPT = 8
"""Chunks kept per store (the oldest goes first): seats in step are sent each one within a push or two."""


def _shared(store: Any, stamp: tuple, build: Callable[..., Any], *args: Any) -> Encoded:
    """``build(*args)`` encoded, once for all the seats sent it: a chunk of ``store`` that ``stamp`` names (with
    the epoch: a rewind writes the same lines and samples anew)."""
    chunks = _SENT.setdefault(store, {})
    chunk = chunks.get(stamp)
    if chunk is None:
        chunk = chunks[stamp] = Encoded(build(*args))
        if len(chunks) > SENT_KEPT:
            del chunks[next(iter(chunks))]
    return chunk


@dataclass
class SeatFeed:
    """Cursors of what one seat already has; ``delta`` sends (a bounded part of) the rest."""

    epoch: int = -1
    log_index: int = 0
    trace_t: float = -math.inf
    trace_ids: set[str] = field(default_factory=set)
    steps: dict[str, int] = field(default_factory=dict)
    more: bool = False
    """The last frame left something behind: send another one as soon as the seat has read it."""
    before: dict[str, int] = field(default_factory=dict)
    """Per store, the next sample of the quiet run before t=0 (simulator.session.warmup) still to send: a
    snapshot that reaches back to t=0 starts with the minutes before it, so a seat compares with normal."""

    def welcome(self, session: LocalSession) -> dict[str, Any]:
        """What never changes during a session: the briefing and the runbooks."""
        return {"briefing": view_payload(session.briefing()), "runbooks": view_payload(session.runbooks())}

    def delta(self, session: LocalSession, epoch: int, speed: float) -> dict[str, Any]:
        """A state frame: logs, traces and samples the seat lacks (bounded), and the views once caught up."""
        log_store = session.sim.log_store
        # First push, a rewind, or a seat so far behind that its cursor left the snapshot window.
        full = epoch != self.epoch or log_store.total - self.log_index > SNAPSHOT_LOGS or self._series_lost(session)
        if full:
            self.epoch = epoch
            self.log_index = max(0, log_store.total - SNAPSHOT_LOGS)
            self.trace_t, self.trace_ids, self.steps = -math.inf, set(), {}
            self.before = {key: 0 for key, store in self._stores(session).items() if self._snapshot_start(store) == 0}
        logs = self._logs(session, epoch)
        series, series_more = self._samples(session, epoch)
        self.more = self.log_index < log_store.total or series_more
        frame: dict[str, Any] = {
            "type": "state",
            "epoch": epoch,
            "full": full,
            "more": self.more,
            "logs": logs,
            "traces": view_payload(self._new_traces(session, full)),
            "series": series,
        }
        if not self.more:
            frame |= {
                "now": session.now,
                "speed": speed,
                "finished": session.finished,
                "ended": session.sim.ended_at is not None,
                "views": self._views(session),
            }
        return frame

    @staticmethod
    def _views(session: LocalSession) -> dict[str, Any]:
        return {
            "services": view_payload(session.services()),
            "instances": view_payload(session.instances()),
            "changes": view_payload(session.change_log()),
            "alerts": view_payload(session.alert_list(True)),
            "pages": view_payload(session.pages()),
            "operations": view_payload(session.operation_list()),
            "timeline": view_payload(session.timeline()),
            "incident": view_payload(session.incident_view()),
            "incidents": view_payload(session.incidents()),
            "sli": view_payload(session.sli_status()),
            "data": view_payload(session.data_status()),
            "flags": view_payload(session.flags()),
            "messages": view_payload(session.messages()),
            "tools": view_payload(session.tool_status()),
            "compression": view_payload(session.compression()),
        }

    def _logs(self, session: LocalSession, epoch: int) -> Encoded | list:
        """The next (at most ``FRAME_LOGS``) log lines, as sent; moves the cursor past them."""
        first = self.log_index
        logs, self.log_index = session.log_tail(first, FRAME_LOGS)
        if len(logs) != self.log_index - first:  # the cursor had left the store's window: not a shared chunk
            return view_payload(logs)
        return _shared(session.sim.log_store, (epoch, first, self.log_index), view_payload, logs)

    def _new_traces(self, session: LocalSession, full: bool) -> list:
        since = None if full else self.trace_t
        found = session.traces(since=since, limit=FRAME_TRACES)
        fresh = [tr for tr in reversed(found) if tr.trace_id not in self.trace_ids]
        if fresh:
            newest = max(tr.t for tr in fresh)
            if newest > self.trace_t:
                self.trace_t, self.trace_ids = newest, set()
            self.trace_ids |= {tr.trace_id for tr in fresh if tr.t == self.trace_t}
        return fresh

    @staticmethod
    def _stores(session: LocalSession) -> dict[str, Any]:
        return {"service": session.sim.series, "split": session.sim.recorder.instance_series}

    def _series_lost(self, session: LocalSession) -> bool:
        """A seat whose metric cursor fell out of the ring buffers (it was far behind)."""
        return any(
            key in self.steps and self.steps[key] < store.steps - store.capacity
            for key, store in self._stores(session).items()
        )

    @staticmethod
    def _snapshot_start(store: Any) -> int:
        """The first sample a snapshot sends of ``store``: the last hour's."""
        keep = min(store.capacity, int(SNAPSHOT_SECONDS / store.interval))
        return max(0, store.steps - keep)

    def _before(self, session: LocalSession, key: str, budget: int) -> Encoded | None:
        """The next chunk (at most ``budget`` values) of the quiet run's samples before t=0 for store
        ``key``, at their times before t=0; None once they are all sent."""
        warmup = session.sim.warmup
        store = warmup.stores()[key]
        total = warmup.steps_before_start(store)
        first = self.before[key]
        if first >= total:
            del self.before[key]
            return None
        names = store.names()
        last = min(total, first + max(1, budget // max(1, len(names))))
        self.before[key] = last
        chunks = _WARMUP_CHUNKS.setdefault(store, {})
        chunk = chunks.get((first, last))
        if chunk is None:
            part = self._chunk(store, names, first, last)
            part["t0"] -= warmup.seconds  # the quiet run's clock ends at the session's t=0
            chunk = chunks[(first, last)] = Encoded(part)
        return chunk

    @staticmethod
    def _chunk(store: Any, names: list[str], first: int, last: int) -> dict[str, Any]:
        """Samples ``first`` to ``last - 1`` of ``store``'s series ``names``, as a state frame carries them."""
        values = {name: store.samples(name, first, last - 1) for name in names}
        return {"t0": store.time_of(first), "dt": store.interval, "n": last - first, "values": values}

    def _samples(self, session: LocalSession, epoch: int) -> tuple[dict[str, Any], bool]:
        out, more = {}, False
        budget = FRAME_SAMPLES // len(self._stores(session))
        for key in list(self.before):
            # The minutes before t=0 go first (the mirror appends samples in time order), even while the
            # session has no sample of its own yet: a seat that joins at t=0 sees normal at once.
            chunk = self._before(session, key, budget)
            if chunk is not None:
                out[key] = chunk
                more = True
        stores = [(k, s) for k, s in self._stores(session).items() if s.t0 is not None and s.steps > 0]
        for key, store in stores:
            if key in out:
                continue
            first = self.steps.get(key, self._snapshot_start(store))
            first = max(first, store.steps - store.capacity)
            if first >= store.steps:
                continue
            names = store.names()
            last = min(store.steps, first + max(1, budget // max(1, len(names))))
            more |= last < store.steps
            # Samples already taken never change; a series that starts later adds a name (NaN before it).
            out[key] = _shared(store, (epoch, first, last, len(names)), self._chunk, store, names, first, last)
            self.steps[key] = last
        return out, more
