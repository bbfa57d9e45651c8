"""The Simulation: one SimPy environment, the world, telemetry, alerts, the incident and the journal.

Its API is the only thing views touch: ``advance(dt)``, ``run_until(t)``, ``apply(action)``, read-only
queries, ``score()``. One tick process recomputes the world each step; everything that happens at a
time (fault onsets, rollouts, back-off, ejection, alert windows, escalation, noise) is its own process.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Generator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import simpy

from scenarios.language.actions import MITIGATION_ACTIONS, Action
from scenarios.language.scenario import Scenario
from simulator.diagnostics.desk import ProfileDesk, ProfileRequest
from simulator.incident.actions import ActionDispatcher
from simulator.incident.process import IncidentState, SliTracker
from simulator.incident.resolution import ResolutionJudge
from simulator.incident.scoring import STATUS_UPDATE_EXPECTED_AFTER, Report, _round, grade_for, outcome_of, role_parts
from simulator.session.journal import Journal
from simulator.telemetry.alerts import AlertEngine
from simulator.telemetry.logs import LogGenerator, LogStore
from simulator.telemetry.recorder import MetricsRecorder, split_name, store_of
from simulator.telemetry.series import Series
from simulator.telemetry.traces import TraceGenerator, TraceStore
from simulator.views import (
    ActionResult,
    AlertView,
    ChangeRecord,
    IncidentView,
    InstanceView,
    LogRecord,
    MessageView,
    Operation,
    PageView,
    RunbookView,
    ServiceView,
    TimelineEvent,
    Trace,
)
from simulator.world.cluster import Cluster, OperationTracker
from simulator.world.faults import FaultBook
from simulator.world.model import TickModel
from simulator.world.rng import RandomStreams
from simulator.world.state import RUNNING, ServiceState, World, topological_order
from simulator.world.traffic import TrafficModel

try:
    TOOL_VERSION = version("misfortune")
except PackageNotFoundError:  # running from a checkout that was never installed
    TOOL_VERSION = "0.0.0+checkout"


class Simulation:
    """A deterministic run of one scenario with one seed."""

    def __init__(self, scenario: Scenario, seed: int = 0, journal: Journal | None = None) -> None:
        scenario = scenario.for_seed(seed)  # the seed picks the variant (which zone, which service...)
        self.scenario = scenario
        self.seed = seed
        self.journal = journal
        self.env = simpy.Environment()
        self.rng = RandomStreams(seed)
        self.tick = scenario.tick
        self.incident = IncidentState()
        self.changes: list[ChangeRecord] = []
        self.operations = OperationTracker()
        self.looks: list[dict[str, Any]] = []
        """What seats looked at, in order (also in the journal)."""
        self.injected_alerts: set[str] = set()
        """Alerts a facilitator injected: distractions, never the incident's first page."""
        self.ended_at: float | None = None
        self.end_reason: str | None = None

        self.world = self._build_world()
        capacity = int(min(scenario.duration, 8 * 3600.0) / self.tick) + 2
        self.recorder = MetricsRecorder(self.world, self.tick, capacity, capacity // 5 + 2, scenario.entry_service)
        self.series = self.recorder.series
        self.log_store = LogStore()
        self.log_gen = LogGenerator(self.world, self.log_store, self.rng["logs"], scenario.entry_service)
        self.trace_store = TraceStore()
        self.traces_gen = TraceGenerator(
            self.world, scenario.entry_service, self.trace_store, self.log_gen, self.rng["traces"]
        )
        self.cluster = Cluster(
            self.env, self.world, self.log_gen, self.rng, self.changes, self.operations, self._system_event
        )
        self.model = TickModel(self.world, scenario.entry_service)
        self.traffic = TrafficModel(scenario.traffic, self.rng["traffic"])
        self.sli = SliTracker(scenario, self.series)
        self.alerts = AlertEngine(
            self.env, scenario, self.series, self._alert_event, scenario.primary, self.recorder.instance_series
        )
        self._place_initial_instances()
        self._apply_history()
        self.faults = FaultBook(scenario.faults, self.cluster, self.rng, self._system_event)
        self.cluster.fault_effects = self.faults.refresh
        self.log_gen.surge_routes = {f.client: f.route for f in scenario.faults if f.type == "traffic_surge"}
        for inst in self.world.all_instances():
            self.faults.refresh(inst)
        self.judge = ResolutionJudge(scenario, self.world, self.sli, self.env)
        self.dispatcher = ActionDispatcher(self)
        self.profiler = ProfileDesk(self)
        self._start_noise()
        self._start_hints()
        self.env.process(self._tick_forever())

    # --- construction ------------------------------------------------------------------------

    def _build_world(self) -> World:
        sc = self.scenario
        services = {
            spec.name: ServiceState(
                spec=spec,
                version=spec.version,
                config=spec.config,
                memory_limit=spec.memory.limit,
                desired=spec.replicas,
                cert_expires_at=spec.cert_days_left * 86400.0,
                primary_zone=spec.primary_zone,
                hit=spec.hit_ratio if spec.cache_for else 0.0,
                sigma=spec.latency_spread,
                p50=spec.latency_ms,
                p95=spec.latency_ms * 3.7,
                p99=spec.latency_ms * 6.4,
            )
            for spec in sc.topology.services
        }
        return World(
            zones=list(sc.topology.zones),
            services=services,
            order=topological_order(sc.topology.services),
            flags={f.name: f.enabled for f in sc.topology.flags},
        )

    def _place_initial_instances(self) -> None:
        zones = self.world.zones
        last_deploy = {}
        for ch in self.scenario.history:
            if ch.deploy and ch.at <= 0:
                last_deploy[ch.deploy.service] = max(ch.at, last_deploy.get(ch.deploy.service, ch.at))
        for k, s in enumerate(self.world.services.values()):
            for i in range(s.spec.replicas):
                inst = self.cluster.new_instance(s, zones[(i + k) % len(zones)], ready_now=True)
                # Instances date from the service's last deploy (rolled out one every ~25 s), else hours ago.
                deployed = last_deploy.get(s.name)
                inst.started_at = deployed + 25.0 * i if deployed is not None else -3600.0 * (1 + (i % 5))

    def _apply_history(self) -> None:
        """Put pre-incident changes in the change log; the version/config in effect is the spec's."""
        for ch in sorted(self.scenario.history, key=lambda c: c.at):
            if ch.at > 0:
                self.env.process(self._change_later(ch))
                continue
            self._record_history(ch)

    def _record_history(self, ch) -> None:
        if ch.deploy:
            s = self.world.services[ch.deploy.service]
            before = ch.deploy.from_ or (s.version_history[-1] if s.version_history else "")
            if ch.deploy.to == s.version and before and before not in s.version_history:
                s.version_history.append(before)
            self.changes.append(
                ChangeRecord(
                    ch.at,
                    "deploy",
                    s.name,
                    f"deploy {s.name} {before} -> {ch.deploy.to}",
                    ch.deploy.by,
                    before,
                    ch.deploy.to,
                )
            )
        elif ch.config:
            s = self.world.services[ch.config.service]
            before = ch.config.from_ or ""
            if ch.config.to == s.config and before and before not in s.config_history:
                s.config_history.append(before)
            self.changes.append(
                ChangeRecord(
                    ch.at,
                    "config",
                    s.name,
                    ch.config.summary or f"config {before} -> {ch.config.to}",
                    ch.config.by,
                    before,
                    ch.config.to,
                )
            )
        elif ch.flag:
            self.changes.append(
                ChangeRecord(
                    ch.at,
                    "flag",
                    "",
                    f"flag {ch.flag.flag} -> {'on' if ch.flag.enabled else 'off'}",
                    ch.flag.by,
                    "",
                    str(ch.flag.enabled).lower(),
                )
            )

    def _change_later(self, ch) -> Generator:
        yield self.env.timeout(ch.at)
        self._apply_change(ch, ch.deploy, ch.config, ch.flag)

    def _apply_change(self, _source, deploy, config, flag) -> None:
        """A change happening during the run (history after t=0 or a noise change): it really rolls out."""
        if deploy is not None:
            s = self.world.services[deploy.service]
            self.cluster.record_change(
                "deploy", s.name, f"deploy {s.name} {s.version} -> {deploy.to}", deploy.by, s.version, deploy.to
            )
            self.cluster.rollout(s, deploy.to, "deploy", deploy.by)
        elif config is not None:
            s = self.world.services[config.service]
            self.cluster.push_config(s, config.to, config.by, config.summary, 20.0)
        elif flag is not None:
            self.set_flag(flag.flag, flag.enabled)
            self.cluster.record_change(
                "flag",
                "",
                f"flag {flag.flag} -> {'on' if flag.enabled else 'off'}",
                flag.by,
                "",
                str(flag.enabled).lower(),
            )

    def set_flag(self, name: str, enabled: bool) -> None:
        """Flip a feature flag in the world and recompute what depends on it."""
        self.world.flags[name] = enabled
        if not enabled:
            self.world.flag_off_at[name] = self.env.now
        self.faults.refresh_services()  # also marks every service for recomputation (retry flags)

    def _start_noise(self) -> None:
        for item in self.scenario.noise:
            self.env.process(self._noise(item))

    def _noise(self, item) -> Generator:
        if item.at > 0:
            yield self.env.timeout(item.at)
        if item.deploy or item.config or item.flag:
            self._apply_change(item, item.deploy, item.config, item.flag)
        elif item.alert:
            a = item.alert
            self.alerts.fire_noise(a.name, a.service, a.severity, a.summary, a.lasts)
        elif item.traffic:
            self.world.traffic_factor *= item.traffic.factor
            yield self.env.timeout(item.traffic.lasts)
            self.world.traffic_factor /= item.traffic.factor
        elif item.log:
            rng = self.rng["noise-logs"]
            s = self.world.services[item.log.service]
            while True:
                running = [i for i in s.instances if i.state == RUNNING]
                if running:
                    self.log_gen.emit(
                        self.env.now, item.log.level, running[int(rng.random() * len(running))], item.log.message
                    )
                yield self.env.timeout(rng.expovariate(1.0 / item.log.every))

    def _start_hints(self) -> None:
        for hint in self.scenario.hints:
            self.env.process(self._hint(hint.after, hint.text))
        for message in self.scenario.messages:
            self.env.process(self._message(message))

    def _message(self, message) -> Generator:
        if message.at > 0:
            yield self.env.timeout(message.at)
        self.deliver_message(MessageView(self.env.now, message.from_, message.channel, message.text))

    def deliver_message(self, view: MessageView) -> None:
        """A message arrives (timed by the scenario, or injected by a facilitator)."""
        self.incident.messages.append(view)
        self.incident.log(view.t, "system", "message", f"{view.channel} from {view.sender}: {view.text}")

    def _hint(self, after: float, text: str) -> Generator:
        yield self.env.timeout(after)
        self.release_hint(text)

    def release_hint(self, text: str) -> bool:
        """Show a hint now; False if it was already released (a facilitator may release one early)."""
        if any(released == text for _, released in self.incident.hints):
            return False
        self.incident.hints.append((self.env.now, text))
        self.incident.log(self.env.now, "system", "hint", text)
        return True

    def _system_event(self, t: float, kind: str, text: str) -> None:
        self.incident.log(t, "system", kind, text)

    def _alert_event(self, t: float, kind: str, text: str) -> None:
        self.incident.log(t, "system", kind, text)

    # --- the clock ---------------------------------------------------------------------------

    def _tick_forever(self) -> Generator:
        dt = self.tick
        env = self.env
        while True:
            yield env.timeout(dt)
            self.step(env.now, dt)

    def step(self, t: float, dt: float) -> None:
        """One tick: model, OOM kills, full disks, metrics, logs, traces, SLI."""
        world = self.world
        world.now = t
        user_rate = self.traffic.rate(t) * world.traffic_factor
        surges = self.faults.surges(t, user_rate) if self.faults.has_surges else None
        world.surges = surges or {}
        world.user_rate = user_rate
        calls = {c: self.faults.surge_profile(c)[1] for c in surges} if surges else None
        self.model.step(dt, user_rate, surges, calls)
        for inst in list(self.model.oom):
            self.faults.oom_kill(inst)
        for inst in list(self.model.disk_full):
            self.faults.disk_full(inst)
        for s in world.services.values():
            s.req_total += s.rate * dt
            s.err_total += s.errors * dt
            s.lost_total += s.lost * dt
            s.excluded_total += s.excluded * dt
        self.recorder.record(t)
        self.log_gen.tick(t, dt)
        self.traces_gen.tick(t, dt)
        self.sli.update(t)

    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return self.env.now

    @property
    def finished(self) -> bool:
        """True once the incident is resolved or the scenario's time is up."""
        return self.incident.state == "resolved" or self.env.now >= self.scenario.duration

    def advance(self, dt: float) -> None:
        """Move simulated time forward by ``dt`` seconds (stops at the scenario's end)."""
        self.run_until(self.env.now + dt)

    def run_until(self, t: float) -> None:
        """Run the simulation up to simulated time ``t`` (no further than the scenario's duration)."""
        target = min(t, self.scenario.duration)
        if self.incident.state == "resolved" or target <= self.env.now:
            return
        # The tick loop allocates many small objects (log lines, spans) but makes few reference
        # cycles; pausing the cyclic collector meanwhile saves a quarter of the time. Cycles are
        # collected as usual once the run returns.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=target)
        finally:
            if collecting:
                gc.enable()

    # --- actions -----------------------------------------------------------------------------

    def apply(self, action: Action, seat: str = "trainee") -> ActionResult:
        """Apply an action now; rejected actions change nothing. Journalled either way."""
        result = self.dispatcher.apply(action, seat)
        if self.journal is not None:
            self.journal.action(self.env.now, seat, action, result.accepted, result.message)
        if self.incident.state == "resolved":
            self.end("resolved")  # after the resolve itself is journalled: the end record comes last
        return result

    def look(self, what: str, seat: str = "trainee", **detail: Any) -> None:
        """Record what a seat looked at (the investigation path; replay ignores it)."""
        if what != "checkpoint":
            self.looks.append({"t": self.env.now, "seat": seat, "what": what, **detail})
        if self.journal is not None:
            self.journal.look(self.env.now, seat, what, **detail)

    def take_profile(self, kind: str, instance: str, seconds: float = 30.0, seat: str = "trainee") -> ProfileRequest:
        """Start a CPU/heap profile, thread dump or crash report of an instance (journalled as a look).

        It takes simulated time (a 30 s CPU profile: 30 s) and is ready, covering the window that ends
        then, at ``ready_at``. Raises simulator.diagnostics.profiles.ProfileError for an unknown kind or instance.
        """
        return self.profiler.request(kind, instance, seconds, seat)

    def profile_request(self, request_id: int) -> ProfileRequest | None:
        """A profile request by id (its ``result`` is set once it is ready)."""
        return self.profiler.get(request_id)

    def end(self, reason: str) -> None:
        """Mark the session ended (journalled)."""
        if self.ended_at is None:
            self.ended_at = self.env.now
            self.end_reason = reason
            if self.journal is not None:
                self.journal.end(self.env.now, reason)

    # --- queries -----------------------------------------------------------------------------

    def service_names(self) -> list[str]:
        """Services in topological order (entry first)."""
        return list(self.world.order)

    def services(self) -> list[ServiceView]:
        """Every service's current state."""
        return [self._service_view(self.world.services[n]) for n in self.world.order]

    def _service_view(self, s: ServiceState) -> ServiceView:
        versions: dict[str, int] = {}
        configs: dict[str, int] = {}
        ready = 0
        for i in s.instances:
            versions[i.version] = versions.get(i.version, 0) + 1
            configs[i.config] = configs.get(i.config, 0) + 1
            if i.ready and not i.ejected and (i.broken_since is None or i.gray):  # gray passes health checks
                ready += 1
        return ServiceView(
            s.name,
            s.spec.kind,
            s.spec.owner,
            versions,
            configs,
            s.desired,
            ready,
            s.rate,
            s.error_ratio,
            s.p50,
            s.p95,
            s.p99,
            s.cpu,
            s.memory_ratio,
            s.pool_ratio,
            s.restarts_total,
            dict(s.spec.calls),
            s.rate_limit,
            s.shed * 100.0,
            tuple(sorted(s.fallbacks)),
            s.memory_limit,
        )

    def instances(self, service: str | None = None) -> list[InstanceView]:
        """Live instances, optionally of one service."""
        out = []
        for s in self.world.services.values():
            if service and s.name != service:
                continue
            for i in s.instances:
                out.append(
                    InstanceView(
                        i.id,
                        i.service,
                        i.zone,
                        i.version,
                        i.config,
                        i.state,
                        i.ready,
                        i.ready and not i.ejected and i.zone not in s.drained_zones,
                        (i.broken_since is None or i.gray) and i.state == RUNNING,
                        i.memory if i.state == RUNNING else 0.0,
                        i.memory_limit,
                        i.cpu,
                        i.rate,
                        i.errors / i.rate if i.rate > 0 else 0.0,
                        i.pool_ratio,
                        i.restarts,
                        i.last_exit,
                        i.started_at,
                    )
                )
        return out

    def zones(self) -> list[str]:
        """Zone names."""
        return list(self.world.zones)

    def drained_zones(self, service: str) -> list[str]:
        """Zones drained for a service."""
        return sorted(self.world.services[service].drained_zones)

    def flags(self) -> dict[str, bool]:
        """Feature flags and their states."""
        return dict(self.world.flags)

    def metric(
        self,
        service: str,
        metric: str,
        zone: str | None = None,
        version: str | None = None,
        instance: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> Series:
        """A metric series: per service, per zone or version split, or per instance."""
        if instance is not None:
            return self.recorder.instance_series.window(f"{instance}.{metric}", start, end)
        if zone is not None:
            return self.recorder.instance_series.window(split_name(service, "zone", zone, metric), start, end)
        if version is not None:
            return self.recorder.instance_series.window(split_name(service, "version", version, metric), start, end)
        return self.store_of(metric).window(f"{service}.{metric}", start, end)

    def store_of(self, metric: str):
        """The series store that holds a service-level metric."""
        return self.recorder.instance_series if store_of(metric) == "coarse" else self.series

    def split_values(self, service: str, dimension: str) -> list[str]:
        """Zones or versions a service has split series for."""
        prefix = f"{service}@{dimension}="
        names = self.recorder.instance_series.names()
        return sorted({n[len(prefix) :].rsplit(".", 1)[0] for n in names if n.startswith(prefix)})

    def logs(self, **filters: Any) -> list[LogRecord]:
        """Log lines; see :meth:`LogStore.query` for the filters."""
        return self.log_store.query(**filters)

    def traces(self, **filters: Any) -> list[Trace]:
        """Sampled traces, newest first; see :meth:`TraceStore.query`."""
        return self.trace_store.query(**filters)

    def trace(self, trace_id: str) -> Trace | None:
        """One trace by id."""
        return self.trace_store.get(trace_id)

    def change_log(self) -> list[ChangeRecord]:
        """Deploys, config pushes, flag flips, scaling and drains, oldest first (history included)."""
        return sorted(self.changes, key=lambda c: c.t)

    def alert_list(self, include_resolved: bool = True) -> list[AlertView]:
        """Pending and firing alerts (then resolved ones)."""
        return self.alerts.alerts(include_resolved)

    def pages(self) -> list[PageView]:
        """Pages sent so far."""
        return [p.view() for p in self.alerts.pages]

    def operation_list(self) -> list[Operation]:
        """Operations started (rollouts, pushes, drains) with their progress."""
        return [Operation(**op) for op in self.operations.items]

    def timeline(self) -> list[TimelineEvent]:
        """Everything that happened, system and responders, in time order."""
        return sorted(self.incident.timeline, key=lambda e: e.t)

    def incident_view(self) -> IncidentView:
        """Severity, roles, comms, hypotheses."""
        return self.incident.view()

    def sli_status(self) -> dict[str, Any]:
        """The user-facing SLI now: availability over the SLI window, breach, healthy streak."""
        return {
            "service": self.scenario.slo.service,
            "availability": self.sli.availability,
            "objective": self.sli.objective,
            "breaching": self.sli.breaching,
            "impact_start": self.sli.impact_start,
            "healthy_for": self.sli.healthy_streak(self.env.now),
            "budget_burned_pct": self.budget_burned_pct(),
        }

    def budget_burned_pct(self) -> float:
        """Share of the SLO window's error budget consumed since impact start, in percent."""
        return self.failed_requests() / self._budget_requests() * 100.0

    def _budget_requests(self) -> float:
        slo = self.scenario.slo
        return max((1.0 - slo.availability / 100.0) * self.scenario.traffic.base_rps * slo.window, 1.0)

    def failed_requests(self) -> float:
        """Failed user-facing requests since impact start."""
        start = self.sli.impact_start
        if start is None:
            return 0.0
        failed = 0.0
        for counter, sign in (("err_total", 1.0), ("lost_total", 1.0), ("excluded_total", -1.0)):
            name = f"{self.scenario.slo.service}.{counter}"
            before = self.series.value_at(name, start - self.tick)
            failed += sign * (self.series.latest(name) - (0.0 if math.isnan(before) else before))
        return max(failed, 0.0)

    def messages(self) -> list[MessageView]:
        """Messages from colleagues, stakeholders and tickets that have arrived."""
        return list(self.incident.messages)

    def runbooks(self) -> list[RunbookView]:
        """The team's runbooks (whether one is stale is for the trainee to notice)."""
        return [RunbookView(r.service, r.title, r.body) for r in self.scenario.runbooks]

    def hidden_truth(self) -> dict[str, Any]:
        """Faults with actual onsets, root cause and solution: for debriefs and facilitators only."""
        sc = self.scenario
        return {
            "variant": sc.chosen,
            "messages": [m.model_dump(mode="json", by_alias=True) for m in sc.messages],
            "evidence": [e.model_dump(mode="json") for e in sc.evidence],
            "stale_runbooks": [r.service for r in sc.runbooks if r.stale],
            "faults": self.faults.describe(),
            "root_cause": sc.root_cause.model_dump(mode="json"),
            "solution": [a.model_dump(mode="json", exclude_none=True) for a in sc.solution],
            "traps": [t.model_dump(mode="json") for t in sc.traps],
        }

    # --- scoring -----------------------------------------------------------------------------

    def score(self) -> Report:
        """The report as of now (final once the session has ended)."""
        sc = self.scenario
        impact = self.sli.impact_start
        noise = {n.alert.name for n in sc.noise if n.alert} | self.injected_alerts
        pages = [p for p in self.alerts.pages if p.alert not in noise]
        first_page = pages[0] if pages else None
        ttd = tta = ttm = ttr = None
        if impact is not None and first_page is not None:
            ttd = max(first_page.t - impact, 0.0)
        if first_page is not None and first_page.acked_at is not None:
            tta = first_page.acked_at - first_page.t
        if impact is not None and self.sli.mitigated_at is not None:
            ttm = self.sli.mitigated_at - impact
        resolved = self.incident.state == "resolved"
        end = self.ended_at if self.ended_at is not None else self.env.now
        if resolved and impact is not None:
            ttr = self.incident.resolved_at - impact
        settled = self.sli.healthy_streak(end) >= 2.0 * sc.resolution.healthy_for
        outcome = outcome_of(resolved, settled and self.sli.mitigated_at is not None, impact is not None)
        penalties = [f"harmful action at {t:.0f}s: {name}: {why}" for t, name, why in self.incident.harmful]
        if first_page is not None and (tta is None or tta > sc.alerting.ack_timeout):
            penalties.append("page not acknowledged within the acknowledgement SLA")
        if impact is not None and end - impact > STATUS_UPDATE_EXPECTED_AFTER and not self.incident.status_updates:
            penalties.append("no status update in an incident longer than 30 minutes")
        roles = role_parts(self.incident.timeline, impact, end, MITIGATION_ACTIONS)
        if roles.get("imoc", {}).get("hands_on"):
            hands_on = ", ".join(roles["imoc"]["hands_on"])
            penalties.append(f"the IMOC debugged hands-on instead of coordinating: {hands_on}")
        par = sc.par
        return Report(
            scenario=sc.id,
            seed=self.seed,
            outcome=outcome,
            impact_start_s=_round(impact),
            ttd_s=_round(ttd),
            tta_s=_round(tta),
            ttm_s=_round(ttm),
            ttr_s=_round(ttr),
            error_budget_burned_pct=round(self.budget_burned_pct(), 3),
            failed_requests=int(round(self.failed_requests())),
            harmful_actions=len(self.incident.harmful),
            grade=grade_for(outcome, ttr, par.ttr, len(penalties)),
            ended_at_s=round(end, 1),
            par={"tta_s": par.tta, "ttm_s": par.ttm, "ttr_s": par.ttr},
            severity_declared=self.incident.severity,
            severity_expected=sc.postmortem.expected_severity,
            harmful=[{"t": round(t, 1), "action": name, "why": why} for t, name, why in self.incident.harmful],
            premature_resolves=len(self.incident.premature_resolves),
            status_updates=len(self.incident.status_updates),
            escalations=len(self.incident.escalations),
            hypotheses=len(self.incident.hypotheses),
            pages=len(self.alerts.pages),
            penalties=penalties,
            tool_version=TOOL_VERSION,
            roles=roles,
        )
