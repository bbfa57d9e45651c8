"""The signals an engineer opens beyond RED, per service, as ``misfortune inspect --show metrics``
prints them: retries sent, cache hit ratio, connections against their limit, certificate days left,
time in GC, the settings in effect per version and revision, and traffic split by version and client."""

from __future__ import annotations

import math
from typing import Any

from simulator.session.simulation import Simulation


def _last(sim: Simulation, service: str, metric: str, **split: str) -> float | None:
    values = sim.metric(service, metric, **split).values
    value = values[-1] if values else math.nan
    return None if math.isnan(value) else value


def service_signals(sim: Simulation, name: str) -> dict[str, Any]:
    """One service's signals now (None for those that do not apply to it)."""
    s = sim.world.services[name]
    out: dict[str, Any] = {
        "service": name,
        "retry_rate": s.retry_rate,
        "gc_ratio": s.gc_ratio,
        "cert_days": (s.cert_expires_at - sim.now) / 86400.0,
        "hit_ratio": s.hit if s.spec.cache_for else None,
        "connections": s.conn_demand if s.max_connections is not None else None,
        "max_connections": s.max_connections,
        "probe_success": _last(sim, name, "probe_success"),
    }
    cache_only = () if s.spec.cache_for else ("hit_ratio", "cache_ttl")
    out["settings"] = {
        f"{version} / {config}": {
            k: v for k, v in sim.settings.resolve(s, version, config).items() if k not in cache_only
        }
        for version, config in sorted({(i.version, i.config) for i in s.instances})
    }
    out["by_version"] = {v: _split(sim, name, version=v) for v in sim.split_values(name, "version")}
    out["by_client"] = {
        c: {**_split(sim, name, client=c), "retry_rate": _last(sim, name, "retry_rate", client=c)}
        for c in sim.split_values(name, "client")
    }
    return out


def _split(sim: Simulation, service: str, **split: str) -> dict[str, float | None]:
    return {m: _last(sim, service, m, **split) for m in ("rate", "error_ratio", "p99_ms")}


def signal_lines(signals: list[dict[str, Any]]) -> list[str]:
    """The signals as lines a person reads."""
    out = []
    for sg in signals:
        retries = "-" if sg["retry_rate"] is None else f"{sg['retry_rate']:.1f}/s"
        parts = [f"retries {retries}", f"cert {sg['cert_days']:.1f} d"]
        if sg["gc_ratio"]:
            parts.append(f"GC {sg['gc_ratio']:.0%}")
        if sg["hit_ratio"] is not None:
            parts.append(f"hit {sg['hit_ratio']:.1%}")
        if sg["connections"] is not None:
            parts.append(f"connections {sg['connections']:.0f}/{sg['max_connections']}")
        if sg["probe_success"] is not None:
            parts.append("probe ok" if sg["probe_success"] >= 1.0 else "probe FAILING")
        out.append(f"{sg['service']:18} " + "  ".join(parts))
        for where, values in sg["settings"].items():
            shown = " ".join(
                f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items() if v is not None
            )
            out.append(f"  settings {where}: {shown}")
        for dim in ("by_version", "by_client"):
            for value, fig in sg[dim].items():
                shown = "  ".join(f"{k} {v:.3g}" for k, v in fig.items() if v is not None)
                line = f"  {dim[3:]}={value}: " + (shown or "no data")
                out.append(line)
    return out
