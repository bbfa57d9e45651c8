"""The concrete moves that take a trap, built from the world at the moment it is played (for verify).

A trap is a predicate; to prove it reachable and harmful, verify needs actions a trainee could send:
patterns are resolved to the first service, zone or instance that fits (and fits the trap's zone and
version), a sequence becomes its ``count`` actions spread over the window or a restart of each
instance, and a drain of the last healthy zone drains the other healthy zones first.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any, Protocol

from pydantic import ValidationError

from scenarios.language.actions import ACTION_ADAPTER, Action
from scenarios.language.traps import Trap, any_matches, is_pattern
from simulator.world.cluster import DRAIN_DELAY
from simulator.world.state import World

Move = tuple[float, Action]
"""Seconds to wait before the action, and the action."""


class TrapMoveError(Exception):
    """A trap that cannot be made into actions (a pattern nothing fits, a required field missing)."""


class WorldSession(Protocol):
    """What building the moves reads: the world (``Simulation`` is one)."""

    world: World


def trap_moves(trap: Trap, sim: WorldSession) -> list[Move]:
    """The actions, with the wait before each, that take ``trap`` in the world as it is now."""
    world = sim.world
    body = _concrete(trap, world)
    if trap.last_healthy_zone:
        return [(0.0 if n == 0 else DRAIN_DELAY + 1.0, _action(b)) for n, b in enumerate(_drains(trap, body, world))]
    if trap.every_instance and body.get("mode") != "all" and "instance" not in body:
        s = world.services[body["service"]]
        return [(0.0, _action({**body, "instance": i.id})) for i in list(s.instances)]
    count = trap.count or 1
    gap = trap.window / count  # the whole sequence fits in the window
    return [(0.0 if n == 0 else gap, _action(body)) for n in range(count)]


def _concrete(trap: Trap, world: World) -> dict[str, Any]:
    """The trap's match with every pattern replaced by the first name in the world that fits."""
    body = dict(trap.match)
    service = body.get("service")
    if is_pattern(service):
        fits = [n for n in world.order if fnmatchcase(n, service) and _fits(trap, world, n)]
        if not fits:
            raise TrapMoveError(f"no service fits {service!r} with the trap's zone and version")
        body["service"] = fits[0]
    if is_pattern(body.get("zone")):
        zones = [z for z in world.zones if fnmatchcase(z, body["zone"]) and z not in world.down_zones]
        if not zones:
            raise TrapMoveError(f"no zone that is up fits {body['zone']!r}")
        body["zone"] = zones[0]
    if is_pattern(body.get("instance")) and isinstance(body.get("service"), str):
        s = world.services[body["service"]]
        ids = [i.id for i in s.instances if fnmatchcase(i.id, body["instance"])]
        if not ids:
            raise TrapMoveError(f"no instance of {s.name} fits {body['instance']!r}")
        body["instance"] = ids[0]
    left = [k for k, v in body.items() if is_pattern(v)]
    if left:
        raise TrapMoveError(f"give {', '.join(left)} a concrete value: a pattern there cannot be played")
    if trap.every_instance and body.get("service") not in world.services:
        raise TrapMoveError("every_instance needs the service to restart: give match.service")
    return body


def _fits(trap: Trap, world: World, name: str) -> bool:
    s = world.services[name]
    zones = {i.zone for i in s.instances}
    versions = {i.version for i in s.instances} or {s.version}
    return any_matches(trap.zone, zones) and any_matches(trap.version, versions)


def _drains(trap: Trap, body: dict[str, Any], world: World) -> Iterator[dict[str, Any]]:
    """Drains of every other healthy zone of the scope, then the zone of the trap (or the last one)."""
    name = body.get("service")
    services = [world.services[name]] if isinstance(name, str) else list(world.services.values())
    zones = [z for z in world.zones if any(i.zone == z for s in services for i in s.instances)]
    healthy = [z for z in zones if z not in world.down_zones and all(z not in s.drained_zones for s in services)]
    last = body.get("zone") if isinstance(body.get("zone"), str) else (healthy[-1] if healthy else None)
    if last is None or last not in healthy:
        raise TrapMoveError("there is no healthy zone left to drain")
    for zone in [z for z in healthy if z != last] + [last]:
        yield {**body, "zone": zone}


def _action(body: dict[str, Any]) -> Action:
    try:
        return ACTION_ADAPTER.validate_python(body)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise TrapMoveError(f"not a complete action ({where}: {first['msg']})") from None
