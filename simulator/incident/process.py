"""The incident's process state: severity, roles, comms, hypotheses, the timeline and the SLI tracker."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scenarios.language.scenario import Scenario
from simulator.telemetry.series import SeriesStore
from simulator.views import HypothesisView, IncidentView, MessageView, TimelineEvent


@dataclass
class HypothesisState:
    """A hypothesis, mutable inside the engine."""

    id: int
    t: float
    text: str
    status: str = "open"
    evidence: list[str] = field(default_factory=list)
    decided_at: float | None = None

    def view(self) -> HypothesisView:
        """Immutable copy."""
        return HypothesisView(self.id, self.t, self.text, self.status, tuple(self.evidence), self.decided_at)


@dataclass
class IncidentState:
    """What the responders did and declared."""

    state: str = "open"
    severity: str | None = None
    severity_set_at: float | None = None
    roles: dict[str, str] = field(default_factory=dict)
    status_updates: list[tuple[float, str]] = field(default_factory=list)
    notes: list[tuple[float, str, str]] = field(default_factory=list)
    hypotheses: list[HypothesisState] = field(default_factory=list)
    escalations: list[tuple[float, str]] = field(default_factory=list)
    resolved_at: float | None = None
    premature_resolves: list[float] = field(default_factory=list)
    hints: list[tuple[float, str]] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    messages: list = field(default_factory=list)
    """MessageView of every message that has arrived."""
    harmful: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, action, why)."""
    held_hints: set[str] = field(default_factory=set)
    """Scripted hints a facilitator put off: their own time passes silently (incident.actions releases them)."""
    moved_messages: dict[int, float] = field(default_factory=dict)
    """Scripted messages a facilitator moved (index -> new arrival time): their own time passes silently."""
    severity_for_all: str | None = None
    """Severity declared without naming an incident: every incident without one of its own has it."""
    incident_severity: dict[int, str] = field(default_factory=dict)
    """Severity declared for one incident (by number); ``severity`` is the latest declared for any."""
    incident_roles: dict[int, dict[str, str]] = field(default_factory=dict)
    """Role holders named for one incident (by number); ``roles`` are the session's, for every incident."""

    def log(self, t: float, source: str, kind: str, text: str) -> None:
        """Add a timeline event."""
        self.timeline.append(TimelineEvent(t, source, kind, text))

    def deliver(self, view: MessageView) -> None:
        """A message arrives (timed by the scenario, or injected by a facilitator)."""
        self.messages.append(view)
        self.log(view.t, "system", "message", f"{view.channel} from {view.sender}: {view.text}")

    def release_hint(self, t: float, text: str) -> bool:
        """Show a hint at ``t``; False if it was already released (a facilitator may release one early)."""
        if any(released == text for _, released in self.hints):
            return False
        self.hints.append((t, text))
        self.log(t, "system", "hint", text)
        return True

    def view(self) -> IncidentView:
        """Immutable copy."""
        return IncidentView(
            self.state,
            self.severity,
            dict(self.roles),
            tuple(self.status_updates),
            tuple(self.notes),
            tuple(h.view() for h in self.hypotheses),
            self.resolved_at,
            tuple(self.escalations),
            tuple(self.hints),
            incident_severity=dict(self.incident_severity),
            incident_roles={n: dict(r) for n, r in self.incident_roles.items()},
            severity_for_all=self.severity_for_all,
        )


DOWN_AVAILABILITY = 0.5
"""Below this availability the service counts as down for the severity assessment (most users' requests
fail: "users cannot use it"), as opposed to degraded (the objective broken, or p99 over its objective)."""
HEALTHY, DEGRADED, DOWN = 0, 1, 2
"""SLI bands the tracker records over time; the sim's own severity assessment reads them."""


