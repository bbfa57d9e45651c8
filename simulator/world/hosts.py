"""Faults that live on the host, not in the version or the config: automation runs that leave hosts
broken until they restart, per-host OS resources (threads, file descriptors, ephemeral ports) past
their limit, and config revisions that make a process exit (fail to start, or crash-loop).

The fault book asks this module for an instance's host effects in ``refresh``; the session calls
``tick`` once per step so resource use that grows with load, uptime or fleet size is followed.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Protocol

from scenarios.language.events import AutomationRun, BadConfig, ResourceExhaustion
from simulator.world.events import EventLog
from simulator.world.state import CRASHED, RUNNING, STARTING, TERMINATING, Instance, World

if TYPE_CHECKING:
    import simpy


class HostOrchestrator(Protocol):
    """What host faults ask of the orchestrator (``simulator.world.cluster.Cluster`` is one)."""

    logs: EventLog

    def record_change(
        self, kind: str, service: str, summary: str, by: str, before: str = "", after: str = ""
    ) -> None: ...

    def crash(self, inst: Instance, reason: str, exit_code: int) -> None: ...


NATIVE_ERRORS = {
    "threads": "java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource "
    "limits reached",
    "file_descriptors": "accept: too many open files",
    "ephemeral_ports": "connect: cannot assign requested address",
}
"""The message a process logs when it cannot get one more of the resource."""

SHARE_STEP = 0.005
"""A resource's failure share must move by this much before the instance's effects are recomputed."""


class HostFaults:
    """Host-level fault state: automation damage, resource use, crash scheduling."""

    def __init__(self, env: simpy.Environment, world: World, cluster: HostOrchestrator) -> None:
        self.env = env
        self.world = world
        self.cluster = cluster
        self.refresh: Callable[[Instance], None] | None = None
        """The fault book's refresh (wired by the fault book)."""
        self._touched: dict[str, tuple[int, AutomationRun]] = {}
        self._peers_seen: dict[tuple[str, int], float] = {}
        self._share: dict[tuple[str, int], float] = {}
        self._crash_scheduled: set[tuple[str, int]] = set()
        self.resources: list[ResourceExhaustion] = []

    # --- automation runs ---------------------------------------------------------------------

    def automation_run(self, fault: AutomationRun, flags: dict[str, bool]) -> Generator:
        """Work through the service's instances one by one; each it touches stays broken until it restarts.

        Without a kill switch it makes one pass over the instances there at its start; with one it runs on
        every host, new ones included, until the flag is switched off."""
        s = self.world.services[fault.service]
        verb = "maintenance script" if fault.kind == "script" else "automation run"
        summary = fault.summary or f"{verb} {fault.name} on {s.name}"
        self.cluster.record_change(fault.kind, s.name, f"{verb} {fault.name}: {summary}", fault.by)
        done: set[tuple[str, int]] = set()
        first = None if fault.flag is not None else {i.id for i in s.instances}
        while True:
            if fault.flag is not None and not flags.get(fault.flag, False):
                self.cluster.logs.emit_component(
                    self.env.now, "WARN", s.name, s.version, "-", fault.name, f"{fault.name}: stopped by kill switch"
                )
                return
            inst = self._next_host(fault, s.instances, done, first)
            if inst is None and fault.flag is None:
                return  # one pass, and every host it found is done
            if inst is not None:
                done.add((inst.id, inst.generation))
                self._touched[inst.id] = (inst.generation, fault)
                self.cluster.logs.emit(self.env.now, "INFO", inst, f"{fault.name}: {summary}")
                if self.refresh is not None:
                    self.refresh(inst)
            yield self.env.timeout(fault.every if inst is not None else 5.0)

    @staticmethod
    def _next_host(
        fault: AutomationRun, instances: list[Instance], done: set[tuple[str, int]], first: set[str] | None
    ) -> Instance | None:
        """The next host the run has not worked on (in its scope; a one-pass run skips hosts started later)."""
        for inst in instances:
            if (inst.id, inst.generation) in done or inst.state in (CRASHED, TERMINATING):
                continue
            if first is not None and inst.id not in first:
                continue
            if fault.scope is not None and fault.scope.zones and inst.zone not in fault.scope.zones:
                continue
            return inst
        return None

    def automation_damage(self, inst: Instance) -> AutomationRun | None:
        """The automation run that broke this instance in its current generation, if any."""
        hit = self._touched.get(inst.id)
        return hit[1] if hit is not None and hit[0] == inst.generation else None

    # --- OS resources ------------------------------------------------------------------------

    def resource_share(self, inst: Instance) -> tuple[float, str]:
        """Share of its work an instance fails for want of an OS resource, and the native message."""
        share, message = 0.0, ""
        for fault in self.resources:
            if fault.service != inst.service:
                continue
            got = self._share.get((inst.id, inst.generation), 0.0)
            if got > share:
                share, message = got, fault.error_message or NATIVE_ERRORS[fault.resource]
        return share, message

    def tick(self, now: float) -> None:
        """Follow resource use; recompute an instance's effects when its failure share moved.

        An instance holds ``base + per_peer x peers seen + per_rps x its rate + per_minute x uptime`` of
        the resource (threads made for a peer are not given back until a restart, so it counts the most
        peers it has seen); past the limit, the share of its work that needs one more fails:
        ``1 - limit / use``."""
        if not self.resources:
            return
        services = self.world.services
        peers_seen, shares = self._peers_seen, self._share
        for fault in self.resources:
            # Written out, the fault's fields read once: this runs for every instance of the service every
            # tick (a fleet of 60: a quarter of the tick went to a call per instance and the fields, which a
            # pydantic model reads slowly).
            peers = services[fault.peers or fault.service]
            base, per_peer, per_rps, per_minute, limit = (
                fault.base,
                fault.per_peer,
                fault.per_rps,
                fault.per_minute,
                fault.limit,
            )
            for inst in services[fault.service].instances:
                state = inst.state
                if state != RUNNING and state != STARTING:
                    continue
                key = (inst.id, inst.generation)
                seen = peers_seen.get(key, 0.0)
                fleet = float(len(peers.instances))
                if fleet > seen:  # (max(seen, fleet): the most it has seen)
                    seen = peers_seen[key] = fleet
                uptime = now - inst.started_at
                if 0.0 > uptime:
                    uptime = 0.0
                cohort = inst.cohort
                use = base + per_peer * seen + per_rps * (cohort.rate if cohort is not None else 0.0)
                use += per_minute * (uptime / 60.0)
                share = 0.0 if use <= limit else 1.0 - limit / use
                before = shares.get(key, 0.0)
                if abs(share - before) >= SHARE_STEP or (share == 0.0) != (before == 0.0):
                    shares[key] = share
                    if self.refresh is not None:
                        self.refresh(inst)

    # --- configs that make a process exit -------------------------------------------------------

    def schedule_crash(self, inst: Instance, fault: BadConfig) -> None:
        """A process that loaded a crashing revision exits ``crash_after`` later (once per generation)."""
        key = (inst.id, inst.generation)
        if key in self._crash_scheduled or inst.state not in (RUNNING, STARTING):
            return
        self._crash_scheduled.add(key)
        self.env.process(self._crash_later(inst, inst.generation, fault))

    def _crash_later(self, inst: Instance, generation: int, fault: BadConfig) -> Generator:
        yield self.env.timeout(fault.crash_after or 0.0)
        if inst.generation != generation or inst.state not in (RUNNING, STARTING) or inst.config != fault.revision:
            return
        when = "during start-up" if inst.state == STARTING else "after loading the new configuration"
        self.cluster.logs.emit(self.env.now, "ERROR", inst, f"FATAL: {fault.error_message}")
        self.cluster.logs.emit(
            self.env.now, "ERROR", inst, f"Container {inst.service} in pod {inst.id} exited {when} (exit code 1)"
        )
        self.cluster.crash(inst, "Error", 1)
