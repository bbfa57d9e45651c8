"""The Simulation: the composition root of one session, and its small public API.

It builds the wings (world, telemetry, diagnostics, incident) for one scenario and seed and wires them
together; views touch only its API: ``advance(dt)``, ``run_until(t)``, ``apply(action)``, read-only
queries, ``score()``. One tick process recomputes the world each step; everything that happens at a
time (fault onsets, rollouts, back-off, ejection, alert windows, escalation, noise) is its own process.
"""

from __future__ import annotations

import gc
from collections.abc import Generator, Mapping
from dataclasses import replace
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

import simpy

from scenarios.language.actions import Action
from scenarios.language.scenario import Scenario
from simulator.diagnostics.desk import ProfileDesk, ProfileRequest
from simulator.incident.actions import ActionDispatcher
from simulator.incident.incidents import group_incidents, incident_entries
from simulator.incident.process import IncidentState, SliTracker
from simulator.incident.resolution import ResolutionJudge
from simulator.incident.scoring import ImpactFacts, Report, report_for
from simulator.session.impact import NobodyActing
from simulator.session.journal import Journal
from simulator.session.script import ScenarioScript, hidden_truth
from simulator.session.warmup import Warmup, with_history
from simulator.telemetry.alerts import AlertEngine
from simulator.telemetry.fate import ToolFate
from simulator.telemetry.logs import LogGenerator
from simulator.telemetry.recorder import MetricsRecorder
from simulator.telemetry.series import Series
from simulator.telemetry.tape import OnDemandLogStore, OnDemandTraceStore, TelemetryTape, UnreadTape
from simulator.telemetry.traces import TraceGenerator
from simulator.views import (
    ActionResult,
    AlertView,
    ChangeRecord,
    Compression,
    IncidentRecord,
    IncidentView,
    InstanceView,
    LogRecord,
    MessageView,
    Operation,
    PageView,
    RunbookView,
    ServiceView,
    TimelineEvent,
    ToolStatus,
    Trace,
)
from simulator.world.classes import TrafficExtras
from simulator.world.cluster import Cluster, OperationTracker
from simulator.world.data import DataPlane
from simulator.world.faults import FaultBook
from simulator.world.model import TickModel
from simulator.world.recovery import RecoveryPacer
from simulator.world.rng import RandomStreams
from simulator.world.settings import SettingsBook
from simulator.world.snapshot import instance_views, service_view
from simulator.world.sources import InternalTraffic
from simulator.world.state import build_world
from simulator.world.traffic import TrafficModel

try:
    TOOL_VERSION = version("misfortune")
except PackageNotFoundError:  # running from a checkout that was never installed
    TOOL_VERSION = "0.0.0+checkout"


class Checkpoints(Protocol):
    """What keeps snapshots of a session as it plays (simulator.session.snapshots.SnapshotBook)."""

    def note(self, sim: Simulation) -> None:
        """Called after each run of the clock: take a snapshot if one is due."""


