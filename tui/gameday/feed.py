"""What the host sends one seat: a welcome snapshot, then deltas, built only from SessionPort views.

Every value goes through :func:`tui.gameday.protocol.view_payload`, which accepts nothing but the view
records a single-player trainee sees; metrics come from the telemetry stores as raw samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tui.gameday.protocol import view_payload
from tui.session import LocalSession

SNAPSHOT_SECONDS = 3600.0
"""Metrics history a (re)joining seat receives: the last hour."""
SNAPSHOT_LOGS = 20_000
SNAPSHOT_TRACES = 500


@dataclass
class SeatFeed:
    """Cursors of what one seat already has; ``delta`` sends the rest."""

    epoch: int = -1
    log_index: int = 0
    trace_t: float = -math.inf
    trace_ids: set[str] = field(default_factory=set)
    steps: dict[str, int] = field(default_factory=dict)

    def welcome(self, session: LocalSession) -> dict[str, Any]:
        """What never changes during a session: the briefing and the runbooks."""
        return {"briefing": view_payload(session.briefing()), "runbooks": view_payload(session.runbooks())}

    def delta(self, session: LocalSession, epoch: int, speed: float) -> dict[str, Any]:
        """A state frame: the views as they are now, and logs, traces and samples the seat lacks."""
        full = epoch != self.epoch
        if full:  # first push, or the facilitator rewound: start the mirror over
            self.epoch = epoch
            self.log_index = max(0, session.sim.log_store.total - SNAPSHOT_LOGS)
            self.trace_t, self.trace_ids, self.steps = -math.inf, set(), {}
        logs, self.log_index = session.log_tail(self.log_index)
        return {
            "type": "state",
            "epoch": epoch,
            "full": full,
            "now": session.now,
            "speed": speed,
            "finished": session.finished,
            "ended": session.sim.ended_at is not None,
            "views": {
                "services": view_payload(session.services()),
                "instances": view_payload(session.instances()),
                "changes": view_payload(session.change_log()),
                "alerts": view_payload(session.alert_list(True)),
                "pages": view_payload(session.pages()),
                "operations": view_payload(session.operation_list()),
                "timeline": view_payload(session.timeline()),
                "incident": view_payload(session.incident_view()),
                "sli": view_payload(session.sli_status()),
                "flags": view_payload(session.flags()),
                "messages": view_payload(session.messages()),
            },
            "logs": view_payload(logs),
            "traces": view_payload(self._new_traces(session, full)),
            "series": self._samples(session),
        }

    def _new_traces(self, session: LocalSession, full: bool) -> list:
        since = None if full else self.trace_t
        found = session.traces(since=since, limit=SNAPSHOT_TRACES)
        fresh = [tr for tr in reversed(found) if tr.trace_id not in self.trace_ids]
        if fresh:
            newest = max(tr.t for tr in fresh)
            if newest > self.trace_t:
                self.trace_t, self.trace_ids = newest, set()
            self.trace_ids |= {tr.trace_id for tr in fresh if tr.t == self.trace_t}
        return fresh

    def _samples(self, session: LocalSession) -> dict[str, Any]:
        out = {}
        stores = {"service": session.sim.series, "split": session.sim.recorder.instance_series}
        for key, store in stores.items():
            if store.t0 is None or store.steps == 0:
                continue
            keep = min(store.capacity, int(SNAPSHOT_SECONDS / store.interval))
            first = self.steps.get(key, max(0, store.steps - keep))
            first = max(first, store.steps - store.capacity)
            if first >= store.steps:
                continue
            start = store.time_of(first)
            end = store.time_of(store.steps - 1)
            values = {name: list(store.window(name, start, end).values) for name in store.names()}
            out[key] = {"t0": start, "dt": store.interval, "n": store.steps - first, "values": values}
            self.steps[key] = store.steps
        return out
