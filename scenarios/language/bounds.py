"""Bounds that span several fields of a validated scenario (total replicas, steps, calls per request).

The per-field bounds live in :mod:`scenarios.limits`; these need the whole :class:`Scenario`, which
``limits`` must not import (the language imports ``limits``).
"""

from __future__ import annotations

from collections.abc import Iterator

from scenarios.language.scenario import Scenario
from scenarios.limits import MAX_CALLS_PER_REQUEST, MAX_TICKS, MAX_TOTAL_REPLICAS, Problem


def scenario_bound_problems(sc: Scenario) -> Iterator[Problem]:
    """Bounds that span several fields of a validated scenario, each with the path to point at."""
    if sc.duration / sc.tick > MAX_TICKS:
        yield (
            ("tick",),
            f"duration / tick is {sc.duration / sc.tick:,.0f} steps, more than {MAX_TICKS:,}; "
            "use a longer tick or a shorter duration",
        )
    services = sc.topology.services
    total = sum(s.replicas for s in services)
    if total > MAX_TOTAL_REPLICAS:
        yield (
            ("topology", "services"),
            f"{total:,} replicas in all are too many (at most {MAX_TOTAL_REPLICAS:,} over all services)",
        )
    worst = _worst_calls_per_request(sc)
    if worst is not None:
        entry, calls = worst
        yield (
            ("topology", "services"),
            f"one request to {entry!r} causes about {calls:,.0f} dependency calls (calls x retries along the "
            f"call graph), more than {MAX_CALLS_PER_REQUEST:,.0f}; lower calls or retries",
        )


def _worst_calls_per_request(sc: Scenario) -> tuple[str, float] | None:
    """The service whose one request causes the most downstream calls, if that is over the bound.

    Each edge counts ``calls * (1 + retries)``, the worst case when every call fails and is retried.
    A cyclic graph is reported by the cross-checks; here a cycle is cut where it closes.
    """
    by_name = {s.name: s for s in sc.topology.services}
    retries = _most_retries(sc)
    memo: dict[str, float] = {}

    def downstream(name: str, path: frozenset[str]) -> float:
        if name in memo:
            return memo[name]
        svc = by_name[name]
        total = 0.0
        for dep, per_request in svc.calls.items():
            if dep in by_name and dep not in path:
                total += per_request * (1 + retries.get(name, svc.retries)) * (1 + downstream(dep, path | {dep}))
            if total > MAX_CALLS_PER_REQUEST:
                break  # already over: no need to walk the rest (also bounds the time spent here)
        memo[name] = total
        return total

    for name in by_name:
        calls = downstream(name, frozenset({name}))
        if calls > MAX_CALLS_PER_REQUEST:
            return name, calls
    return None


def _most_retries(sc: Scenario) -> dict[str, int]:
    """Per service, the most retries any version, revision or flag may set (settings included)."""
    most = {s.name: s.retries for s in sc.topology.services}
    layers = [(f.service, f.sets) for f in [*sc.faults, *sc.optional_faults] if f.type in ("deploy", "config_change")]
    for ch in [*sc.history, *sc.noise]:
        for part in (ch.deploy, ch.config):
            if part is not None and part.sets is not None:
                layers.append((part.service, part.sets))
    for flag in sc.topology.flags:
        layers.extend((fs.service, fs.sets) for fs in flag.sets)
    for service, sets in layers:
        if sets.retries is not None and service in most:
            most[service] = max(most[service], sets.retries)
    return most