class SliTracker:
    """Follows the user-facing SLI every tick: impact start, healthy streaks, mitigation, and the band
    (healthy, degraded, down) it was in over time."""

    def __init__(self, scenario: Scenario, series: SeriesStore, state: Any = None) -> None:
        """``state``: the SLO service's live ServiceState, whose counters the recorder writes into ``series``
        every tick before this tracker's :meth:`update` (None: read everything from ``series``)."""
        slo = scenario.slo
        self.series = series
        self.state = state
        self.service = slo.service
        self.tick = scenario.tick
        # The SLO window's error budget in requests, at the scenario's base traffic (at least one).
        self.budget_requests = max((1.0 - slo.availability / 100.0) * scenario.traffic.base_rps * slo.window, 1.0)
        self.objective = slo.availability / 100.0
        self.latency_ms = slo.latency_p99_ms
        self.window = slo.sli_window
        self.healthy_for = scenario.resolution.healthy_for
        self.req = f"{slo.service}.req_total"
        self.err = f"{slo.service}.err_total"
        self.lost = f"{slo.service}.lost_total"
        self.excluded = f"{slo.service}.excluded_total"
        self.counters = (self.req, self.err, self.lost, self.excluded)
        self.p99 = f"{slo.service}.p99_ms"
        self.impact_start: float | None = None
        self.good_since: float | None = 0.0
        self.mitigated_at: float | None = None
        """Start of the healthy window (at least ``healthy_for`` long) the SLI has stayed in since; reset
        when the SLI breaks again, so a false recovery does not count as mitigation."""
        self.breaching = False
        self.availability = 1.0
        self.bands: list[tuple[float, int]] = [(0.0, HEALTHY)]
        """(time, band) each time the SLI's band changed: a handful of entries per session."""
        self._recent: list[tuple | None] = [None] * (int(self.window / scenario.tick) + 3)
        """The counters of the last samples, (sample number, req, err, lost, excluded) at sample % length:
        what the series hold there, kept here to read the window's start without asking the store."""

    def update(self, t: float) -> None:
        """Judge the SLI at the end of the tick at time ``t``."""
        req, err, lost, excluded = self._changes(t)
        # Requests lost before reaching the service (failed TLS handshakes) count as failed for users;
        # a surge client's requests refused by its own rate limit are not user traffic.
        total = req + lost - excluded
        failed = err + lost - excluded
        availability = 1.0
        if total > 0:
            # min(max(x, 0.0), 1.0), written out (max keeps x unless 0.0 > x; min keeps it unless 1.0 < it).
            availability = 1.0 - failed / total
            if 0.0 > availability:
                availability = 0.0
            if 1.0 < availability:
                availability = 1.0
        self.availability = availability
        breach = availability < self.objective
        if self.latency_ms is not None and self._p99() > self.latency_ms:
            breach = True
        self.breaching = breach
        band = DOWN if availability < DOWN_AVAILABILITY else DEGRADED if breach else HEALTHY
        if band != self.bands[-1][1]:
            self.bands.append((t, band))
        if breach:
            if self.impact_start is None:
                self.impact_start = t
            self.good_since = None
            # The SLI did not stay within objective after all (a gap between OOM kills, a restart's
            # false recovery): mitigation is the start of a healthy window that lasts.
            self.mitigated_at = None
        else:
            if self.good_since is None:
                self.good_since = t
            if self.impact_start is not None and self.mitigated_at is None and t - self.good_since >= self.healthy_for:
                self.mitigated_at = self.good_since

    def _changes(self, t: float) -> tuple[float, float, float, float]:
        """The four counters' increase over the SLI window ending at ``t`` (their values when the window
        reaches before the first sample): ``SeriesStore.changes_since``, the same tests and subtractions,
        with the window's start read from :attr:`_recent` (a call and two lists fewer, every tick)."""
        series, s = self.series, self.state
        if s is None:
            return self._stored_changes(t)
        n = series.steps - 1  # the sample the recorder just wrote: these values
        t0 = series.t0
        if t0 is None or n < 0:
            return self._stored_changes(t)
        req, err, lost, excluded = s.req_total, s.err_total, s.lost_total, s.excluded_total
        recent = self._recent
        size = len(recent)
        recent[n % size] = (n, req, err, lost, excluded)
        k = math.floor((t - self.window - t0) / series.interval + 1e-9)
        if k < max(0, n + 1 - series.capacity) or k > n or k < 0:
            return req, err, lost, excluded  # the window reaches before the first sample: from zero
        old = recent[k % size]
        if old is None or old[0] != k:  # (not kept here: a tick other than the scenario's)
            return self._stored_changes(t)
        d_req = req - old[1]
        if d_req != d_req:  # (NaN: math.isnan without the call)
            return req, err, lost, excluded
        return d_req, err - old[2], lost - old[3], excluded - old[4]

    def _stored_changes(self, t: float) -> tuple[float, float, float, float]:
        """:meth:`_changes` read from the series store."""
        series = self.series
        changes = series.changes_since(self.counters, t - self.window)
        if changes is None or changes[0] != changes[0]:  # (NaN: math.isnan without the call)
            # The window reaches before the first sample: count from zero.
            changes = [series.latest(name) for name in self.counters]
        req, err, lost, excluded = changes
        return req, err, lost, excluded

    def _p99(self) -> float:
        """The SLO service's p99 in the sample just written."""
        return self.state.p99 if self.state is not None else self.series.latest(self.p99)

    def worst_band(self, start: float, end: float) -> int:
        """The worst band the SLI was in between ``start`` and ``end`` (HEALTHY, DEGRADED or DOWN)."""
        worst = HEALTHY
        for (since, band), (until, _) in zip(self.bands, [*self.bands[1:], (float("inf"), HEALTHY)], strict=True):
            if since <= end and until > start:
                worst = max(worst, band)
        return worst

    def healthy_streak(self, t: float) -> float:
        """How long the SLI has been within objective (0 while breaching)."""
        return 0.0 if self.good_since is None else t - self.good_since

    def failed_requests(self) -> float:
        """Failed user-facing requests since impact start."""
        start = self.impact_start
        if start is None:
            return 0.0
        failed = 0.0
        for name, sign in ((self.err, 1.0), (self.lost, 1.0), (self.excluded, -1.0)):
            before = self.series.value_at(name, start - self.tick)
            failed += sign * (self.series.latest(name) - (0.0 if math.isnan(before) else before))
        return max(failed, 0.0)

    def budget_burned_pct(self) -> float:
        """Share of the SLO window's error budget consumed since impact start, in percent."""
        return self.failed_requests() / self.budget_requests * 100.0

    def status(self, t: float) -> dict[str, Any]:
        """The user-facing SLI at ``t``: availability over the SLI window, breach, healthy streak, budget."""
        return {
            "service": self.service,
            "availability": self.availability,
            "objective": self.objective,
            "breaching": self.breaching,
            "impact_start": self.impact_start,
            "healthy_for": self.healthy_streak(t),
            "budget_burned_pct": self.budget_burned_pct(),
        }
