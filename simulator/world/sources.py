"""Internal traffic: scheduled jobs, queue consumers, internal clients and probes calling one service.

Every tick each running source offers its rate to its target, amplified by its own retries against
the target's last failure rate (a consumer redelivering failed messages, a client with a retry loop),
so a struggling service also sees its internal callers pile on. Requests over TLS to a target whose
certificate expired never arrive; plain-HTTP ones (most health probes) still do.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.world.model import retry_amplification
from simulator.world.state import World


@dataclass(slots=True)
class SourceFigures:
    """One source's last tick, as its target's dashboards split by client show it."""

    target: str
    rate: float = 0.0
    """Requests per second it sent, retries included."""
    retried: float = 0.0
    """Of which retries."""
    failed: float = 0.0
    """Requests per second that failed after every retry."""
    lost: float = 0.0
    """Requests per second that never arrived (TLS to an expired certificate)."""


class InternalTraffic:
    """The scenario's traffic sources and what they sent in the last tick."""

    def __init__(self, sources, world: World) -> None:
        self.sources = list(sources)
        self.world = world
        self.figures: dict[str, SourceFigures] = {s.name: SourceFigures(s.target) for s in self.sources}

    def step(self, now: float) -> dict[str, float]:
        """Requests per second each target receives from internal sources this tick (retries included)."""
        offered: dict[str, float] = {}
        clients: dict[str, dict[str, float]] = {}
        self.world.internal_clients = clients
        services = self.world.services
        for src in self.sources:
            fig = self.figures[src.name]
            fig.rate = fig.retried = fig.failed = fig.lost = 0.0
            if not src.running(now) or (src.flag is not None and not self.world.flags.get(src.flag, False)):
                continue
            target = services[src.target]
            if src.tls and target.cert_expired(now):
                fig.rate = src.rps * (1 + src.retries)  # every attempt fails its handshake
                fig.retried = src.rps * src.retries
                fig.failed = fig.lost = src.rps
                continue
            p = target.error_ratio
            attempts = src.rps * retry_amplification(p, src.retries)
            fig.rate = attempts
            fig.retried = attempts - src.rps
            fig.failed = src.rps * p ** (src.retries + 1)
            offered[src.target] = offered.get(src.target, 0.0) + attempts
            clients.setdefault(src.target, {})[src.name] = attempts
        return offered

    def clients_of(self, target: str) -> dict[str, SourceFigures]:
        """The sources calling ``target`` and their last tick."""
        return {name: fig for name, fig in self.figures.items() if fig.target == target}
