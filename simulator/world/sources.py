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
        self._plan = [
            (
                self.figures[src.name],
                src.name,
                src.target,
                world.services[src.target],
                src.rps,
                src.retries,
                src.tls,
                src.flag,
                src.start,
                src.every if src.kind == "cron" else None,
                src.lasts,
            )
            for src in self.sources
        ]
        """Per source, what :meth:`step` reads of it, read from the spec once (a spec attribute costs ~3x a
        tuple item, and this runs every tick for every source)."""
        self._by_target: dict[str, dict[str, SourceFigures]] = {}
        """The figures by target, in the figures' order (their names and targets never change)."""
        for name, fig in self.figures.items():
            self._by_target.setdefault(fig.target, {})[name] = fig

    def step(self, now: float) -> dict[str, float]:
        """Requests per second each target receives from internal sources this tick (retries included)."""
        offered: dict[str, float] = {}
        clients: dict[str, dict[str, float]] = {}
        self.world.internal_clients = clients
        flags = self.world.flags
        for fig, name, target_name, target, rps, retries, tls, flag, start, every, lasts in self._plan:
            fig.rate = fig.retried = fig.failed = fig.lost = 0.0
            # TrafficSource.running(now), written out.
            if now < start:
                continue
            since = now - start
            if every is not None:
                since %= every
            if not (lasts is None or since < lasts) or (flag is not None and not flags.get(flag, False)):
                continue
            if tls and now >= target.cert_expires_at:  # (ServiceState.cert_expired)
                fig.rate = rps * (1 + retries)  # every attempt fails its handshake
                fig.retried = rps * retries
                fig.failed = fig.lost = rps
                continue
            p = target.error_ratio
            attempts = rps * retry_amplification(p, retries)
            fig.rate = attempts
            fig.retried = attempts - rps
            fig.failed = rps * p ** (retries + 1)
            offered[target_name] = offered.get(target_name, 0.0) + attempts
            clients.setdefault(target_name, {})[name] = attempts
        return offered

    def clients_of(self, target: str) -> dict[str, SourceFigures]:
        """The sources calling ``target`` and their last tick (a new dict: the caller may keep it)."""
        found = self._by_target.get(target)
        return dict(found) if found is not None else {}
