"""Faults: their onset processes and the effects they put on the world.

A fault never scripts an outcome. It changes the world the way the real fault would (a version that
fails requests, a config revision that pins the CPU, memory that grows until the kernel kills the
container, a zone whose targets stop answering, a flag that breaks one cohort, a cache that lost its
contents, a certificate past its date) and the tick model turns that into metrics, logs and traces.
Mitigations work only by changing what the fault depends on: the version, the config revision, the
flag, the instance's age, the zone's traffic, the load admitted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from typing import TYPE_CHECKING, Protocol

import simpy

from scenarios.language.events import (
    AutomationRun,
    BadConfig,
    BadDeploy,
    BadFlag,
    CacheFailure,
    CertExpiry,
    ConfigChange,
    DeployChange,
    DiskFill,
    Latency,
    MemoryLeak,
    Partition,
    PoolLeak,
    ReplicationLag,
    ResourceExhaustion,
    TrafficSurge,
    ZoneOutage,
)
from simulator.world.events import EventLog, Timeline
from simulator.world.hosts import HostFaults
from simulator.world.recovery import Latches
from simulator.world.settings import describe_settings
from simulator.world.state import CRASHED, RUNNING, TERMINATING, Instance, ServiceState, World

if TYPE_CHECKING:
    from simulator.world.rng import RandomStreams

OOM_EXIT_CODE = 137
DISK_FULL_MESSAGE = "write /var/log/app/app.log: no space left on device"
SURGE_STOP_DELAY = 60.0  # clients poll the flag service about once a minute
BOOT_CRASH_AFTER = 4.0  # seconds into loading a crashing revision before the process dies
BOOT_CRASH_EXIT_CODE = 139  # SIGSEGV
NETWORK_EJECT_AFTER = 30.0  # health checks notice a node that lost its routes


class Orchestrator(Protocol):
    """What a fault asks of the orchestrator (``simulator.world.cluster.Cluster`` is one): the fault
    book describes the change, the orchestrator carries it out over simulated time."""

    env: simpy.Environment
    world: World
    logs: EventLog

    def record_change(
        self, kind: str, service: str, summary: str, by: str, before: str = "", after: str = ""
    ) -> None: ...

    def rollout(
        self,
        s: ServiceState,
        version: str,
        kind: str,
        by: str,
        stop_after: int | None = None,
        pause_above: float | None = None,
    ) -> dict: ...

    def push_config(
        self, s: ServiceState, revision: str, by: str, summary: str, propagation: float, reach: float = 1.0
    ) -> dict: ...

    def break_instance(self, inst: Instance, eject_after: float, gray: bool = False) -> None: ...

    def heal_instance(self, inst: Instance) -> None: ...

    def lose_primary(self, s: ServiceState) -> None: ...

    def crash(self, inst: Instance, reason: str, exit_code: int) -> None: ...


class FaultBook:
    """The scenario's faults with their seeded onset times and the effects of the active ones."""

    def __init__(self, faults, cluster: Orchestrator, rng: RandomStreams, timeline: Timeline) -> None:
        self.cluster = cluster
        self.world = cluster.world
        self.env = cluster.env
        self.timeline = timeline
        self.seed_salt = str(rng.seed)
        jitter = rng["fault-onsets"]
        self.onsets = [f.at + (jitter.random() * f.at_jitter if f.at_jitter else 0.0) for f in faults]
        self.faults = list(faults)
        self.active: list = []
        self.ended: set[int] = set()
        self._flag_stage: dict[str, float] = {}
        self.has_surges = any(isinstance(f, TrafficSurge) for f in self.faults)
        self.latches = Latches()
        self.hosts = HostFaults(self.env, self.world, cluster)
        self.hosts.refresh = self.refresh
        for fault, onset in zip(self.faults, self.onsets, strict=True):
            if isinstance(fault, CertExpiry):
                # The certificate's date is known from the start: dashboards count down to it.
                s = self.world.services[fault.service]
                s.cert_expires_at = onset
                s.tls_share = fault.tls_share
                s.probe_tls = fault.probe == "https"
            self.env.process(self._onset(fault, onset))

    def add(self, fault) -> None:
        """Start one more fault now (a facilitator injects one of the scenario's optional faults)."""
        self.faults.append(fault)
        self.onsets.append(self.env.now)
        book = getattr(self.cluster, "settings", None)
        if book is not None:
            book.register_fault(fault)
        self.has_surges = self.has_surges or isinstance(fault, TrafficSurge)
        self.env.process(self._onset(fault, self.env.now))

    # --- onsets ------------------------------------------------------------------------------

    def _onset(self, fault, onset: float) -> Generator:
        if onset > self.env.now:
            yield self.env.timeout(onset - self.env.now)
        self.active.append(fault)
        cluster = self.cluster
        if isinstance(fault, BadDeploy | PoolLeak):
            s = self.world.services[fault.service]
            if s.version != fault.version:
                summary = f"deploy {s.name} {s.version} -> {fault.version}"
                cluster.record_change("deploy", s.name, summary, fault.by, s.version, fault.version)
                cluster.rollout(s, fault.version, "deploy", fault.by)
        elif isinstance(fault, AutomationRun | ResourceExhaustion) or getattr(fault, "reload", True) is False:
            yield from self._host_onset(fault)
            return
        elif isinstance(fault, DeployChange | ConfigChange):
            self._ordinary_change(fault)
        elif isinstance(fault, BadConfig | DiskFill):
            s = self.world.services[fault.service]
            propagation = fault.propagation if isinstance(fault, BadConfig) else 20.0
            reach = fault.reach if isinstance(fault, BadConfig) else 1.0
            cluster.push_config(s, fault.revision, fault.by, fault.summary, propagation, reach=reach)
        elif isinstance(fault, ZoneOutage):
            yield from self._zone_outage(fault)
            return
        elif isinstance(fault, Latency | TrafficSurge | ReplicationLag | Partition) and fault.lasts is not None:
            # Faults that end on their own (simulator/world/data.py applies a replication lag and a cut).
            if isinstance(fault, Partition):
                self.timeline(self.env.now, "system", f"network: {fault.zone} cut off from the other zones")
            self.env.process(self._end_after(fault, fault.lasts))
        elif isinstance(fault, BadFlag):
            yield from self._flag_rollout(fault)
            return
        elif isinstance(fault, CacheFailure):
            cache = self.world.services[fault.service]
            cache.hit = min(cache.hit, fault.hit_ratio)
            self.cluster.logs.emit_many(
                self.env.now, "WARN", cache.instances[:1], "cache restarted: 0 keys loaded, serving cold"
            )
        elif isinstance(fault, CertExpiry):
            self.timeline(self.env.now, "system", f"certificate of {fault.service} expired")
            self.env.process(self._probe_failures(fault))
        for inst in self.world.all_instances():
            self.refresh(inst)
            if isinstance(fault, MemoryLeak) and fault.since is not None and inst.leak_per_s and inst.state == RUNNING:
                self._leaked_before(inst, onset - max(fault.since, inst.started_at))

    def _ordinary_change(self, fault: DeployChange | ConfigChange) -> None:
        """A deploy or config push whose only 'fault' is the settings it carries."""
        s = self.world.services[fault.service]
        cluster = self.cluster
        if isinstance(fault, DeployChange):
            if s.version != fault.version:
                summary = f"deploy {s.name} {s.version} -> {fault.version}"
                cluster.record_change("deploy", s.name, summary, fault.by, s.version, fault.version)
                cluster.rollout(
                    s, fault.version, "deploy", fault.by, stop_after=fault.stop_after, pause_above=fault.pause_above
                )
            return
        summary = fault.summary or f"config {s.config} -> {fault.revision}: {describe_settings(fault.sets.given())}"
        cluster.push_config(s, fault.revision, fault.by, summary, fault.propagation)

    def _host_onset(self, fault) -> Generator:
        """Onsets of the host-level faults: an automation run works through its hosts, a resource starts
        being followed, a start-up-only config is stored (the instances started later read it)."""
        if isinstance(fault, AutomationRun):
            yield from self.hosts.automation_run(fault, self.world.flags)
        elif isinstance(fault, ResourceExhaustion):
            self.hosts.resources.append(fault)
        else:
            self._store_config(fault)

    def _store_config(self, fault: BadConfig) -> None:
        """A revision read only at start-up: stored for the service, running processes keep their own."""
        s = self.world.services[fault.service]
        before = s.config
        s.config_history.append(before)
        s.config = fault.revision
        summary = fault.summary or f"config {before} -> {fault.revision}"
        self.cluster.record_change("config", s.name, summary, fault.by, before, fault.revision)

    def _end_after(self, fault, delay: float) -> Generator:
        yield self.env.timeout(delay)
        self.ended.add(id(fault))
        if isinstance(fault, Partition):
            self.timeline(self.env.now, "system", f"network: {fault.zone} reachable from the other zones again")
        if fault in self.active and not fault.latched:  # a latched fault lingers on the instances it reached
            self.active.remove(fault)
        for inst in self.world.all_instances():
            self.refresh(inst)

    def _leaked_before(self, inst: Instance, seconds: float) -> None:
        """Age an instance that has been leaking for ``seconds`` already: earlier OOM kills included."""
        headroom = inst.memory_limit - inst.memory
        leaked = inst.leak_per_s * max(seconds, 0.0)
        kills = int(leaked // headroom)
        inst.memory += leaked - kills * headroom
        if kills:
            inst.restarts += kills
            inst.last_exit = f"OOMKilled (exit code {OOM_EXIT_CODE})"
            self.world.services[inst.service].restarts_total += kills

    def _zone_outage(self, fault: ZoneOutage) -> Generator:
        world = self.world
        world.down_zones.add(fault.zone)
        world.zone_hang[fault.zone] = fault.hang
        world.zone_fail_share[fault.zone] = fault.fail_share
        for inst in world.all_instances():
            if inst.zone == fault.zone:
                self.cluster.break_instance(inst, fault.eject_after, gray=fault.gray)
        for s in world.services.values():
            if s.primary_zone == fault.zone and not fault.gray:
                self.cluster.lose_primary(s)
        if fault.lasts is None:
            return
        yield self.env.timeout(fault.lasts)
        world.down_zones.discard(fault.zone)
        self.timeline(self.env.now, "system", f"zone {fault.zone} is reachable again")
        for inst in world.all_instances():
            if inst.zone == fault.zone:
                self.cluster.heal_instance(inst)

    def _flag_rollout(self, fault: BadFlag) -> Generator:
        """Switch the flag on and widen its rollout stage by stage (each stage in the flag audit log)."""
        for i, percent in enumerate(fault.stages):
            if i:
                yield self.env.timeout(fault.stage_every)
                if not self.world.flags.get(fault.flag, False) and i > 0:
                    return  # someone switched it off: the rollout stops
            self.world.flags[fault.flag] = True
            self._flag_stage[fault.flag] = percent
            self.cluster.record_change(
                "flag", fault.service, f"flag {fault.flag} rollout {percent:g}%", fault.by, "", f"{percent:g}%"
            )
            self.refresh_services()

    def _probe_failures(self, fault: CertExpiry, probing: bool = False) -> Generator:
        """Synthetic probes keep reporting the TLS failure (the service's own logs stay quiet).

        The loop's one wait comes first: a restore (simulator/session/snapshots.py) re-creates it at its
        next probe with ``probing`` as it was (True: the probe before the wait failed)."""
        s = self.world.services[fault.service]
        if not probing:
            probing = self._probe(s)
        while probing:
            yield self.env.timeout(60.0)
            probing = self._probe(s)

    def _probe(self, s) -> bool:
        """One probe now: a failure logged while the certificate is expired; False once it is not."""
        if not (s.cert_expired(self.env.now) and s.probe_tls):
            return False
        self.cluster.logs.emit_component(
            self.env.now,
            "ERROR",
            s.name,
            s.version,
            "-",
            "synthetic-probe",
            f"probe https://{s.name}.example.com/healthz failed: x509: certificate has expired or is not yet valid",
            attributes={"error.type": "x509", "probe": "https"},
        )
        return True

    # --- effects -----------------------------------------------------------------------------

    def refresh(self, inst: Instance) -> None:
        """Recompute an instance's fault effects from its version, config, zone and the active faults."""
        err, lat, cpu, msg, leak, hold, disk = 0.0, 1.0, 1.0, "", 0.0, 0.0, 0.0
        crash = unreachable = False
        latch = self.latches.holds
        for fault in self.active:
            if getattr(fault, "service", None) != inst.service or not _in_scope(fault, inst):
                continue
            if not self._reaches(fault, inst):
                continue
            if isinstance(fault, BadDeploy) and inst.version == fault.version:
                err = 1.0 - (1.0 - err) * (1.0 - _scoped(fault, fault.error_rate))
                lat *= fault.latency_factor
                msg = _who(fault, fault.error_message)
            elif isinstance(fault, BadConfig) and latch(inst, fault, inst.config == fault.revision):
                err = 1.0 - (1.0 - err) * (1.0 - _scoped(fault, fault.error_rate))
                cpu *= fault.cpu_factor
                msg = _who(fault, fault.error_message)
                if fault.crash_after is not None and inst.config == fault.revision:
                    self.hosts.schedule_crash(inst, fault)
                crash = crash or fault.crash
                unreachable = unreachable or fault.drops_network
            elif isinstance(fault, MemoryLeak) and (fault.version is None or inst.version == fault.version):
                leak += fault.mb_per_min / 60.0 * self._spread(inst)
            elif isinstance(fault, Latency) and latch(
                inst, fault, id(fault) not in self.ended and (fault.zone is None or inst.zone == fault.zone)
            ):
                lat *= fault.factor
                if fault.error_rate:
                    err = 1.0 - (1.0 - err) * (1.0 - _scoped(fault, fault.error_rate))
                    msg = _who(fault, fault.error_message)
            elif isinstance(fault, PoolLeak) and inst.version == fault.version:
                hold += fault.hold_ms
            elif isinstance(fault, DiskFill) and inst.config == fault.revision:
                disk += fault.gb_per_hour / 3600.0 * self._spread(inst)
        err, lat, msg = self._host_effects(inst, err, lat, msg)
        if inst.disk >= self.world.services[inst.service].spec.disk_gb:
            # Writes fail and blocking loggers stall request threads.
            err, lat, msg = 1.0, lat * 20.0, DISK_FULL_MESSAGE
        inst.fx_err, inst.fx_lat, inst.fx_cpu, inst.fx_msg = err, lat, cpu, msg
        inst.fx_hold = hold
        self._loaded_effects(inst, crash, unreachable, msg)
        inst.leak_per_s = leak
        inst.disk_per_s = disk

    def _reaches(self, fault, inst: Instance) -> bool:
        """Whether a bad deploy or config reaches this instance: the code path behind its flag is on, and
        a latent bug is in the version the instance runs."""
        if isinstance(fault, BadDeploy | BadConfig) and fault.flag is not None:
            if not self.world.flags.get(fault.flag, False):
                return False
        return not (isinstance(fault, BadConfig) and fault.on_version is not None and inst.version != fault.on_version)

    def _loaded_effects(self, inst: Instance, crash: bool, unreachable: bool, msg: str) -> None:
        """What a revision does as it loads: crash the process, or cut the node off the network."""
        if (crash or unreachable) != inst.boot_crash:
            inst.boot_crash = crash or unreachable
        if crash and inst.state != CRASHED and inst.state != TERMINATING:
            self.env.process(self._crash_on_load(inst, inst.generation, msg))
        if unreachable and inst.broken_since is None and inst.state == RUNNING:
            self.cluster.logs.emit(self.env.now, "ERROR", inst, msg)
            self.cluster.break_instance(inst, NETWORK_EJECT_AFTER)

    def _crash_on_load(self, inst: Instance, generation: int, message: str) -> Generator:
        """An instance that loaded a crashing revision dies a few seconds into loading it."""
        yield self.env.timeout(BOOT_CRASH_AFTER)
        if inst.generation != generation or not inst.boot_crash or inst.state in (CRASHED, TERMINATING):
            return
        self.cluster.logs.emit(self.env.now, "FATAL", inst, message)
        self.cluster.crash(inst, "Error", BOOT_CRASH_EXIT_CODE)

    def _host_effects(self, inst: Instance, err: float, lat: float, msg: str) -> tuple[float, float, str]:
        """Add what the host itself suffers: an automation run's damage, an OS resource past its limit."""
        run = self.hosts.automation_damage(inst)
        if run is not None:
            err = 1.0 - (1.0 - err) * (1.0 - _scoped(run, run.error_rate))
            lat *= run.latency_factor
            msg = _who(run, run.error_message)
        share, native = self.hosts.resource_share(inst)
        if share > 0.0:
            err = 1.0 - (1.0 - err) * (1.0 - share)
            msg = native
        return err, lat, msg

    def refresh_services(self) -> None:
        """Recompute service-wide effects (a bad flag's cohort) after a flag or fault changed."""
        for s in self.world.services.values():
            s.extra_err, s.extra_msg = 0.0, ""
            s.dirty = True
        for fault in self.active:
            if isinstance(fault, BadFlag) and self.world.flags.get(fault.flag, False):
                s = self.world.services[fault.service]
                share = fault.cohort_share * self._flag_stage.get(fault.flag, 100.0) / 100.0
                s.extra_err = 1.0 - (1.0 - s.extra_err) * (1.0 - share * fault.error_rate)
                s.extra_msg = fault.error_message

    def set_flag(self, name: str, enabled: bool) -> None:
        """Flip a feature flag in the world and recompute what depends on it."""
        self.world.flags[name] = enabled
        if not enabled:
            self.world.flag_off_at[name] = self.env.now
        self.refresh_services()  # also marks every service for recomputation (retry flags)
        if any(getattr(f, "flag", None) == name for f in self.active):
            for inst in self.world.all_instances():
                self.refresh(inst)  # a fault behind the flag starts or stops

    def surges(self, now: float, user_rate: float) -> dict[str, float]:
        """Extra requests per second by client from the traffic surges active at ``now``."""
        out: dict[str, float] = {}
        for fault, onset in zip(self.faults, self.onsets, strict=True):
            if not isinstance(fault, TrafficSurge) or now < onset or id(fault) in self.ended:
                continue
            if fault.flag is not None and not self._flag_on_for_clients(fault.flag, now):
                continue
            ramp = min((now - onset) / fault.ramp, 1.0) if fault.ramp > 0 else 1.0
            out[fault.client] = out.get(fault.client, 0.0) + user_rate * (fault.factor - 1.0) * ramp
        return out

    def surge_profile(self, client: str) -> tuple[str, dict[str, float] | None]:
        """Route and fan-out of a surge client's requests."""
        for fault in self.faults:
            if isinstance(fault, TrafficSurge) and fault.client == client:
                return fault.route, fault.calls
        return "", None

    def _flag_on_for_clients(self, flag: str, now: float) -> bool:
        """Clients see a flag switched off only after their next poll."""
        if self.world.flags.get(flag, False):
            return True
        off_at = self.world.flag_off_at.get(flag)
        return off_at is not None and now < off_at + SURGE_STOP_DELAY

    def _spread(self, inst: Instance) -> float:
        """Seeded per-instance variation of a rate (+-25 %), stable for the instance's life."""
        digest = hashlib.sha256(f"{self.seed_salt}:{inst.id}".encode()).digest()
        return 0.75 + 0.5 * digest[0] / 255.0

    def oom_kill(self, inst: Instance) -> None:
        """The kernel kills a container over its memory limit (the tick model found it)."""
        if inst.state != RUNNING:
            return
        now = self.env.now
        logs = self.cluster.logs
        kb = int(inst.memory * 1024)
        logs.emit(
            now,
            "ERROR",
            inst,
            f"Memory cgroup out of memory: Killed process {inst.pid} (java) total-vm:{kb + 812_000}kB, "
            f"anon-rss:{kb}kB, file-rss:0kB, shmem-rss:0kB",
        )
        logs.emit(
            now,
            "ERROR",
            inst,
            f"Container {inst.service} in pod {inst.id} terminated: OOMKilled (exit code {OOM_EXIT_CODE})",
        )
        self.timeline(now, "system", f"{inst.id} OOMKilled at {inst.memory:.0f} MB (limit {inst.memory_limit:.0f} MB)")
        self.cluster.crash(inst, "OOMKilled", OOM_EXIT_CODE)

    def disk_full(self, inst: Instance) -> None:
        """An instance's disk filled up: writes fail from now on."""
        self.cluster.logs.emit(self.env.now, "ERROR", inst, DISK_FULL_MESSAGE)
        self.timeline(self.env.now, "system", f"{inst.id}: disk full")
        self.refresh(inst)

    def describe(self) -> list[dict]:
        """The faults with their actual onset times (hidden truth: debrief and facilitator only)."""
        return [
            {"type": f.type, "onset_s": round(t, 3), **f.model_dump(exclude=_undescribed(f), mode="json")}
            for f, t in zip(self.faults, self.onsets, strict=True)
        ]


def _undescribed(fault) -> set[str]:
    """Fields the hidden truth leaves out: the onset's inputs, and v3 fields left at their defaults."""
    out = {"type", "at", "at_jitter"}
    if fault.scope is None:
        out.add("scope")
    if not fault.latched:
        out.add("latched")
    if isinstance(fault, BadConfig):
        if fault.crash_after is None:
            out.add("crash_after")
        if fault.reload:
            out.add("reload")
    return out


def _in_scope(fault, inst: Instance) -> bool:
    """Whether the instance is in the fault's zones (every zone without a scope)."""
    scope = fault.scope
    return scope is None or not scope.zones or inst.zone in scope.zones


def _scoped(fault, rate: float) -> float:
    """An error rate scaled to the share of requests the fault's tenants or cohort make."""
    return rate if fault.scope is None else rate * fault.scope.share


def _who(fault, message: str) -> str:
    """The failure's log message, naming who is affected when the scope says."""
    return f"{message} ({fault.scope.who})" if fault.scope is not None and fault.scope.who else message
