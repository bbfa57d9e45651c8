"""Judging the resolution condition on the simulated state (never on the trainee's claim)."""

from __future__ import annotations

import simpy

from scenarios.language.events import (
    AutomationRun,
    BadConfig,
    BadDeploy,
    BadFlag,
    CacheFailure,
    CertExpiry,
    DiskFill,
    MemoryLeak,
    PoolLeak,
    ResourceExhaustion,
    TrafficSurge,
    ZoneOutage,
)
from scenarios.language.incident import (
    CacheWarm,
    CertValid,
    ClientContained,
    ConfigNot,
    DiskHeadroom,
    FlagState,
    InstancesClean,
    MemoryHeadroom,
    NotRunning,
    Requirement,
    ZoneNoTraffic,
)
from scenarios.language.scenario import Scenario
from simulator.incident.process import SliTracker
from simulator.world.state import CRASHED, World


def default_requirements(faults, entry: str) -> list[Requirement]:
    """What each fault implies when the scenario gives no ``resolution.require``."""
    out: list[Requirement] = []
    for f in faults:
        if isinstance(f, MemoryLeak):
            if f.version:
                out.append(Requirement(not_running=NotRunning(service=f.service, version=f.version)))
            else:
                out.append(Requirement(memory_headroom=MemoryHeadroom(service=f.service)))
        elif isinstance(f, BadDeploy | PoolLeak) or f.type == "deploy":  # (deploy: an ordinary change)
            out.append(Requirement(not_running=NotRunning(service=f.service, version=f.version)))
        elif isinstance(f, BadConfig) or f.type == "config_change":
            out.append(Requirement(config_not=ConfigNot(service=f.service, revision=f.revision)))
        elif isinstance(f, ZoneOutage):
            out.append(Requirement(zone_no_traffic=ZoneNoTraffic(zone=f.zone)))
        elif isinstance(f, BadFlag):
            out.append(Requirement(flag=FlagState(flag=f.flag, enabled=False)))
        elif isinstance(f, CacheFailure):
            out.append(Requirement(cache_warm=CacheWarm(service=f.service)))
        elif isinstance(f, DiskFill):
            out.append(Requirement(config_not=ConfigNot(service=f.service, revision=f.revision)))
            out.append(Requirement(disk_headroom=DiskHeadroom(service=f.service)))
        elif isinstance(f, CertExpiry):
            out.append(Requirement(cert_valid=CertValid(service=f.service)))
        elif isinstance(f, TrafficSurge):
            out.append(Requirement(client_contained=ClientContained(service=entry, client=f.client)))
        if isinstance(f, AutomationRun | ResourceExhaustion) or getattr(f, "latched", False):
            out.append(Requirement(instances_clean=InstancesClean(service=f.service)))
    return out


class ResolutionJudge:
    """Checks a scenario's resolution condition against the live world."""

    def __init__(self, scenario: Scenario, world: World, sli: SliTracker, env: simpy.Environment) -> None:
        self.world = world
        self.sli = sli
        self.env = env
        res = scenario.resolution
        # Either list replaces the defaults (scenarios/README.md): any_of alone means "one of these".
        defaults = [] if res.any_of else default_requirements(scenario.faults, scenario.entry_service)
        self.require = list(res.require) or defaults
        self.any_of = list(res.any_of)
        self.healthy_for = res.healthy_for

    def holds(self, req: Requirement) -> bool:
        """Whether one requirement holds now."""
        world = self.world
        if req.not_running:
            s = world.services[req.not_running.service]
            return all(i.version != req.not_running.version for i in s.instances)
        if req.config_not:
            s = world.services[req.config_not.service]
            return all(i.config != req.config_not.revision for i in s.instances)
        if req.zone_no_traffic:
            zone = req.zone_no_traffic.zone
            if zone not in world.down_zones:
                return True
            return all(
                zone in s.drained_zones or not any(i.zone == zone for i in s.instances) for s in world.services.values()
            )
        if req.memory_headroom:
            s = world.services[req.memory_headroom.service]
            below = req.memory_headroom.below
            return all(i.memory < below * i.memory_limit for i in s.instances)
        if req.flag:
            return world.flags.get(req.flag.flag) == req.flag.enabled
        if req.cache_warm:
            s = world.services[req.cache_warm.service]
            return s.hit >= req.cache_warm.above * s.warm_hit
        if req.cert_valid:
            return not world.services[req.cert_valid.service].cert_expired(self.env.now)
        if req.disk_headroom:
            s = world.services[req.disk_headroom.service]
            return all(i.disk < req.disk_headroom.below * s.spec.disk_gb for i in s.instances)
        if req.client_contained:
            s = world.services[req.client_contained.service]
            client = req.client_contained.client
            limit = s.client_limits.get(client)
            surge = world.surges.get(client, 0.0)
            return surge <= 0.0 or (limit is not None and limit <= surge * 0.5 + 1.0)
        if req.fallback:
            return req.fallback.dependency in world.services[req.fallback.service].fallbacks
        if req.data_serving:
            return world.services[req.data_serving.service].data_serving
        if req.instances_clean:
            s = world.services[req.instances_clean.service]
            return all(i.fx_err == 0.0 and i.fx_lat == 1.0 and i.state != CRASHED for i in s.instances)
        raise AssertionError("Requirement validates exactly one field")

    def unmet(self) -> list[str]:
        """Human-readable reasons the incident is not resolved yet (empty when it is)."""
        reasons = []
        if not all(self.holds(r) for r in self.require):
            reasons.append("the cause is still present in the system")
        if self.any_of and not any(self.holds(r) for r in self.any_of):
            reasons.append("the cause is still present in the system")
        streak = self.sli.healthy_streak(self.env.now)
        if streak < self.healthy_for:
            reasons.append(
                f"the user-facing SLI has been healthy for {streak:.0f}s, not the {self.healthy_for:.0f}s required"
            )
        return sorted(set(reasons), key=reasons.index)
