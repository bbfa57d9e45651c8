"""Recovery pace and latches: how long fixes take in this system, and effects that outlive their trigger.

``RecoveryPacer`` turns a scenario's ``recovery`` paces into simulated time: a fixed preparation, then a
time per instance, each advancing at a fraction of its pace while a named slowdown holds (the outage
itself). It stamps the operation it drives with an ETA and the slowdowns holding, so the console can
say why a rollback crawls and compress time while nothing else happens.

``Latches`` remembers which instance a latched fault reached in which generation: the effect stays
until the instance restarts (a new generation), whatever happened to the trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from scenarios.language.recovery import DataPace, Pace, Recovery, Slowdown
from simulator.world.state import RUNNING, Instance, ServiceState, World

PACE_STEP = 5.0
"""Simulated seconds between looks at the slowdown conditions while a paced wait runs."""

_KIND_PACE = {"rollback": "rollback", "restart": "restart", "config_rollback": "revert"}
"""Operation kind -> the recovery pace that drives it."""


def service_down(s: ServiceState, above: float) -> bool:
    """True when no instance of ``s`` serves cleanly (running, ready, in rotation, its own failures at most
    ``above``) or, with traffic, it fails more than ``above`` of its requests."""
    for i in s.instances:  # (any() over a generator, written out: the tool fate asks every tick)
        if i.state == RUNNING and i.ready and not i.ejected and i.broken_since is None and i.fx_err <= above:
            return s.rate > 0 and s.error_ratio > above
    return True


class RecoveryPacer:
    """Paced waits for rollbacks, reverts, restarts and procedures, slowed by named conditions."""

    def __init__(self, env: simpy.Environment, world: World, recovery: Recovery | None) -> None:
        self.env = env
        self.world = world
        self.recovery = recovery
        self.manual_at: float | None = None
        """When a manual procedure last carried out its actions: operations it started then bypass the
        tooling whose pace the scenario models (the procedure's own steps were that time)."""

    def pace_for(self, kind: str, started: float | None = None) -> Pace | None:
        """The scenario's pace for an operation kind started at ``started`` (None: the engine's own pace)."""
        if self.recovery is None or kind not in _KIND_PACE:
            return None
        if started is not None and started == self.manual_at:
            return None
        return getattr(self.recovery, _KIND_PACE[kind])

    def data_pace(self, kind: str) -> DataPace | None:
        """The scenario's pace for a data recovery (``restore`` or ``resync``; None: the copy alone)."""
        return getattr(self.recovery, kind) if self.recovery is not None else None

    def holding(self, slowdowns: list[Slowdown]) -> list[Slowdown]:
        """The slowdowns whose condition holds now."""
        return [sd for sd in slowdowns if self._holds(sd)]

    def _holds(self, sd: Slowdown) -> bool:
        s = self.world.services[sd.service]
        if not sd.zones:
            return service_down(s, sd.error_ratio_above)
        return any(i.zone in sd.zones and i.fx_err > sd.error_ratio_above for i in s.instances)

    def factor(self, slowdowns: list[Slowdown]) -> float:
        """How many times slower recovery advances now (1 = its own pace)."""
        f = 1.0
        for sd in self.holding(slowdowns):
            f *= sd.factor
        return f

    def paced(
        self,
        work: float,
        slowdowns: list[Slowdown],
        op: dict | None = None,
        after: float = 0.0,
        on_eta: Callable[[float], None] | None = None,
    ) -> Generator:
        """Wait until ``work`` seconds of progress are made, advancing at 1/factor while slowdowns hold.

        ``after`` is the work that will remain once this wait is done (for the operation's ETA); ``on_eta``
        hears each new ETA (a host busy restoring says when it is done)."""
        left = work
        while left > 1e-9:
            factor = self.factor(slowdowns)
            if op is not None:
                self.stamp(op, left + after, slowdowns, factor)
            if on_eta is not None:
                on_eta(self.env.now + (left + after) * factor)
            step = min(PACE_STEP, left * factor)
            yield self.env.timeout(step)
            left -= step / factor
        if op is not None:
            self.stamp(op, after, slowdowns, self.factor(slowdowns))

    def stamp(self, op: dict, work_left: float, slowdowns: list[Slowdown], factor: float) -> None:
        """Write the ETA and the slowdowns holding on an operation record."""
        op["eta"] = self.env.now + work_left * factor
        names = [sd.name for sd in self.holding(slowdowns)]
        op["note"] = f"slowed x{factor:g}: " + "; ".join(names) if names else ""

    def prepare(self, op: dict, pace: Pace, instances: int) -> Generator:
        """The pace's fixed preparation (the ETA counts the instances still to do)."""
        yield from self.paced(pace.fixed, pace.slowed_by, op, after=pace.per_instance * instances)

    def per_instance(self, op: dict, pace: Pace, remaining: int) -> Generator:
        """One instance's share of the pace (``remaining`` instances after this one)."""
        yield from self.paced(pace.per_instance, pace.slowed_by, op, after=pace.per_instance * remaining)


class Latches:
    """Which latched fault reached which instance, per instance generation."""

    def __init__(self) -> None:
        self._reached: dict[str, tuple[int, set[int]]] = {}

    def holds(self, inst: Instance, fault, live: bool) -> bool:
        """Whether ``fault`` affects ``inst``: its live condition, or a latch from earlier in this generation."""
        if not getattr(fault, "latched", False):
            return live
        generation, faults = self._reached.get(inst.id, (inst.generation, set()))
        if generation != inst.generation:
            faults = set()
        if live:
            faults.add(id(fault))
            self._reached[inst.id] = (inst.generation, faults)
            return True
        return id(fault) in faults

    def latched(self, inst: Instance) -> bool:
        """Whether any latched fault still holds on the instance's current generation."""
        generation, faults = self._reached.get(inst.id, (-1, set()))
        return generation == inst.generation and bool(faults)
