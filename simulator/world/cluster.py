"""The orchestrator: instance lifecycle, crash back-off, health-check ejection, rollouts, config pushes.

Everything here happens *at a time*, so each is a SimPy process: an instance becomes ready after its
start-up time, a crashed container restarts after a back-off that doubles from 10 s to 5 min, a dead
target leaves the load balancer only after its health checks fail, and a rollout replaces instances
one at a time (surge one, wait ready, terminate one old).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import simpy

from scenarios.language.events import Change
from simulator.views import ChangeRecord
from simulator.world.events import EventLog, Timeline
from simulator.world.settings import SettingsBook, apply_service_wide, describe_settings
from simulator.world.state import CRASHED, RUNNING, STARTING, TERMINATING, Instance, ServiceState, World, pod_suffix

if TYPE_CHECKING:
    from simulator.world.data import DataPlane
    from simulator.world.recovery import RecoveryPacer
    from simulator.world.rng import RandomStreams

BACKOFF_START = 10.0
BACKOFF_MAX = 300.0
BACKOFF_RESET_AFTER = 600.0  # a container that ran this long starts its back-off afresh
CRASH_EJECT_DELAY = 5.0  # a crashed container refuses connections until its endpoint is removed
REINSTATE_AFTER = 20.0  # passing health checks needed before a target gets traffic again
DRAIN_DELAY = 15.0  # connection draining when a zone is drained
GUARD_WAIT = 30.0  # a rollout guard watches each new instance this long before the next step


class OperationTracker:
    """In-flight operations (rollouts, pushes, drains) with progress, for the console and reports."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def start(self, t: float, kind: str, service: str, summary: str, total: int) -> dict:
        """Register an operation; returns the mutable record its process updates."""
        op = {
            "id": len(self.items) + 1,
            "kind": kind,
            "service": service,
            "summary": summary,
            "started": t,
            "done": 0,
            "total": total,
            "finished_at": None,
        }
        self.items.append(op)
        return op


