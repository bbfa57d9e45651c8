"""Applying the action vocabulary to the world.

Every action is validated against the world first: an unknown target is rejected with a reason and
changes nothing. Accepted mitigations take simulated time (rollouts go instance by instance, drains
wait for connections, edge config propagates) and have only the effects the model gives them, so a
wrong action can make things worse. Harm is judged from the world at the time (capacity taken away
under load, a dead zone put back in rotation) and from the scenario's traps.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Protocol

import simpy

from scenarios.durations import format_duration
from scenarios.language.actions import ACTION_NAMES, FACILITATOR_ACTIONS, MITIGATION_ACTIONS, Action
from scenarios.language.scenario import Scenario
from simulator.incident.data_actions import (
    failover_harm,
    failover_to_host,
    restore_backup,
    restore_harm,
    resync_harm,
    resync_replica,
    shed_class,
)
from simulator.incident.escalation import EscalationReply, reply_to
from simulator.incident.guard import absurd_parameter, session_cap
from simulator.incident.incidents import group_incidents
from simulator.incident.procedures import ProcedureRunner
from simulator.incident.process import IncidentState
from simulator.incident.resolution import ResolutionJudge
from simulator.incident.traps import TrapWatch
from simulator.telemetry.alerts import AlertEngine
from simulator.telemetry.fate import ToolFate
from simulator.views import ActionResult, MessageView
from simulator.world.classes import TrafficExtras
from simulator.world.cluster import DRAIN_DELAY, Cluster
from simulator.world.data import DataPlane
from simulator.world.faults import FaultBook
from simulator.world.state import ServiceState, World

EDGE_PROPAGATION = 5.0  # rate limits and shedding rules reach the edge proxies
FLAG_PROPAGATION = 10.0  # services poll the flag service
TRUNCATE_DELAY = 20.0
FAILOVER_TIME = 45.0
CERT_RENEWAL = 120.0  # issue, deploy, reload


def responder(seat: str) -> str:
    """How the change log names whoever took an action.

    "you" for the trainee of a session played alone (a shift's and a shadow's seat too); in a game day
    the seat that took it ("tloc:alice"), so no seat reads "you" for another seat's rollback.
    """
    return "you" if seat == "trainee" else seat


class ActionSession(Protocol):
    """What actions reach in a running session (``Simulation`` is one): the world and the cluster that
    changes it, the faults, alerts and incident state, the judge of a resolve, the injected alerts."""

    env: simpy.Environment
    scenario: Scenario
    world: World
    cluster: Cluster
    incident: IncidentState
    alerts: AlertEngine
    faults: FaultBook
    judge: ResolutionJudge
    injected_alerts: set[str]
    data: DataPlane | None
    extras: TrafficExtras | None
    fate: ToolFate


class Rejected(Exception):
    """An action the world refuses; the message says why and what would work."""


class ActionDispatcher:
    """Routes each action to its handler; records timeline, harm and results."""

    def __init__(self, sim: ActionSession) -> None:
        self.sim = sim
        self.env = sim.env
        self.world = sim.world
        self.cluster = sim.cluster
        self.incident = sim.incident
        self._handlers: dict[str, Callable[[Any, str], str]] = {
            name: getattr(self, f"_do_{name}") for name in _ALL_ACTIONS
        }
        self.traps = TrapWatch(sim.scenario.traps)
        """The scenario's traps and the accepted actions each one matched so far."""
        self._by = responder("trainee")
        """Who the change log names for the action being applied (see :func:`responder`)."""
        self.accepted = 0
        """Actions accepted so far (a session's cap on them: scenarios.limits.MAX_SESSION_ACTIONS)."""
        self.procedures = ProcedureRunner(
            self.env, self.world, self.cluster.pacer, self.cluster.operations, self.incident.log, self._procedure_done
        )

    def apply(self, action: Action, seat: str) -> ActionResult:
        """Validate and apply; rejected actions change nothing."""
        now = self.env.now
        if self.incident.state == "resolved":
            return ActionResult(False, "the incident is already resolved", action.action, now)
        if now >= self.sim.scenario.duration:
            return ActionResult(False, "the exercise is over: time ran out", action.action, now)
        handler = self._handlers[action.action]
        refusal = self._refusal(action)
        if refusal is not None:
            return ActionResult(False, f"refused: {refusal}", action.action, now)
        harm, matched = self._harm(action)  # judged on the world before the action changes it
        self._by = responder(seat)  # who the change log names for what this action changes
        try:
            message = handler(action, seat)
        except Rejected as exc:
            return ActionResult(False, str(exc), action.action, now)
        self.traps.record(now, matched)
        if action.action not in FACILITATOR_ACTIONS:  # an inject shows only its effects, never itself
            self.incident.log(now, seat, action.action, message)
        if harm:
            self.incident.harmful.append((now, action.action, harm))
        self.accepted += 1
        return ActionResult(True, message, action.action, now, harm)

    def _refusal(self, action: Action) -> str | None:
        """Absurd parameters or a session cap reached: refused before the world or the score sees it."""
        replicas = {name: len(s.instances) for name, s in self.world.services.items()}
        return absurd_parameter(action, replicas) or session_cap(action, self.incident, self.accepted)

    # --- validation helpers ------------------------------------------------------------------

    def _service(self, name: str) -> ServiceState:
        s = self.world.services.get(name)
        if s is None:
            known = ", ".join(self.world.order)
            raise Rejected(f"unknown service {name!r}; services: {known}")
        return s

    def _zone(self, name: str) -> str:
        if name not in self.world.zones:
            raise Rejected(f"unknown zone {name!r}; zones: {', '.join(self.world.zones)}")
        return name

    def _later(self, delay: float, effect: Callable[[], None]) -> None:
        def run() -> Generator:
            yield self.env.timeout(delay)
            effect()

        self.env.process(run())

    # --- harm --------------------------------------------------------------------------------

    def _harm(self, action: Action) -> tuple[str | None, list[int]]:
        """Why the action is harmful (a trap it springs, else what the world shows), and the traps it
        matches (they count it towards their sequences once it is accepted)."""
        body = action.model_dump(exclude_none=True)
        trap, matched = self.traps.judge(self.world, self.env.now, body)
        if trap is not None:
            return trap.why, matched
        if action.action not in MITIGATION_ACTIONS:
            return None, matched
        return _model_harm(self, action), matched

    # --- incident process --------------------------------------------------------------------

    def _do_ack(self, a, seat: str) -> str:
        acked = self.sim.alerts.ack(a.page, self.env.now)
        if not acked:
            if a.page is not None:
                raise Rejected(f"no open page #{a.page}; open pages: {self._open_pages() or 'none'}")
            raise Rejected("no open page to acknowledge")
        return "acknowledged " + ", ".join(f"page #{p.number} ({p.alert})" for p in acked)

    def _open_pages(self) -> str:
        return ", ".join(f"#{p.number}" for p in self.sim.alerts.pages if p.acked_at is None)

    def _incident_number(self, number: int | None) -> int | None:
        """An incident the action names, checked against the incidents open so far (None: every incident)."""
        if number is None:
            return None
        opened = len(group_incidents(self.incident.view(), self.sim.alerts.alerts(True), ()))
        if number > opened:
            known = ", ".join(f"#{n}" for n in range(1, opened + 1)) or "none yet (no alert has fired)"
            raise Rejected(f"no incident #{number}; incidents: {known}")
        return number

    def _do_set_severity(self, a, seat: str) -> str:
        number = self._incident_number(a.incident_number)
        if number is None:
            before = self.incident.severity
            self.incident.severity_for_all = a.severity
        else:
            before = self.incident.incident_severity.get(number) or self.incident.severity
            self.incident.incident_severity[number] = a.severity
        # The session's severity (scored) is the latest declared, for whichever incident.
        self.incident.severity = a.severity
        self.incident.severity_set_at = self.env.now
        where = "" if number is None else f"incident #{number} "
        return f"{where}severity {before or 'unset'} -> {a.severity}"

    def _do_escalate(self, a, seat: str) -> str:
        self.incident.escalations.append((self.env.now, a.to))
        self.env.process(self._escalation_answer(reply_to(a.to, self.sim.scenario.secondary)))
        return f"escalated to {a.to}"

    def _escalation_answer(self, reply: EscalationReply) -> Generator:
        """The paged responder joins after their delay and asks for status (a message, like any other)."""
        yield self.env.timeout(reply.delay)
        self.incident.deliver(MessageView(self.env.now, reply.sender, "chat", reply.text))
        if reply.takes_command and "imoc" not in self.incident.roles:
            self.incident.roles["imoc"] = reply.sender
            self.incident.log(self.env.now, "system", "role", f"{reply.sender} took command as incident commander")

    def _do_assign_role(self, a, seat: str) -> str:
        number = self._incident_number(a.incident_number)
        if number is None:
            self.incident.roles[a.role] = a.person
            return f"{a.person} is {a.role.upper()}"
        self.incident.incident_roles.setdefault(number, {})[a.role] = a.person
        return f"{a.person} is {a.role.upper()} of incident #{number}"

    def _do_status_update(self, a, seat: str) -> str:
        if self.sim.fate.down("status_page"):
            service = dict(self.sim.fate.tools)["status_page"]
            raise Rejected(
                f"the status page did not publish the update: it runs on {service}, which is down (HTTP 503); "
                "tell stakeholders another way (a note, an escalation, chat)"
            )
        self.incident.status_updates.append((self.env.now, a.text))
        return f"status update posted: {a.text}"

    def _do_note(self, a, seat: str) -> str:
        self.incident.notes.append((self.env.now, seat, a.text))
        return f"note: {a.text}"

    def _do_hypothesis(self, a, seat: str) -> str:
        from simulator.incident.process import HypothesisState

        hyps = self.incident.hypotheses
        if a.op == "add":
            if not a.text.strip():
                raise Rejected("a new hypothesis needs text")
            h = HypothesisState(len(hyps) + 1, self.env.now, a.text, evidence=list(a.evidence))
            hyps.append(h)
            return f"hypothesis #{h.id}: {a.text}"
        match = [h for h in hyps if h.id == a.id]
        if not match:
            raise Rejected(f"no hypothesis #{a.id}; there are {len(hyps)}")
        h = match[0]
        h.status = "confirmed" if a.op == "confirm" else "rejected"
        h.decided_at = self.env.now
        h.evidence.extend(a.evidence)
        return f"hypothesis #{h.id} {h.status}: {h.text}"

    def _do_resolve(self, a, seat: str) -> str:
        unmet = self.sim.judge.unmet()
        now = self.env.now
        if unmet:
            self.incident.premature_resolves.append(now)
            self.incident.harmful.append((now, "resolve", "declared resolved while " + "; ".join(unmet)))
            self.incident.log(now, "system", "reopened", "incident reopened: " + "; ".join(unmet))
            return "resolve declared, but the incident is reopened: " + "; ".join(unmet)
        self.incident.state = "resolved"
        self.incident.resolved_at = now
        return "incident resolved" + (f": {a.summary}" if a.summary else "")

    def _do_handoff(self, a, seat: str) -> str:
        self.incident.roles["imoc"] = a.to
        return f"incident handed off to {a.to}"

    def _do_inject(self, a, seat: str) -> str:
        """A facilitator's live inject: only its effects reach the seats (a message, an alert, a fault)."""
        now = self.env.now
        sc = self.sim.scenario
        if a.kind == "message":
            if not a.text or not a.sender:
                raise Rejected("a message inject needs a sender and a text")
            self.incident.deliver(MessageView(now, a.sender, a.channel, a.text))
            return f"message from {a.sender} delivered"
        if a.kind == "alert":
            s = self._service(a.service or "")
            name = a.name or f"Injected alert {s.name}"
            self.sim.injected_alerts.add(name)
            self.sim.alerts.fire_noise(name, s.name, a.severity, a.text or f"{s.name}: {name}", a.lasts)
            return f"alert {name!r} fired on {s.name}"
        if a.kind == "scripted":
            return self._move_message(a.index, a.delay)
        if a.kind == "fault" and a.fault is not None:
            self._on_topology(a.fault)
            self.sim.faults.add(a.fault)
            where = getattr(a.fault, "service", None) or getattr(a.fault, "zone", None) or "the system"
            return f"fault {a.fault.type} on {where} started"
        if a.kind == "fault":
            if a.index is None or a.index >= len(sc.optional_faults):
                raise Rejected(f"no optional fault #{a.index}; the scenario lists {len(sc.optional_faults)}")
            fault = sc.optional_faults[a.index]
            self.sim.faults.add(fault)
            return f"optional fault #{a.index} ({fault.type} on {getattr(fault, 'service', '?')}) started"
        if a.index is None or a.index >= len(sc.hints):
            raise Rejected(f"no hint #{a.index}; the scenario has {len(sc.hints)}")
        text = sc.hints[a.index].text
        if a.delay > 0:
            return self._hold_hint(a.index, text, a.delay)
        if not self.incident.release_hint(now, text):
            raise Rejected(f"hint #{a.index} was already released")
        return f"hint #{a.index} released"

    def _hold_hint(self, index: int, text: str, delay: float) -> str:
        """Put scripted hint ``index`` off: it comes ``delay`` from now instead of at its own time."""
        if text in self.incident.held_hints or any(t == text for _, t in self.incident.hints):
            raise Rejected(f"hint #{index} was already released or put off")
        self.incident.held_hints.add(text)

        def release():
            yield self.env.timeout(delay)
            self.incident.release_hint(self.env.now, text)

        self.env.process(release())
        return f"hint #{index} put off to {self.env.now + delay:.0f}s"

    def _move_message(self, index: int | None, delay: float) -> str:
        """The scenario's scripted message ``index`` arrives ``delay`` from now instead of at its own time."""
        messages = self.sim.scenario.messages
        if index is None or index >= len(messages):
            raise Rejected(f"no scripted message #{index}; the scenario has {len(messages)}")
        message = messages[index]
        if index in self.incident.moved_messages or message.at <= self.env.now:
            raise Rejected(f"scripted message #{index} has arrived or was moved already")
        at = self.env.now + delay
        self.incident.moved_messages[index] = at
        if delay <= 0:  # now: it is in the channel when the facilitator's inject returns
            self.incident.deliver(MessageView(at, message.from_, message.channel, message.text))
            return f"scripted message #{index} from {message.from_} delivered now (written for {message.at:.0f}s)"

        def arrive():
            yield self.env.timeout(delay)
            self.incident.deliver(MessageView(self.env.now, message.from_, message.channel, message.text))

        self.env.process(arrive())
        return f"scripted message #{index} from {message.from_} moved from {message.at:.0f}s to {at:.0f}s"

    def _on_topology(self, fault) -> None:
        """A live fault names only this world's services, zones and flags (Rejected naming the choices)."""
        for attr in ("service", "dependency"):
            if getattr(fault, attr, None) is not None:
                self._service(getattr(fault, attr))
        zone = getattr(fault, "zone", None)
        if zone is not None:
            self._zone(zone)
        flag = getattr(fault, "flag", None)
        if flag is not None and flag not in self.world.flags:
            raise Rejected(f"no feature flag {flag!r}; flags: {', '.join(sorted(self.world.flags)) or 'none'}")

    # --- mitigation --------------------------------------------------------------------------

    def _do_rollback_deploy(self, a, seat: str) -> str:
        s = self._service(a.service)
        if a.to is not None:
            if a.to not in s.version_history and a.to != s.version:
                known = ", ".join(s.version_history) or "none"
                raise Rejected(f"{s.name} never ran {a.to!r}; earlier versions: {known}")
            target = a.to
        elif s.version_history:
            target = s.version_history[-1]
        else:
            raise Rejected(f"{s.name} has no earlier version to roll back to (it runs {s.version})")
        if target == s.version and all(i.version == target for i in s.instances):
            raise Rejected(f"{s.name} already runs {target} everywhere")
        before = s.version
        if target in s.version_history:
            s.version_history = s.version_history[: s.version_history.index(target)]
        summary = f"rollback {s.name} {before} -> {target}"
        self.cluster.record_change("rollback", s.name, summary, self._by, before, target)
        s.version = target  # set first, so the rollout does not push the bad version onto the history
        op = self.cluster.rollout(s, target, "rollback", self._by, summary=summary)
        return f"rolling back {s.name} {before} -> {target}: {op['total']} instances, one at a time" + self._pace_note(
            "rollback", op["total"]
        )

    def _pace_note(self, kind: str, instances: int) -> str:
        """How long a recovery takes at this system's pace (empty when the engine's own pace applies)."""
        pacer = self.cluster.pacer
        pace = pacer.pace_for(kind, self.env.now)
        if pace is None:
            return ""
        note = f"; about {format_duration(pace.fixed + pace.per_instance * instances)} at its own pace"
        holding = pacer.holding(pace.slowed_by)
        if holding:
            note += f", slowed x{pacer.factor(pace.slowed_by):g} now: " + "; ".join(sd.name for sd in holding)
        return note

    def _do_rollback_config(self, a, seat: str) -> str:
        s = self._service(a.service)
        if a.to is not None:
            if a.to not in s.config_history:
                raise Rejected(
                    f"{s.name} never had config {a.to!r}; earlier revisions: {', '.join(s.config_history) or 'none'}"
                )
            target = a.to
        elif s.config_history:
            target = s.config_history[-1]
        else:
            raise Rejected(f"{s.name} has no earlier config revision (it has {s.config})")
        before = s.config
        self.cluster.push_config(
            s, target, self._by, f"revert config {before} -> {target}", 20.0, kind="config_rollback"
        )
        # Reverting is not a new revision: drop the reverted one and everything after the target.
        s.config_history = s.config_history[: s.config_history.index(target)]
        paced = self._pace_note("config_rollback", len(s.instances))
        return f"reverting {s.name} config {before} -> {target}" + (paced or "; propagates within 20s")

    def _do_restart(self, a, seat: str) -> str:
        s = self._service(a.service)
        if a.instance is not None:
            inst = next((i for i in s.instances if i.id == a.instance), None)
            if inst is None:
                ids = ", ".join(i.id for i in s.instances)
                raise Rejected(f"no instance {a.instance!r} in {s.name}; instances: {ids}")
            self.cluster.record_change("restart", s.name, f"restart pod {inst.id}", self._by)
            self.cluster.restart_instance(inst)
            return f"restarting {inst.id}"
        if not s.instances:
            raise Rejected(f"{s.name} has no instances to restart; scale it up first")
        if a.mode == "all":
            self.cluster.record_change(
                "restart", s.name, f"restart all {len(s.instances)} instances of {s.name} at once", self._by
            )
            self.cluster.restart_all(s)
            return f"restarting all {len(s.instances)} instances of {s.name} at once"
        self.cluster.record_change("restart", s.name, f"rolling restart of {s.name}", self._by)
        op = self.cluster.rollout(s, s.version, "restart", self._by)
        return f"rolling restart of {s.name}: {op['total']} instances, one at a time" + self._pace_note(
            "restart", op["total"]
        )

    def _do_scale(self, a, seat: str) -> str:
        s = self._service(a.service)
        before = len(s.instances)
        if a.replicas == before:
            raise Rejected(f"{s.name} already has {before} instances")
        self.cluster.record_change(
            "scale", s.name, f"scale {s.name} {before} -> {a.replicas}", self._by, str(before), str(a.replicas)
        )
        self.cluster.scale(s, a.replicas)
        return f"scaling {s.name} {before} -> {a.replicas} (new instances ready in about {s.spec.startup:.0f}s)"

    def _targets(self, service: str | None) -> list[ServiceState]:
        return [self._service(service)] if service else list(self.world.services.values())

    def _do_drain_zone(self, a, seat: str) -> str:
        zone = self._zone(a.zone)
        targets = [s for s in self._targets(a.service) if zone not in s.drained_zones]
        if not targets:
            raise Rejected(f"{zone} is already drained" + (f" for {a.service}" if a.service else ""))
        scope = a.service or "all services"
        self.cluster.record_change("drain", a.service or "", f"drain {zone} ({scope})", self._by)

        def drain() -> None:
            for s in targets:
                s.drained_zones.add(zone)
                s.dirty = True
            self.incident.log(self.env.now, "system", "operation", f"{zone} drained ({scope})")

        self._later(DRAIN_DELAY, drain)
        return f"draining {zone} for {scope}; connections drain for {DRAIN_DELAY:.0f}s"

    def _do_undrain_zone(self, a, seat: str) -> str:
        zone = self._zone(a.zone)
        targets = [s for s in self._targets(a.service) if zone in s.drained_zones]
        if not targets:
            raise Rejected(f"{zone} is not drained" + (f" for {a.service}" if a.service else ""))
        scope = a.service or "all services"
        self.cluster.record_change("undrain", a.service or "", f"undrain {zone} ({scope})", self._by)
        for s in targets:
            s.drained_zones.discard(zone)
            s.dirty = True
        return f"{zone} back in rotation for {scope}"

    def _do_rate_limit(self, a, seat: str) -> str:
        s = self._service(a.service)
        if a.client is not None:
            known = sorted(set(self.world.surges) | set(s.client_limits))
            if a.client not in known:
                raise Rejected(
                    f"no traffic from client {a.client!r} at {s.name}; clients seen: {', '.join(known) or 'none'}"
                )
            what = f"rate limit {s.name} for client {a.client}: " + (f"{a.rps:g} rps" if a.rps else "removed")
            self.cluster.record_change("rate_limit", s.name, what, self._by)

            def set_client_limit() -> None:
                if a.rps is None:
                    s.client_limits.pop(a.client, None)
                else:
                    s.client_limits[a.client] = a.rps

            self._later(EDGE_PROPAGATION, set_client_limit)
            return f"{what} (edge config propagates in {EDGE_PROPAGATION:.0f}s)"
        what = f"rate limit {s.name}: {a.rps:g} rps" if a.rps else f"remove rate limit on {s.name}"
        self.cluster.record_change("rate_limit", s.name, what, self._by)

        def set_limit() -> None:
            s.rate_limit = a.rps

        self._later(EDGE_PROPAGATION, set_limit)
        state = f"set to {a.rps:g} rps" if a.rps else "removed"
        return f"rate limit on {s.name} {state} (edge config propagates in {EDGE_PROPAGATION:.0f}s)"

    def _do_feature_flag(self, a, seat: str) -> str:
        if a.flag not in self.world.flags:
            raise Rejected(f"unknown flag {a.flag!r}; flags: {', '.join(self.world.flags) or 'none'}")
        if self.world.flags[a.flag] == a.enabled:
            raise Rejected(f"flag {a.flag} is already {'on' if a.enabled else 'off'}")
        self.cluster.record_change(
            "flag", "", f"flag {a.flag} -> {'on' if a.enabled else 'off'}", self._by, "", str(a.enabled).lower()
        )

        def flip() -> None:
            self.sim.faults.set_flag(a.flag, a.enabled)

        self._later(FLAG_PROPAGATION, flip)
        return f"flag {a.flag} -> {'on' if a.enabled else 'off'} (clients pick it up within {FLAG_PROPAGATION:.0f}s)"

    def _do_fallback(self, a, seat: str) -> str:
        s = self._service(a.service)
        self._service(a.dependency)
        if a.dependency not in s.spec.calls:
            raise Rejected(f"{s.name} does not call {a.dependency}; it calls: {', '.join(s.spec.calls) or 'nothing'}")
        self.cluster.record_change(
            "fallback", s.name, f"{s.name} fallback for {a.dependency} {'on' if a.enabled else 'off'}", self._by
        )

        def switch() -> None:
            if a.enabled:
                s.fallbacks.add(a.dependency)
            else:
                s.fallbacks.discard(a.dependency)
            s.dirty = True

        self._later(FLAG_PROPAGATION, switch)
        return f"{s.name} {'switches to its fallback for' if a.enabled else 'calls again'} {a.dependency}"

    def _do_set_memory_limit(self, a, seat: str) -> str:
        s = self._service(a.service)
        before = s.memory_limit
        if a.limit_mb <= s.spec.memory.base:
            raise Rejected(
                f"{a.limit_mb:g} MB is below {s.name}'s base working set ({s.spec.memory.base:g} MB): "
                "it would never start"
            )
        self.cluster.record_change(
            "memory_limit", s.name, f"memory limit {s.name} {before:.0f} -> {a.limit_mb:.0f} MB", self._by
        )
        op = self.cluster.rollout(s, s.version, "memory_limit", self._by, memory_limit=a.limit_mb)
        return (
            f"memory limit of {s.name} {before:.0f} -> {a.limit_mb:.0f} MB: rolling restart of {op['total']} instances"
        )

    def _do_shed_load(self, a, seat: str) -> str:
        s = self._service(a.service)
        self.cluster.record_change("shed_load", s.name, f"shed {a.percent:g}% of {s.name} requests", self._by)

        def shed() -> None:
            s.shed = a.percent / 100.0

        self._later(EDGE_PROPAGATION, shed)
        return f"{s.name} sheds {a.percent:g}% of requests from now on" if a.percent else f"{s.name} stops shedding"

    def _do_failover(self, a, seat: str) -> str:
        s = self._service(a.service)
        if s.primary_zone is None:
            raise Rejected(f"{s.name} has no primary/replica setup to fail over")
        has_data = self.sim.data is not None and s.name in self.sim.data.stores
        # With a healthy primary, only failing back to a copy with its own timeline (a split brain's) is a failover.
        fail_back = has_data and a.host is not None and self.sim.data.has_own_timeline(s, a.host)
        if not s.primary_down and not fail_back:
            raise Rejected(f"{s.name}'s primary in {s.primary_zone} is healthy: there is nothing to fail over")
        if has_data:
            return failover_to_host(self, s, a.host, Rejected)
        if a.host is not None:
            raise Rejected(f"{s.name} keeps no data the simulation tracks: fail over without naming a host")
        self.cluster.record_change("failover", s.name, f"failover of {s.name} requested", self._by)
        self.cluster.failover(s, FAILOVER_TIME)
        return f"promoting a replica of {s.name}; writes resume in about {FAILOVER_TIME:.0f}s"

    def _do_resync_replica(self, a, seat: str) -> str:
        return resync_replica(self, a, Rejected)

    def _do_restore_backup(self, a, seat: str) -> str:
        return restore_backup(self, a, Rejected)

    def _do_shed_class(self, a, seat: str) -> str:
        return shed_class(self, a, Rejected)

    def _do_flush_cache(self, a, seat: str) -> str:
        s = self._service(a.service)
        if not s.spec.cache_for:
            caches = [c.name for c in self.world.services.values() if c.spec.cache_for]
            raise Rejected(f"{s.name} is not a cache; caches: {', '.join(caches) or 'none'}")
        self.cluster.record_change("flush_cache", s.name, f"flush {s.name}", self._by)
        s.hit = 0.0
        return f"{s.name} flushed: every read misses until it refills from {s.spec.cache_for}"

    def _do_truncate_logs(self, a, seat: str) -> str:
        s = self._service(a.service)
        targets = s.instances
        if a.instance is not None:
            targets = [i for i in s.instances if i.id == a.instance]
            if not targets:
                raise Rejected(
                    f"no instance {a.instance!r} in {s.name}; instances: {', '.join(i.id for i in s.instances)}"
                )
        base = s.spec.disk_used_gb
        if all(i.disk <= base + 0.5 for i in targets):
            raise Rejected(f"{s.name}'s disks hold only their usual {base:g} GB of rotated logs: nothing to truncate")
        self.cluster.record_change(
            "truncate_logs", s.name, f"truncate logs on {len(targets)} {s.name} instance(s)", self._by
        )

        def truncate() -> None:
            for inst in targets:
                if inst in s.instances:
                    inst.disk = base
                    self.sim.faults.refresh(inst)

        self._later(TRUNCATE_DELAY, truncate)
        return f"truncating old logs on {len(targets)} {s.name} instance(s); space is freed in {TRUNCATE_DELAY:.0f}s"

    def _do_run_procedure(self, a, seat: str) -> str:
        rec = self.sim.scenario.recovery
        procs = {p.name: p for p in rec.procedures} if rec is not None else {}
        proc = procs.get(a.procedure)
        if proc is None:
            raise Rejected(f"no procedure {a.procedure!r}; procedures: {', '.join(procs) or 'none'}")
        if proc.name in self.procedures.running:
            raise Rejected(f"{proc.title} is already running")
        work = self.procedures.start(proc, seat)
        return f"started {proc.title}: {len(proc.steps)} steps, about {format_duration(work)} at its own pace"

    def _procedure_done(self, proc) -> None:
        """The last step is done: the procedure's actions take effect as the operator's own, by hand (not at
        the pace of the tooling the procedure went around)."""
        now = self.env.now
        self.cluster.pacer.manual_at = now
        if proc.reconciles is not None and self.sim.data is not None:
            message = self.sim.data.reconcile(self.world.services[proc.reconciles])
            self.incident.log(now, "procedure", "reconcile", f"{proc.title}: {message}")
        for action in proc.then:
            try:
                message = self._handlers[action.action](action, "procedure")
            except Rejected as exc:
                self.incident.log(now, "procedure", action.action, f"{proc.title}: could not {action.action}: {exc}")
                continue
            self.incident.log(now, "procedure", action.action, f"{proc.title}: {message}")

    def _do_renew_cert(self, a, seat: str) -> str:
        s = self._service(a.service)
        days = (s.cert_expires_at - self.env.now) / 86400.0
        if days > 30:
            raise Rejected(f"{s.name}'s certificate is valid for another {days:.0f} days: nothing to renew")
        self.cluster.record_change("renew_cert", s.name, f"renew TLS certificate of {s.name}", self._by)

        def renewed() -> None:
            s.cert_expires_at = self.env.now + 90 * 86400.0
            for svc in self.world.services.values():
                svc.dirty = True  # its callers' handshakes succeed again
            self.incident.log(self.env.now, "system", "operation", f"new certificate deployed to {s.name} and reloaded")

        self._later(CERT_RENEWAL, renewed)
        return f"issuing a new certificate for {s.name}; deploy and reload take about {CERT_RENEWAL / 60:.0f} minutes"


