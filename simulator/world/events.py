"""Where the world reports what happens to it: the sinks its events go to.

The world wing imports no other wing, so it does not know the log generator or the incident timeline:
the session hands the cluster and the fault book an :class:`EventLog` (the telemetry wing's
``LogGenerator`` is one) and a :data:`Timeline` callback (the incident's timeline).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from simulator.world.state import Instance

Timeline = Callable[[float, str, str], None]
"""``(t, kind, text)``: an event for the incident timeline (a kill, a zone coming back, an operation done)."""


class EventLog(Protocol):
    """Log lines written by the world's own machinery (the kubelet, the load balancer, probes)."""

    def emit(self, t: float, level: str, inst: Instance, message: str) -> None:
        """One line from an instance."""
        ...

    def emit_many(self, t: float, level: str, insts: Iterable[Instance], message: str) -> None:
        """The same line from several instances."""
        ...

    def emit_component(
        self,
        t: float,
        level: str,
        service: str,
        version: str,
        zone: str,
        component: str,
        message: str,
        attributes: dict | None = None,
    ) -> None:
        """One line from a component that is not an instance (a load balancer, a synthetic probe)."""
        ...
