"""Read-only snapshots of the world for views: what a dashboard shows of a service and its instances."""

from __future__ import annotations

from simulator.views import InstanceView, ServiceView
from simulator.world.state import RUNNING, ServiceState, World


def service_view(s: ServiceState) -> ServiceView:
    """A service's current state: versions and configs running, readiness, RED, resources, controls."""
    versions: dict[str, int] = {}
    configs: dict[str, int] = {}
    ready = 0
    for i in s.instances:
        versions[i.version] = versions.get(i.version, 0) + 1
        configs[i.config] = configs.get(i.config, 0) + 1
        if i.ready and not i.ejected and (i.broken_since is None or i.gray):  # gray passes health checks
            ready += 1
    return ServiceView(
        s.name,
        s.spec.kind,
        s.spec.owner,
        versions,
        configs,
        s.desired,
        ready,
        s.rate,
        s.error_ratio,
        s.p50,
        s.p95,
        s.p99,
        s.cpu,
        s.memory_ratio,
        s.pool_ratio,
        s.restarts_total,
        dict(s.spec.calls),
        s.rate_limit,
        s.shed * 100.0,
        tuple(sorted(s.fallbacks)),
        s.memory_limit,
    )


def instance_views(world: World, service: str | None = None) -> list[InstanceView]:
    """Live instances, optionally of one service."""
    out = []
    for s in world.services.values():
        if service and s.name != service:
            continue
        for i in s.instances:
            out.append(
                InstanceView(
                    i.id,
                    i.service,
                    i.zone,
                    i.version,
                    i.config,
                    i.state,
                    i.ready,
                    i.ready and not i.ejected and i.zone not in s.drained_zones,
                    (i.broken_since is None or i.gray) and i.state == RUNNING,
                    i.memory if i.state == RUNNING else 0.0,
                    i.memory_limit,
                    i.cpu,
                    i.rate,
                    i.errors / i.rate if i.rate > 0 else 0.0,
                    i.pool_ratio,
                    i.restarts,
                    i.last_exit,
                    i.started_at,
                )
            )
    return out