_ALL_ACTIONS = ACTION_NAMES + tuple(sorted(FACILITATOR_ACTIONS))
"""Every action a handler exists for (the vocabulary is defined once, in the scenario language)."""


def _model_harm(d: ActionDispatcher, action: Action) -> str | None:
    """Harm visible in the world itself: capacity removed under load, a dead zone readmitted."""
    check = _HARM_CHECKS.get(action.action)
    if check is None:
        return None
    service = getattr(action, "service", None)
    s = d.world.services.get(service) if service else None
    return check(d, action, s)


def _restart_harm(d: ActionDispatcher, action: Any, s: ServiceState | None) -> str | None:
    if s is None:
        return None
    if action.instance is None and action.mode == "all":
        serving = sum(1 for i in s.instances if i.ready and not i.ejected)
        if serving > 1 and s.rate > 0:
            return f"took all {serving} serving instances of {s.name} down at once: no capacity until they start"
    if s.spec.cache_for and s.rate > 0:
        return f"restarting {s.name} empties it: reads fall through to {s.spec.cache_for}"
    return None


def _scale_harm(d: ActionDispatcher, action: Any, s: ServiceState | None) -> str | None:
    if s is None:
        return None
    if action.replicas < len(s.instances):
        capacity = action.replicas * s.spec.capacity_rps
        if capacity < s.rate * 1.1:
            return (
                f"scaled {s.name} to {action.replicas} instances ({capacity:.0f} rps) below its load ({s.rate:.0f} rps)"
            )
    if action.replicas > len(s.instances):
        for dep in s.spec.calls:
            callee = d.world.services[dep]
            limit = callee.max_connections
            if limit is not None and callee.conn_demand * action.replicas / max(len(s.instances), 1) > limit:
                return f"more {s.name} instances open more connections than {dep} accepts ({limit})"
    return None