class Simulation:
    """A deterministic run of one scenario with one seed."""

    def __init__(
        self, scenario: Scenario, seed: int = 0, journal: Journal | None = None, *, telemetry: bool = True
    ) -> None:
        """``telemetry=False``: a run whose logs and traces nobody reads (verify's baselines, the replay with
        nobody acting) keeps none and asking for them raises TelemetryNotKept; everything else is the same."""
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
        self.applied = 0
        """How many actions were applied (accepted or not): a snapshot says which of a journal's it holds."""
        self.checkpoints: Checkpoints | None = None
        """Snapshots kept as the session plays, for rewinds (simulator/session/snapshots.py); None: none kept."""
        self._nobody = NobodyActing(
            lambda: Simulation(scenario, seed, telemetry=False), lambda: (scenario.model_dump_json(), seed)
        )
        """The same seed with nobody acting, built when a report first asks (the impact spared)."""
        self.warmup = Warmup(scenario, seed, Simulation)
        """The system before t=0, for charts (run on first use; see :meth:`history`)."""

        # The order of construction is the order SimPy runs events scheduled for the same time:
        # history, then fault onsets, then noise, hints and messages, then the tick.
        self.world = build_world(scenario.topology)
        capacity = int(min(scenario.duration, 8 * 3600.0) / self.tick) + 2
        self.recorder = MetricsRecorder(self.world, self.tick, capacity, capacity // 5 + 2, scenario.entry_service)
        self.series = self.recorder.series
        # Logs and traces are written on demand (telemetry/tape.py): a run nobody reads pays nothing.
        self.log_store = OnDemandLogStore()
        self.log_gen = LogGenerator(self.world, self.log_store, self.rng["logs"], scenario.entry_service)
        self.trace_store = OnDemandTraceStore(self.log_store.catch_up)
        self.traces_gen = TraceGenerator(
            self.world, scenario.entry_service, self.trace_store, self.log_gen, self.rng["traces"]
        )
        tape = TelemetryTape if telemetry else UnreadTape
        self.tape = self.log_store.tape = tape(self.world, self.log_gen, self.traces_gen)
        self.cluster = Cluster(
            self.env, self.world, self.log_gen, self.rng, self.changes, self.operations, self._system_event
        )
        self.cluster.pacer = RecoveryPacer(self.env, self.world, scenario.recovery)
        self.model = TickModel(self.world, scenario.entry_service)
        self.internal = InternalTraffic(scenario.traffic.sources, self.world)
        self.recorder.sources = self.internal
        self.traffic = TrafficModel(scenario.traffic, self.rng["traffic"])
        self.sli = SliTracker(scenario, self.series, self.world.services[scenario.slo.service])
        self.alerts = AlertEngine(
            self.env, scenario, self.series, self._system_event, scenario.primary, self.recorder.instance_series
        )
        self.fate = ToolFate(self.world, scenario.observability, self._system_event)
        self.alerts.tool_down = self.fate.down
        self.fate.on_back["pager"] = self.alerts.send_held
        # A partial, not a lambda: a snapshot's copy (simulator/session/snapshots.py) rebinds it to its own fate.
        self.log_store.gate = partial(self.fate.blind_at, "logging")
        script = ScenarioScript(
            scenario, self.cluster, self.alerts, self.log_gen, self.rng, self.incident, self.set_flag
        )
        self.settings = SettingsBook(scenario, self.world)
        self.cluster.settings = self.settings
        self.cluster.place_initial(scenario.history)
        self.settings.wire()
        script.start_history()
        self.faults = FaultBook(scenario.faults, self.cluster, self.rng, self._system_event)
        self.cluster.fault_effects = self.faults.refresh
        self.data = DataPlane.build(self.env, self.world, self.log_gen, self._system_event, self.faults)
        self.cluster.data = self.data
        if self.data is not None:  # restores and resyncs keep the scenario's recovery paces
            self.data.pacer = self.cluster.pacer
            self.data.operations = self.operations
        self.extras = TrafficExtras.build(
            self.world, self.model, scenario.entry_service, scenario.traffic.classes, self.log_gen, scenario.traffic.dns
        )
        self.log_gen.surge_routes = {f.client: f.route for f in scenario.faults if f.type == "traffic_surge"}
        self.log_gen.source_routes = {src.name: src.route for src in scenario.traffic.sources}
        self.traces_gen.sources = {src.name: src for src in scenario.traffic.sources}
        for inst in self.world.all_instances():
            self.faults.refresh(inst)
        self.judge = ResolutionJudge(scenario, self.world, self.sli, self.env)
        self.dispatcher = ActionDispatcher(self)
        self.profiler = ProfileDesk(self)
        script.start_noise_hints_and_messages()
        self.env.process(self._tick_forever())

    def _system_event(self, t: float, kind: str, text: str) -> None:
        self.incident.log(t, "system", kind, text)

    # --- the clock ---------------------------------------------------------------------------

    def _tick_forever(self) -> Generator:
        # (Its locals stay dt, env and self: a snapshot re-creates it and checks them, simulator/session/snapshots.py.)
        dt = self.tick
        env = self.env
        while True:
            yield env.timeout(dt)
            self._ticks(env.now, dt)

    def _ticks(self, now: float, dt: float) -> None:
        """The tick at ``now``, then each next one as long as nothing else is due before it.

        Most ticks nothing else is (alerts run every 15 s, faults and rollouts now and then): the next
        tick then runs here, without a SimPy event of its own (its timeout, the heap push and pop and the
        generator's resume were ~3 % of retry-storm's instructions). Only when the next event (another
        process's, or run_until's stop) is strictly later than the next tick: one at the same time may
        come first in SimPy's order, so that tick goes through the queue as before, and so does a tick
        after a step that started a process or scheduled an event. The clock is set as ``Environment.step`` sets it
        (``_now``, simpy pinned to 4.1), to ``now + dt``, the sum ``Environment.schedule`` makes."""
        env = self.env
        step = self.step
        step(now, dt)
        while env.peek() > now + dt:
            now = env._now = now + dt  # noqa: SLF001 (SimPy has no public way to move its clock)
            step(now, dt)

    def step(self, t: float, dt: float) -> None:
        """One tick: model, OOM kills, full disks, metrics, the telemetry tape (logs, traces), SLI."""
        world = self.world
        world.now = t
        user_rate = self.traffic.rate(t) * world.traffic_factor
        surges = self.faults.surges(t, user_rate) if self.faults.has_surges else None
        world.surges = surges or {}
        world.user_rate = user_rate
        calls = {c: self.faults.surge_profile(c)[1] for c in surges} if surges else None
        if self.internal.sources:
            world.internal = self.internal.step(t)
        if self.extras is not None:
            self.extras.before(t, dt, user_rate)
        self.model.step(dt, user_rate, surges, calls)
        if self.extras is not None:
            self.extras.after(t, dt)
        if self.data is not None:
            self.data.step(t, dt)
        self.faults.hosts.tick(t)
        if self.model.oom:
            for inst in list(self.model.oom):
                self.faults.oom_kill(inst)
        if self.model.disk_full:
            for inst in list(self.model.disk_full):
                self.faults.disk_full(inst)
        world.count_requests(dt)
        self.fate.observe(t)
        self.recorder.record(t)
        self.tape.record(t, dt)
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
        if self.checkpoints is not None:
            self.checkpoints.note(self)

    # --- actions and controls ----------------------------------------------------------------

    def apply(self, action: Action, seat: str = "trainee") -> ActionResult:
        """Apply an action now; rejected actions change nothing. Journalled either way."""
        result = self.dispatcher.apply(action, seat)
        self.applied += 1
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
        """Start a CPU/heap profile, thread dump or crash report of an instance (journalled as a look); it
        is ready at ``ready_at`` (simulated time later). Raises ProfileError for an unknown kind or instance."""
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

    def set_flag(self, name: str, enabled: bool) -> None:
        """Flip a feature flag in the world and recompute what depends on it."""
        self.faults.set_flag(name, enabled)
        for s in self.world.services.values():
            self.cluster.settings_moved(s)  # a flag's settings (a kill switch's protection) follow it

    # --- queries -----------------------------------------------------------------------------

    def service_names(self) -> list[str]:
        """Services in topological order (entry first)."""
        return list(self.world.order)

    def services(self) -> list[ServiceView]:
        """Every service's current state."""
        return [service_view(self.world.services[n]) for n in self.world.order]

    def instances(self, service: str | None = None) -> list[InstanceView]:
        """Live instances, optionally of one service."""
        return instance_views(self.world, service)

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
        client: str | None = None,
    ) -> Series:
        """A metric series: per service, per zone, version or client split, or per instance (blank while
        the metrics pipeline was down, when it shares fate with a service)."""
        return self.fate.mask(self.recorder.metric(service, metric, zone, version, instance, start, end, client))

    def history(
        self,
        service: str,
        metric: str,
        zone: str | None = None,
        version: str | None = None,
        instance: str | None = None,
        start: float | None = None,
        end: float | None = None,
        client: str | None = None,
    ) -> Series:
        """:meth:`metric` reaching back before t=0 (``start`` negative or None) through the quiet warm-up
        run (simulator.session.warmup): what a chart shows. Nothing scored or journalled reads it."""
        after = self.metric(service, metric, zone, version, instance, start, end, client)
        lo = -self.warmup.seconds if start is None else max(start, -self.warmup.seconds)
        hi = 0.0 if end is None else min(end, 0.0)
        if hi <= lo:
            return after
        before = self.warmup.metric(service, metric, zone, version, instance, lo, hi, client)
        return with_history(before, after)

    def split_values(self, service: str, dimension: str) -> list[str]:
        """Zones or versions a service has split series for."""
        return self.recorder.split_values(service, dimension)

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

    def incidents(self, holders: Mapping[str, str] | None = None) -> tuple[IncidentRecord, ...]:
        """The session's incidents (alerts grouped, each with severity, roles and a status judged from the
        simulated system); ``holders`` names who holds a role nobody was named for (the trainee, the seats)."""
        settled = self.sli.healthy_streak(self.env.now) >= self.scenario.resolution.healthy_for
        return group_incidents(self.incident.view(), self.alert_list(True), self.pages(), settled, holders)

    def data_status(self) -> dict[str, Any]:
        """Databases (primary, hosts with role and lag, backups, data lost) and traffic extras (classes,
        reconnect waves, name caches, buffers): what an operator's tools show of them."""
        return {
            "databases": self.data.status() if self.data is not None else [],
            "data_lost_records": round(self.world.data_lost_records),
            "data_lost_s": round(self.world.data_lost_s, 1),
            **(self.extras.status() if self.extras is not None else {}),
        }

    def sli_status(self) -> dict[str, Any]:
        """The user-facing SLI now: availability over the SLI window, breach, healthy streak, budget; with
        ``no_data_since`` while the metrics pipeline is down (the figures are the engine's truth, for judges
        and facilitators: a trainee's console shows only that there is no data)."""
        status = self.sli.status(self.env.now)
        blind = self.fate.down_since("metrics")
        return status if blind is None else {**status, "no_data_since": blind}

    def tool_status(self) -> list[ToolStatus]:
        """The team's tools that run on services of the system, and whether each works now."""
        return self.fate.statuses()

    def compression(self) -> Compression | None:
        """Time compression in force now: a recovery with more than ``recovery.compress.after`` of work
        left is under way, no page is open and no message arrived in the last minute."""
        rec = self.scenario.recovery
        if rec is None or rec.compress is None or self.finished:
            return None
        now = self.env.now
        if any(p.acked_at is None for p in self.alerts.pages) or self.alerts.held:
            return None
        if self.incident.messages and now - self.incident.messages[-1].t < 60.0:
            return None
        waiting = [
            op
            for op in self.operations.items
            if op["finished_at"] is None and op.get("eta") is not None and op["eta"] - now > rec.compress.after
        ]
        if not waiting:
            return None
        op = min(waiting, key=lambda o: o["eta"])
        return Compression(rec.compress.speed, op["summary"], op["eta"])

    def advance_compressed(self, dt: float) -> float:
        """Advance up to ``dt`` seconds tick by tick while time compression holds; returns the time advanced."""
        start = self.env.now
        while self.env.now - start < dt and self.compression() is not None:
            self.run_until(min(self.env.now + self.tick, start + dt))
        return self.env.now - start

    def messages(self) -> list[MessageView]:
        """Messages from colleagues, stakeholders and tickets that have arrived."""
        return list(self.incident.messages)

    def runbooks(self) -> list[RunbookView]:
        """The team's runbooks (whether one is stale is for the trainee to notice)."""
        return [RunbookView(r.service, r.title, r.body) for r in self.scenario.runbooks]

    def hidden_truth(self) -> dict[str, Any]:
        """Faults with actual onsets, root cause and solution: for debriefs and facilitators only."""
        return hidden_truth(self.scenario, self.faults.describe())

    @property
    def failed_user_requests(self) -> float:
        """Failed user-facing requests since impact start, so far."""
        return self.sli.failed_requests()

    def score(self, impact: bool = True) -> Report:
        """The report as of now (final once the session has ended), with the impact spared against the same
        seed played with nobody acting (simulator.session.impact); ``impact=False`` skips that replay
        (``impact_avoided_pct`` and ``failed_requests_if_nothing`` are then null: verify's baselines)."""
        end = self.ended_at if self.ended_at is not None else self.env.now
        pages = self.alerts.pages
        horizon = self.scenario.duration if self.incident.state == "resolved" else end
        nothing = None
        if impact:
            # Nobody acted in this session (no action, no inject: everything that changes a run goes
            # through apply) and it stands at the horizon: it is the run with nobody acting, so its own
            # count is the replay's answer without replaying (a shift nobody answers halves its cost).
            pristine = self.applied == 0 and horizon == self.env.now
            if pristine:
                nothing = self.failed_user_requests
                self._nobody.known(horizon, nothing)
            else:
                nothing = self._nobody.failed_requests(horizon)
        impact_facts = ImpactFacts(nothing, self.world.data_lost_records)
        report = report_for(
            self.scenario,
            self.seed,
            self.incident,
            self.sli,
            pages,
            self.injected_alerts,
            end,
            TOOL_VERSION,
            impact_facts,
        )
        # The report names only the holders the responders named (a view knows who held the rest).
        entries = incident_entries(self.incidents(), self.alert_list(True), self.pages(), self.sli, end)
        return replace(report, incidents=entries)
