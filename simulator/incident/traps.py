"""The engine's side of traps: judging an action against the scenario's trap predicates with the world.

The language (scenarios.language.traps) matches an action's fields; here the rest is judged on the
world before the action changes it: which zones and versions the action touches, whether a drain
leaves a service no healthy zone, and sequences (earlier matching actions within a window). A trap's
record of earlier actions grows only when an action is accepted (``record``), so a refused action never
counts towards a sequence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scenarios.language.traps import Trap, any_matches, fields_match
from simulator.world.state import Instance, ServiceState, World


@dataclass(frozen=True)
class Target:
    """What an action touches, read from the world before it acts."""

    service: ServiceState | None
    instances: tuple[Instance, ...]
    """Instances it acts on (the one named, those in the zone it drains, or the whole service)."""
    down: frozenset[str] = frozenset()
    """Ids of the instances it takes down at once (an instance restart, a restart of all)."""
    zones: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()


def target_of(world: World, body: Mapping[str, Any]) -> Target:
    """The service, instances, zones and versions an action (as a dumped body) touches."""
    service = world.services.get(body["service"]) if isinstance(body.get("service"), str) else None
    zone = body.get("zone")
    if service is not None:
        instances = [i for i in service.instances if body.get("instance") in (None, i.id)]
    elif isinstance(zone, str):
        instances = [i for s in world.services.values() for i in s.instances]
    else:
        instances = []
    if isinstance(zone, str):
        instances = [i for i in instances if i.zone == zone]
    down: frozenset[str] = frozenset()
    if body.get("action") == "restart" and (body.get("instance") is not None or body.get("mode") == "all"):
        down = frozenset(i.id for i in instances)
    zones = {zone} if isinstance(zone, str) else {i.zone for i in instances}
    versions = {i.version for i in instances} or ({service.version} if service is not None else set())
    return Target(service, tuple(instances), down, frozenset(zones), frozenset(versions))


def leaves_no_healthy_zone(world: World, body: Mapping[str, Any]) -> bool:
    """A drain of a healthy zone after which some service with instances has no undrained zone that is up."""
    zone = body.get("zone")
    if body.get("action") != "drain_zone" or not isinstance(zone, str) or zone in world.down_zones:
        return False
    name = body.get("service")
    services = [world.services[name]] if isinstance(name, str) and name in world.services else []
    if name is None:
        services = list(world.services.values())
    for s in services:
        zones = {i.zone for i in s.instances}
        if zone not in zones:
            continue
        healthy = zones - s.drained_zones - world.down_zones - {zone}
        if not healthy:
            return True
    return False


@dataclass
class TrapWatch:
    """Judges actions against a scenario's traps and remembers the accepted ones each trap matched."""

    traps: Sequence[Trap]
    seen: dict[int, list[float]] = field(default_factory=dict)
    """Per trap (by index): times of accepted actions that matched its fields, zone and version."""

    def judge(self, world: World, now: float, body: Mapping[str, Any]) -> tuple[Trap | None, list[int]]:
        """The first trap the action springs (or None), and the indices of every trap it matches."""
        sprung: Trap | None = None
        matched: list[int] = []
        target: Target | None = None
        for index, trap in enumerate(self.traps):
            if not fields_match(trap.match, body):
                continue
            if trap.needs_world:
                target = target or target_of(world, body)
                if not (any_matches(trap.zone, target.zones) and any_matches(trap.version, target.versions)):
                    continue
            matched.append(index)
            if sprung is None and self._springs(index, trap, world, now, body, target):
                sprung = trap
        return sprung, matched

    def record(self, now: float, matched: list[int]) -> None:
        """An accepted action matched these traps: it counts towards their sequences."""
        for index in matched:
            self.seen.setdefault(index, []).append(now)

    def _springs(
        self, index: int, trap: Trap, world: World, now: float, body: Mapping[str, Any], target: Target | None
    ) -> bool:
        if trap.last_healthy_zone and not leaves_no_healthy_zone(world, body):
            return False
        recent = [t for t in self.seen.get(index, []) if now - t <= trap.window]
        if trap.count is not None and len(recent) + 1 < trap.count:
            return False
        if trap.every_instance:
            assert target is not None  # every_instance needs the world, so the target was read
            return _every_instance_down(target, min(recent, default=now))
        return True


def _every_instance_down(target: Target, since: float) -> bool:
    """Every instance of the service is taken down now or was (re)started since the window began."""
    s = target.service
    if s is None or not s.instances or not target.down:
        return False
    return all(i.id in target.down or i.started_at >= since for i in s.instances)