def _undrain_harm(d: ActionDispatcher, action: Any, s: ServiceState | None) -> str | None:
    if action.zone in d.world.down_zones:
        return f"put {action.zone} back in rotation while it is still down"
    return None


def _drain_harm(d: ActionDispatcher, action: Any, s: ServiceState | None) -> str | None:
    service = action.service
    for svc in d._targets(service) if (service is None or service in d.world.services) else []:
        left = [i for i in svc.instances if i.zone != action.zone and i.zone not in svc.drained_zones]
        if svc.rate > 0 and not left:
            return f"drained the last zone serving {svc.name}"
    return None


def _rate_limit_harm(d: ActionDispatcher, action: Any, s: ServiceState | None) -> str | None:
    if s is None or action.rps is None or action.client is not None or not s.error_ratio < 0.2:
        return None
    # Cutting load at a failing edge (a retry storm, an overload) admits more successes than it
    # refuses; throttling a healthy edge only turns users away.
    normal = d.sim.scenario.traffic.base_rps if s.name == d.sim.scenario.entry_service else s.rate
    if action.rps < 0.5 * normal:
        return f"rate limit of {action.rps:g} rps on {s.name} rejects most legitimate traffic (~{normal:.0f} rps)"
    return None


def _flush_cache_harm(d: ActionDispatcher, action: Any, s: ServiceState | None) -> str | None:
    if s is not None and s.spec.cache_for and s.rate > 0:
        return f"emptied {s.name} under load: every read now falls through to {s.spec.cache_for}"
    return None


def _memory_limit_harm(d: ActionDispatcher, action: Any, s: ServiceState | None) -> str | None:
    if s is None:
        return None
    peak = max((i.memory for i in s.instances), default=0.0)
    if action.limit_mb < s.memory_limit and action.limit_mb < peak:
        return f"lowered {s.name}'s memory limit below its working set ({peak:.0f} MB)"
    return None


_HARM_CHECKS: dict[str, Callable[[ActionDispatcher, Any, ServiceState | None], str | None]] = {
    "restart": _restart_harm,
    "scale": _scale_harm,
    "undrain_zone": _undrain_harm,
    "drain_zone": _drain_harm,
    "rate_limit": _rate_limit_harm,
    "flush_cache": _flush_cache_harm,
    "set_memory_limit": _memory_limit_harm,
    "resync_replica": resync_harm,
    "failover": failover_harm,
    "restore_backup": restore_harm,
}
"""Per mitigation, the harm the world shows (dispatch by action name, so a new action adds one entry)."""
