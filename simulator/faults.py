"""Faults: their onset processes and the effects they put on instances.

A fault never scripts an outcome. It changes the world the way the real fault would (a version that
fails requests, a config revision that pins the CPU, memory that grows until the kernel kills the
container, a zone whose targets stop answering) and the tick model turns that into metrics, logs and
traces. Mitigations work only by changing what the fault depends on: the version, the config revision,
the instance's age, the zone's traffic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from typing import TYPE_CHECKING

from scenarios.language.events import BadConfig, BadDeploy, MemoryLeak, ZoneOutage
from simulator.world import RUNNING, Instance

if TYPE_CHECKING:
    from simulator.cluster import Cluster
    from simulator.rng import RandomStreams

OOM_EXIT_CODE = 137


class FaultBook:
    """The scenario's faults with their seeded onset times, and the per-instance effects of active ones."""

    def __init__(self, faults, cluster: Cluster, rng: RandomStreams, timeline) -> None:
        self.cluster = cluster
        self.world = cluster.world
        self.env = cluster.env
        self.timeline = timeline
        self.seed_salt = str(rng.seed)
        jitter = rng["fault-onsets"]
        self.onsets = [f.at + (jitter.random() * f.at_jitter if f.at_jitter else 0.0) for f in faults]
        self.faults = list(faults)
        self.active: list = []
        for fault, onset in zip(self.faults, self.onsets, strict=True):
            self.env.process(self._onset(fault, onset))

    def _onset(self, fault, onset: float) -> Generator:
        if onset > self.env.now:
            yield self.env.timeout(onset - self.env.now)
        self.active.append(fault)
        if isinstance(fault, BadDeploy):
            s = self.world.services[fault.service]
            if s.version != fault.version:
                self.cluster.record_change(
                    "deploy",
                    s.name,
                    f"deploy {s.name} {s.version} -> {fault.version}",
                    fault.by,
                    s.version,
                    fault.version,
                )
                self.cluster.rollout(s, fault.version, "deploy", fault.by)
        elif isinstance(fault, BadConfig):
            s = self.world.services[fault.service]
            self.cluster.push_config(s, fault.revision, fault.by, fault.summary, fault.propagation)
        elif isinstance(fault, ZoneOutage):
            yield from self._zone_outage(fault)
            return
        for inst in self.world.all_instances():
            self.refresh(inst)
            if isinstance(fault, MemoryLeak) and fault.since is not None and inst.leak_per_s and inst.state == RUNNING:
                self._leaked_before(inst, onset - max(fault.since, inst.started_at))

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
        for inst in world.all_instances():
            if inst.zone == fault.zone:
                self.cluster.break_instance(inst, fault.eject_after)
        if fault.lasts is None:
            return
        yield self.env.timeout(fault.lasts)
        world.down_zones.discard(fault.zone)
        self.timeline(self.env.now, "system", f"zone {fault.zone} is reachable again")
        for inst in world.all_instances():
            if inst.zone == fault.zone:
                self.cluster.heal_instance(inst)

    def refresh(self, inst: Instance) -> None:
        """Recompute an instance's fault effects from its version, config and the active faults."""
        err, lat, cpu, msg, leak = 0.0, 1.0, 1.0, "", 0.0
        for fault in self.active:
            if getattr(fault, "service", None) != inst.service:
                continue
            if isinstance(fault, BadDeploy) and inst.version == fault.version:
                err = 1.0 - (1.0 - err) * (1.0 - fault.error_rate)
                lat *= fault.latency_factor
                msg = fault.error_message
            elif isinstance(fault, BadConfig) and inst.config == fault.revision:
                err = 1.0 - (1.0 - err) * (1.0 - fault.error_rate)
                cpu *= fault.cpu_factor
                msg = fault.error_message
            elif isinstance(fault, MemoryLeak) and (fault.version is None or inst.version == fault.version):
                leak += fault.mb_per_min / 60.0 * self._leak_spread(inst)
        inst.fx_err, inst.fx_lat, inst.fx_cpu, inst.fx_msg = err, lat, cpu, msg
        inst.leak_per_s = leak

    def _leak_spread(self, inst: Instance) -> float:
        """Seeded per-instance variation of a leak rate (+-25 %), stable for the instance's life."""
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
            f"Memory cgroup out of memory: Killed process {inst.pid} (java) total-vm:{kb + 812_000}kB, anon-rss:{kb}kB, file-rss:0kB, shmem-rss:0kB",
        )
        logs.emit(
            now,
            "ERROR",
            inst,
            f"Container {inst.service} in pod {inst.id} terminated: OOMKilled (exit code {OOM_EXIT_CODE})",
        )
        self.timeline(now, "system", f"{inst.id} OOMKilled at {inst.memory:.0f} MB (limit {inst.memory_limit:.0f} MB)")
        self.cluster.crash(inst, "OOMKilled", OOM_EXIT_CODE)

    def describe(self) -> list[dict]:
        """The faults with their actual onset times (hidden truth: debrief and facilitator only)."""
        return [
            {"type": f.type, "onset_s": round(t, 3), **f.model_dump(exclude={"type", "at", "at_jitter"}, mode="json")}
            for f, t in zip(self.faults, self.onsets, strict=True)
        ]
