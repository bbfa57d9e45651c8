"""Alert rules evaluated on the recorded series, pages, and escalation of unacknowledged pages.

Rules are evaluated every ``EVAL_INTERVAL`` simulated seconds, like a Prometheus rule group: a rule whose
condition holds goes pending, fires after its ``for:`` window, and resolves when the condition clears.
A firing page-severity rule pages the on-call; an unacknowledged page escalates after ``ack_timeout``.
The SLO burn-rate rules (multi-window, as in the SRE workbook) are derived from the SLO.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

from scenarios.durations import format_clock
from scenarios.language.incident import AlertRule
from scenarios.language.scenario import Scenario
from simulator.telemetry.recorder import store_of
from simulator.telemetry.series import SeriesStore
from simulator.views import AlertView, PageView

EVAL_INTERVAL = 15.0


@dataclass
class _RuleState:
    name: str
    service: str
    severity: str
    summary: str
    check: Callable[[float], tuple[bool, float]]
    for_s: float
    state: str = "inactive"
    since: float = 0.0
    fired_at: float | None = None
    resolved_at: float | None = None
    value: float = 0.0
    noise: bool = False


@dataclass
class Page:
    """A page: mutable inside the engine, exported as PageView."""

    number: int
    alert: str
    severity: str
    t: float
    to: str
    acked_at: float | None = None
    escalated_at: float | None = None

    def view(self) -> PageView:
        """Immutable copy."""
        return PageView(self.number, self.alert, self.severity, self.t, self.acked_at, self.escalated_at, self.to)


@dataclass
class _BurnCheck:
    """A multi-window burn-rate condition (an object, not a closure: a snapshot's copy rebinds its store)."""

    series: SeriesStore
    req: str
    err: str
    threshold: float
    short: float
    long: float

    def _ratio(self, now: float, window: float) -> float:
        start = max(self.series.t0 or 0.0, now - window)
        r0, r1 = self.series.value_at(self.req, start), self.series.latest(self.req)
        e0, e1 = self.series.value_at(self.err, start), self.series.latest(self.err)
        if math.isnan(r0) or r1 - r0 <= 0:
            return 0.0
        return (e1 - e0) / (r1 - r0)

    def __call__(self, now: float) -> tuple[bool, float]:
        short_ratio = self._ratio(now, self.short)
        return short_ratio > self.threshold and self._ratio(now, self.long) > self.threshold, short_ratio


@dataclass
class _ThresholdCheck:
    """A metric's mean (a counter's increase) over a window against a threshold (an object, as above)."""

    store: SeriesStore
    name: str
    counter: bool
    op: str
    threshold: float
    window: float

    def __call__(self, now: float) -> tuple[bool, float]:
        count, total, first, last = self.store.summary(self.name, now - self.window, now)
        if not count:
            return False, 0.0
        # Counters (restarts) alert on their increase over the window, gauges on their mean.
        mean = last - first if self.counter else total / count
        return (mean > self.threshold) if self.op == ">" else (mean < self.threshold), mean


class AlertEngine:
    """Evaluates rules, keeps alert history, sends and escalates pages."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        series: SeriesStore,
        timeline,
        primary: str,
        coarse: SeriesStore | None = None,
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.series = series
        self.coarse = coarse or series
        """Store of the slow metrics (memory, readiness, restarts, disk, ...)."""
        self.timeline = timeline
        self.primary = primary
        self.rules: list[_RuleState] = []
        self.history: list[AlertView] = []
        self.pages: list[Page] = []
        self.tool_down: Callable[[str], bool] | None = None
        """Whether one of the team's tools (alerting, pager) is down now (observability that shares fate)."""
        self.held: list[tuple[str, str, float]] = []
        """Pages that could not be sent while the pager was down: (alert, severity, when it fired)."""
        self._build_rules()
        env.process(self._evaluate_forever())

    # --- rules -------------------------------------------------------------------------------

    def _build_rules(self) -> None:
        sc = self.scenario
        slo = sc.slo
        budget = 1.0 - slo.availability / 100.0
        if sc.alerting.slo_burn_alerts:
            fast = 14.4 * budget
            slow = 6.0 * budget
            self.rules.append(
                _RuleState(
                    f"SLOBurnRateFast {slo.service}",
                    slo.service,
                    "page",
                    f"{slo.service} is burning its error budget 14.4x too fast (5m and 1h windows)",
                    self._burn_check(slo.service, fast, 300.0, 3600.0),
                    120.0,
                )
            )
            self.rules.append(
                _RuleState(
                    f"SLOBurnRateSlow {slo.service}",
                    slo.service,
                    "ticket",
                    f"{slo.service} is burning its error budget 6x too fast (30m and 6h windows)",
                    self._burn_check(slo.service, slow, 1800.0, 21600.0),
                    900.0,
                )
            )
            if slo.latency_p99_ms:
                self.rules.append(
                    _RuleState(
                        f"LatencySLO {slo.service}",
                        slo.service,
                        "page",
                        f"{slo.service} p99 latency above {slo.latency_p99_ms:g} ms",
                        self._threshold_check(slo.service, "p99_ms", ">", slo.latency_p99_ms, 300.0),
                        300.0,
                    )
                )
        for rule in sc.alerting.rules:
            self.rules.append(self._from_rule(rule))

    def _from_rule(self, rule: AlertRule) -> _RuleState:
        if rule.metric == "ready_ratio":
            desired = self.scenario.service(rule.service).replicas
            check = self._threshold_check(rule.service, "ready", rule.op, rule.threshold * desired, rule.window)
        else:
            check = self._threshold_check(rule.service, rule.metric, rule.op, rule.threshold, rule.window)
        return _RuleState(
            rule.name,
            rule.service,
            rule.severity,
            rule.summary or f"{rule.service} {rule.metric} {rule.op} {rule.threshold:g}",
            check,
            rule.for_,
        )

    def _burn_check(self, service: str, threshold: float, short: float, long: float) -> _BurnCheck:
        return _BurnCheck(self.series, f"{service}.req_total", f"{service}.err_total", threshold, short, long)

    def _threshold_check(self, service: str, metric: str, op: str, threshold: float, window: float) -> _ThresholdCheck:
        store = self.coarse if store_of(metric) == "coarse" else self.series
        return _ThresholdCheck(store, f"{service}.{metric}", metric == "restarts", op, threshold, window)

    # --- evaluation --------------------------------------------------------------------------

    def _evaluate_forever(self) -> Generator:
        while True:
            yield self.env.timeout(EVAL_INTERVAL)
            self.evaluate(self.env.now)

    def evaluate(self, now: float) -> None:
        """One evaluation round of every non-noise rule (none while the alert evaluator is down)."""
        if self.tool_down is not None and self.tool_down("alerting"):
            return
        for rule in self.rules:
            if rule.noise:
                continue
            holds, value = rule.check(now)
            rule.value = value
            self._transition(rule, holds, now)

    def _transition(self, rule: _RuleState, holds: bool, now: float) -> None:
        if holds and rule.state in ("inactive", "resolved"):
            rule.state, rule.since = "pending", now
        if holds and rule.state == "pending" and now - rule.since >= rule.for_s:
            rule.state, rule.since, rule.fired_at, rule.resolved_at = "firing", now, now, None
            self.timeline(now, "alert", f"{rule.name} firing: {rule.summary}")
            if rule.severity == "page":
                self._page_or_hold(rule.name, now)
        elif not holds and rule.state == "pending":
            rule.state, rule.since = "inactive", now
        elif not holds and rule.state == "firing":
            rule.state, rule.since, rule.resolved_at = "resolved", now, now
            self.history.append(self._view(rule))
            self.timeline(now, "alert", f"{rule.name} resolved")

    def fire_noise(self, name: str, service: str, severity: str, summary: str, lasts: float) -> None:
        """Fire an unrelated alert now; it resolves by itself after ``lasts`` (not while the alert
        evaluator, or the metrics its rules read, is down: nothing can fire then)."""
        if self.tool_down is not None and self.tool_down("alerting"):
            return
        rule = _RuleState(name, service, severity, summary, lambda now: (False, 0.0), 0.0, noise=True)
        self.rules.append(rule)
        self._transition(rule, True, self.env.now)
        self._transition(rule, True, self.env.now)

        def clear() -> Generator:
            yield self.env.timeout(lasts)
            self._transition(rule, False, self.env.now)

        self.env.process(clear())

    # --- pages -------------------------------------------------------------------------------

    def _page_or_hold(self, alert: str, now: float) -> None:
        if self.tool_down is not None and self.tool_down("pager"):
            self.held.append((alert, "page", now))
            return
        self.page(alert, "page", now)

    def send_held(self, now: float) -> None:
        """The pager is back: send the pages it held, late."""
        held, self.held = self.held, []
        for alert, severity, fired in held:
            self.page(alert, severity, now)
            late = f"page for {alert} sent late: it fired at {format_clock(fired)} while the pager was down"
            self.timeline(now, "page", late)

    def page(self, alert: str, severity: str, now: float) -> Page:
        """Send a page to the primary and start its escalation timer."""
        page = Page(len(self.pages) + 1, alert, severity, now, self.primary)
        self.pages.append(page)
        self.timeline(now, "page", f"page #{page.number} to {self.primary}: {alert}")
        self.env.process(self._escalate_unacked(page))
        return page

    def _escalate_unacked(self, page: Page) -> Generator:
        yield self.env.timeout(self.scenario.alerting.ack_timeout)
        if page.acked_at is None:
            page.escalated_at = self.env.now
            self.timeline(
                self.env.now,
                "page",
                f"page #{page.number} not acknowledged in time: escalated to {self.scenario.secondary}",
            )

    def ack(self, number: int | None, now: float) -> list[Page]:
        """Acknowledge one page or every open one; returns the pages acknowledged."""
        acked = []
        for page in self.pages:
            if page.acked_at is None and (number is None or page.number == number):
                page.acked_at = now
                acked.append(page)
        return acked

    # --- views -------------------------------------------------------------------------------

    def _view(self, rule: _RuleState) -> AlertView:
        return AlertView(
            rule.name,
            rule.service,
            rule.severity,
            rule.state,
            rule.summary,
            rule.since,
            rule.fired_at,
            rule.resolved_at,
            rule.value,
        )

    def alerts(self, include_resolved: bool = True) -> list[AlertView]:
        """Current alerts (pending and firing), then resolved ones if asked, newest first."""
        live = [self._view(r) for r in self.rules if r.state in ("pending", "firing")]
        live.sort(key=lambda a: (a.state != "firing", -a.since))
        if include_resolved:
            live += list(reversed(self.history))
        return live