class Cluster:
    """Creates, restarts, ejects and replaces instances; records changes in the change log."""

    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        logs: EventLog,
        rng: RandomStreams,
        changes: list[ChangeRecord],
        operations: OperationTracker,
        timeline: Timeline,
    ) -> None:
        self.env = env
        self.world = world
        self.logs = logs
        self.rng = rng["cluster"]
        self.changes = changes
        self.operations = operations
        self.timeline = timeline
        self.fault_effects: Callable[[Instance], None] | None = None
        self.data: DataPlane | None = None
        """The databases' data (simulator/world/data.py), consulted when a replica is promoted."""
        """Recomputes an instance's fault effects after it boots or reloads its config (the session
        wires the fault book's ``refresh`` here, so the cluster and the faults need not know each other)."""
        self._rollout_token: dict[str, int] = {}
        self.settings: SettingsBook | None = None
        """The settings each version and revision carries (the session wires it after building)."""
        self.pacer: RecoveryPacer | None = None
        """Paces rollbacks, reverts and restarts as the scenario's ``recovery`` says (None: engine paces)."""

    # --- instances ---------------------------------------------------------------------------

    def new_instance(self, s: ServiceState, zone: str, ready_now: bool = False) -> Instance:
        """Create an instance of the service's current version and config in ``zone`` and start it."""
        self.world.instance_seq += 1
        inst = Instance(
            id=f"{s.name}-{pod_hash(s.name, s.version)}-{pod_suffix(self.rng)}",
            service=s.name,
            zone=zone,
            version=s.version,
            config=s.config,
            memory_limit=s.memory_limit,
        )
        inst.owner = s
        inst.disk = s.spec.disk_used_gb
        s.instances.append(inst)
        s.dirty = True
        self._boot(inst, s, ready_now)
        return inst

    def _boot(self, inst: Instance, s: ServiceState, ready_now: bool) -> None:
        if s.spec.cache_for and not ready_now and s.instances:
            # A restarted cache node comes back empty: its share of the keys misses until refilled.
            s.hit *= max(len(s.instances) - 1, 0) / len(s.instances)
        inst.generation += 1
        inst.state = STARTING
        inst.ready = False
        inst.ejected = False
        inst.broken_since = None
        inst.started_at = self.env.now
        inst.memory = s.spec.memory.base * (0.95 + 0.1 * self.rng.random())
        inst.pid = self.rng.randint(7, 4000)
        if self.fault_effects is not None:
            self.fault_effects(inst)
        if ready_now:
            inst.state = RUNNING
            inst.ready = True
            return
        self.env.process(self._become_ready(inst, inst.generation, s.spec.startup))

    def _become_ready(self, inst: Instance, generation: int, startup: float) -> Generator:
        yield self.env.timeout(startup * (0.9 + 0.2 * self.rng.random()))
        if inst.generation != generation or inst.state != STARTING:
            return
        if inst.zone in self.world.down_zones:
            return  # a dead zone never passes readiness
        inst.state = RUNNING
        inst.ready = True
        self.logs.emit(
            self.env.now,
            "INFO",
            inst,
            f"Started {inst.service} {inst.version} in {self.env.now - inst.started_at:.1f}s (config {inst.config})",
        )

    def crash(self, inst: Instance, reason: str, exit_code: int) -> None:
        """Kill a container: it fails requests until ejected, then restarts after its back-off."""
        if inst.state in (CRASHED, TERMINATING):
            return
        now = self.env.now
        s = self.world.services[inst.service]
        inst.state = CRASHED
        inst.broken_since = now
        inst.restarts += 1
        s.restarts_total += 1
        inst.last_exit = f"{reason} (exit code {exit_code})"
        if now - inst.started_at > BACKOFF_RESET_AFTER:
            inst.backoff = BACKOFF_START
        delay = inst.backoff
        inst.backoff = min(inst.backoff * 2.0, BACKOFF_MAX)
        if inst.restarts > 1:
            self.logs.emit(
                now,
                "WARN",
                inst,
                f"Back-off restarting failed container {inst.service} in pod {inst.id} (back-off {delay:.0f}s)",
            )
        self.env.process(self._eject_later(inst, inst.generation, CRASH_EJECT_DELAY))
        self.env.process(self._restart_after(inst, inst.generation, delay))

    def _restart_after(self, inst: Instance, generation: int, delay: float) -> Generator:
        yield self.env.timeout(delay)
        if inst.generation != generation or inst.state != CRASHED:
            return
        s = self.world.services[inst.service]
        if inst not in s.instances:
            return
        inst.memory_limit = s.memory_limit
        self._boot(inst, s, ready_now=False)

    def _eject_later(self, inst: Instance, generation: int, delay: float) -> Generator:
        yield self.env.timeout(delay)
        if inst.generation == generation and inst.broken_since is not None and not inst.ejected:
            inst.ejected = True
            inst.ready = inst.state == RUNNING and inst.ready
            self.logs.emit_component(
                self.env.now,
                "WARN",
                inst.service,
                inst.version,
                inst.zone,
                f"{inst.service}-lb",
                f"health check failed 3 times: removing target {inst.id} from rotation",
            )

    def break_instance(self, inst: Instance, eject_after: float, gray: bool = False) -> None:
        """An instance stops answering (its zone died): it stays in rotation until health checks eject it.

        In a gray failure the health checks keep passing, so nothing ejects it.
        """
        if inst.broken_since is None:
            inst.broken_since = self.env.now
            inst.gray = gray
            if self.world.services[inst.service].spec.health_check and not gray:
                self.env.process(self._eject_later(inst, inst.generation, eject_after))

    def heal_instance(self, inst: Instance) -> None:
        """A broken instance answers again: it is reinstated after passing health checks."""
        if inst.broken_since is None or inst.state == CRASHED:
            return
        inst.broken_since = None
        inst.gray = False
        if inst.state == STARTING:
            self.env.process(self._become_ready(inst, inst.generation, 5.0))
            return
        if inst.ejected:
            self.env.process(self._reinstate(inst, inst.generation))

    def _reinstate(self, inst: Instance, generation: int) -> Generator:
        yield self.env.timeout(REINSTATE_AFTER)
        if inst.generation == generation and inst.broken_since is None:
            inst.ejected = False
            inst.ready = True

    def terminate(self, inst: Instance) -> None:
        """Remove an instance (graceful: it stops getting traffic at once)."""
        s = self.world.services[inst.service]
        inst.generation += 1
        inst.state = TERMINATING
        inst.ready = False
        if inst in s.instances:
            s.instances.remove(inst)
            s.dirty = True

    # --- database primaries ------------------------------------------------------------------

    def lose_primary(self, s: ServiceState) -> None:
        """A single-writer database lost its primary: writes fail until a replica is promoted."""
        if s.primary_down:
            return
        s.primary_down = True
        s.dirty = True
        now = self.env.now
        self.timeline(now, "system", f"{s.name}: primary in {s.primary_zone} unreachable")
        for inst in s.instances[:1]:
            self.logs.emit(
                now, "ERROR", inst, f"could not connect to primary {s.name}-0.{s.primary_zone}: connection timed out"
            )
        if s.spec.auto_failover is not None:
            self.env.process(self._promote_after(s, s.spec.auto_failover, "automatic failover"))

    def failover(self, s: ServiceState, delay: float) -> None:
        """Promote a replica in a live zone after ``delay`` (the failover action)."""
        self.env.process(self._promote_after(s, delay, "manual failover"))

    def _promote_after(self, s: ServiceState, delay: float, how: str) -> Generator:
        yield self.env.timeout(delay)
        if not s.primary_down:
            return
        live = [z for z in self.world.zones if z not in self.world.down_zones and z != s.primary_zone]
        if self.data is not None:
            live = self.data.eligible(s, live)  # a database with data promotes its least lagging replica
        if not live:
            return
        before = s.primary_zone
        s.primary_zone = live[0]
        s.primary_down = False
        s.dirty = True
        self.record_change(
            "failover", s.name, f"{how}: {s.name} primary {before} -> {live[0]}", "patroni", before, live[0]
        )
        for inst in s.instances[:1]:
            self.logs.emit(self.env.now, "WARN", inst, f"promoted replica in {live[0]} to primary (timeline 2)")
        if self.data is not None:
            self.data.promoted(s, before, live[0])

    # --- placement ---------------------------------------------------------------------------

    def placement_zone(self, s: ServiceState, preferred: str | None = None) -> str:
        """Zone for a new instance: the preferred one if usable, else the least filled usable zone."""
        usable = [z for z in self.world.zones if z not in s.drained_zones and z not in self.world.down_zones]
        if not usable:
            usable = list(self.world.zones)
        if preferred in usable:
            return preferred
        counts = {z: 0 for z in usable}
        for i in s.instances:
            if i.zone in counts:
                counts[i.zone] += 1
        return min(usable, key=lambda z: (counts[z], usable.index(z)))

    def place_initial(self, history: list[Change]) -> None:
        """Place every service's replicas across the zones, ready, as they stood before the incident."""
        zones = self.world.zones
        last_deploy: dict[str, float] = {}
        for ch in history:
            if ch.deploy and ch.at <= 0:
                last_deploy[ch.deploy.service] = max(ch.at, last_deploy.get(ch.deploy.service, ch.at))
        for k, s in enumerate(self.world.services.values()):
            for i in range(s.spec.replicas):
                inst = self.new_instance(s, zones[(i + k) % len(zones)], ready_now=True)
                # Instances date from the service's last deploy (rolled out one every ~25 s), else hours ago.
                deployed = last_deploy.get(s.name)
                inst.started_at = deployed + 25.0 * i if deployed is not None else -3600.0 * (1 + (i % 5))

    # --- changes -----------------------------------------------------------------------------

    def record_history(self, ch: Change) -> None:
        """Put a change from before t=0 in the change log (the version or config in effect is the spec's)."""
        if ch.deploy:
            s = self.world.services[ch.deploy.service]
            before = ch.deploy.from_ or (s.version_history[-1] if s.version_history else "")
            if ch.deploy.to == s.version and before and before not in s.version_history:
                s.version_history.append(before)
            summary = f"deploy {s.name} {before} -> {ch.deploy.to}"
            self.changes.append(ChangeRecord(ch.at, "deploy", s.name, summary, ch.deploy.by, before, ch.deploy.to))
        elif ch.config:
            s = self.world.services[ch.config.service]
            before = ch.config.from_ or ""
            if ch.config.to == s.config and before and before not in s.config_history:
                s.config_history.append(before)
            summary = ch.config.summary or f"config {before} -> {ch.config.to}"
            self.changes.append(ChangeRecord(ch.at, "config", s.name, summary, ch.config.by, before, ch.config.to))
        elif ch.flag:
            state = "on" if ch.flag.enabled else "off"
            after = str(ch.flag.enabled).lower()
            self.changes.append(
                ChangeRecord(ch.at, "flag", "", f"flag {ch.flag.flag} -> {state}", ch.flag.by, "", after)
            )

    def record_change(self, kind: str, service: str, summary: str, by: str, before: str = "", after: str = "") -> None:
        """Add an entry to the change log at the current time."""
        self.changes.append(ChangeRecord(self.env.now, kind, service, summary, by, before, after))

    def rollout(
        self,
        s: ServiceState,
        version: str,
        kind: str,
        by: str,
        memory_limit: float | None = None,
        summary: str | None = None,
        stop_after: int | None = None,
        pause_above: float | None = None,
    ) -> dict:
        """Replace every instance with one of ``version``, one at a time; supersedes a running rollout.
        With ``stop_after`` the rollout stops once that many instances run the new version; with
        ``pause_above`` a guard pauses it when the new version fails more than that share of requests."""
        before = s.version
        if version != s.version:
            s.version_history.append(s.version)
            s.version = version
        if memory_limit is not None:
            s.memory_limit = memory_limit
        token = self._rollout_token.get(s.name, 0) + 1
        self._rollout_token[s.name] = token
        summary = (
            summary
            or {
                "deploy": f"deploy {s.name} {before} -> {version}",
                "rollback": f"rollback {s.name} {before} -> {version}",
                "restart": f"rolling restart of {s.name}",
                "memory_limit": f"memory limit of {s.name} -> {s.memory_limit:.0f} MB",
            }[kind]
        )
        op = self.operations.start(self.env.now, kind, s.name, summary, len(s.instances))
        self.settings_moved(s)
        replace_all = memory_limit is not None or kind == "restart"
        self.env.process(self._rollout(s, token, op, replace_all, stop_after, pause_above))
        return op

    def settings_moved(self, s: ServiceState) -> None:
        """The service's desired version, revision or flags changed: apply its service-wide settings."""
        if self.settings is not None and self.settings.layered(s.name):
            for name, before, after in apply_service_wide(self.settings, s, self.scale):
                self.timeline(self.env.now, "system", f"{s.name} setting {name}: {before} -> {after}")

    def _rollout(
        self,
        s: ServiceState,
        token: int,
        op: dict,
        replace_all: bool,
        stop_after: int | None = None,
        pause_above: float | None = None,
    ) -> Generator:
        pending = [i for i in list(s.instances) if replace_all or i.version != s.version]
        op["total"] = len(pending)
        pace = self.pacer.pace_for(op["kind"], op["started"]) if self.pacer is not None else None
        if pace is not None:
            yield from self.pacer.prepare(op, pace, len(pending))
        for n, old in enumerate(pending):
            if self._rollout_token.get(s.name) != token:
                return
            failing = new_version_errors(s) if pause_above is not None and op["done"] else 0.0
            if pause_above is not None and failing > pause_above:
                self._halt(op, f"paused by the rollout guard: {s.version} fails {failing:.1%} of requests")
                return
            if stop_after is not None and op["done"] >= stop_after:
                self._halt(op, "stopped")
                return
            if old not in s.instances:
                op["done"] += 1
                continue
            new = self.new_instance(s, self.placement_zone(s, old.zone))
            waited = 0.0
            while not new.ready and waited < s.spec.startup * 3 + 30:
                yield self.env.timeout(2.0)
                waited += 2.0
                if self._rollout_token.get(s.name) != token:
                    return
            self.logs.emit(self.env.now, "INFO", old, "Received SIGTERM, shutting down gracefully")
            self.terminate(old)
            op["done"] += 1
            if pause_above is not None:
                yield self.env.timeout(GUARD_WAIT)  # the guard's analysis window on the new instance
            if pace is not None:
                yield from self.pacer.per_instance(op, pace, len(pending) - n - 1)
        op["finished_at"] = self.env.now
        self.timeline(self.env.now, "operation", f"{op['summary']}: complete ({op['done']}/{op['total']})")

    def _halt(self, op: dict, why: str) -> None:
        """A rollout ends part-way: the service keeps running both versions."""
        self.timeline(self.env.now, "operation", f"{op['summary']}: {why} at {op['done']}/{op['total']} instances")
        op["summary"] += f" ({why.split(':')[0]} at {op['done']}/{op['total']})"
        op["finished_at"] = self.env.now

    def restart_all(self, s: ServiceState) -> None:
        """Replace every instance at once: no capacity until the new ones are ready."""
        self._rollout_token[s.name] = self._rollout_token.get(s.name, 0) + 1
        for old in list(s.instances):
            zone = old.zone
            self.terminate(old)
            self.new_instance(s, self.placement_zone(s, zone))

    def restart_instance(self, inst: Instance) -> None:
        """Delete one pod; its replacement starts in the same zone."""
        s = self.world.services[inst.service]
        zone = inst.zone
        self.terminate(inst)
        self.new_instance(s, self.placement_zone(s, zone))

    def scale(self, s: ServiceState, replicas: int) -> None:
        """Add instances in usable zones, or remove the newest ones."""
        s.desired = replicas
        while len(s.instances) < replicas:
            self.new_instance(s, self.placement_zone(s))
        while len(s.instances) > replicas:
            self.terminate(s.instances[-1])

    def push_config(
        self,
        s: ServiceState,
        revision: str,
        by: str,
        summary: str,
        propagation: float,
        kind: str = "config",
        reach: float = 1.0,
    ) -> dict:
        """Push a config revision; each instance picks it up at a random moment within ``propagation``
        (only a seeded share ``reach`` of them when below 1: an update that runs on some nodes)."""
        before = s.config
        s.config_history.append(s.config)
        s.config = revision
        self.record_change("config", s.name, summary or f"config {before} -> {revision}", by, before, revision)
        token = self._rollout_token.get("cfg:" + s.name, 0) + 1
        self._rollout_token["cfg:" + s.name] = token
        op = self.operations.start(
            self.env.now, kind, s.name, f"config push {s.name} {before} -> {revision}", len(s.instances)
        )
        self.settings_moved(s)
        self.env.process(self._propagate(s, revision, propagation, token, op, reach))
        return op

    def _propagate(
        self, s: ServiceState, revision: str, propagation: float, token: int, op: dict, reach: float = 1.0
    ) -> Generator:
        pace = self.pacer.pace_for(op["kind"], op["started"]) if self.pacer is not None else None
        if pace is not None:
            yield from self._propagate_paced(s, revision, token, op, pace)
            return
        targets = sorted(((self.rng.random() * propagation, i) for i in list(s.instances)), key=lambda p: p[0])
        if reach < 1.0:
            targets = targets[: max(1, round(reach * len(targets)))]
        op["total"] = len(targets)
        elapsed = 0.0
        for delay, inst in targets:
            if delay > elapsed:
                yield self.env.timeout(delay - elapsed)
                elapsed = delay
            if self._rollout_token.get("cfg:" + s.name) != token:
                return
            self._reload(s, inst, revision)
            op["done"] += 1
        op["finished_at"] = self.env.now

    def _reload(self, s: ServiceState, inst: Instance, revision: str) -> None:
        if inst.boot_crash and (inst.state != RUNNING or inst.broken_since is not None):
            return  # crash-looping or cut off: it cannot fetch the revision
        if inst in s.instances and inst.config != revision:
            inst.config = revision
            if self.fault_effects is not None:
                self.fault_effects(inst)
            self.logs.emit(self.env.now, "INFO", inst, self._reload_line(s, revision))

    def _propagate_paced(self, s: ServiceState, revision: str, token: int, op: dict, pace) -> Generator:
        """A revert at the scenario's pace: a fixed preparation, then instance after instance."""
        targets = list(s.instances)
        op["total"] = len(targets)
        yield from self.pacer.prepare(op, pace, len(targets))
        for n, inst in enumerate(targets):
            yield from self.pacer.per_instance(op, pace, len(targets) - n - 1)
            if self._rollout_token.get("cfg:" + s.name) != token:
                return
            self._reload(s, inst, revision)
            op["done"] += 1
        op["finished_at"] = self.env.now

    def _reload_line(self, s: ServiceState, revision: str) -> str:
        """What an instance logs when it loads a revision (with the settings it carries, if any)."""
        sets = self.settings.configs.get((s.name, revision)) if self.settings is not None else None
        if sets:
            return f"config reloaded: revision {revision} applied ({describe_settings(sets)})"
        return f"config reloaded: revision {revision} applied"


def new_version_errors(s: ServiceState) -> float:
    """Share of requests the instances of the service's desired version failed in the last tick."""
    rate = errors = 0.0
    for cohort in s.cohorts:
        if cohort.key[0] == s.version and cohort.dead_zone is None:
            rate += cohort.rate * len(cohort.members)
            errors += cohort.errors * len(cohort.members)
    return errors / rate if rate > 0 else 0.0


def pod_hash(service: str, version: str) -> str:
    """The ReplicaSet-style hash in pod names: stable per (service, version)."""
    return hashlib.sha256(f"{service}:{version}".encode()).hexdigest()[:9]
