"""Cross-checks of the v3 language: recovery, observability, new change kinds, fault scope and OS
resources. ``refs`` is checks._References (passed in, so neither module imports the other)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scenarios.language.actions import MITIGATION_ACTIONS
from scenarios.language.scenario import Scenario

Path = tuple[str | int, ...]
Problem = tuple[Path, str]

SCOPED_FAULTS = frozenset({"bad_deploy", "bad_config", "latency", "automation_run"})
"""Fault types whose effects a ``scope`` can narrow."""
LATCHING_FAULTS = frozenset({"bad_config", "latency"})
"""Fault types whose trigger can go away while instances keep the effect."""


def v3_problems(sc: Scenario, refs: Any) -> Iterator[Problem]:
    """Every problem of the v3 fields, each with the path of the offending field."""
    yield from _changes(sc, refs)
    for group in ("faults", "optional_faults"):
        for i, f in enumerate(getattr(sc, group)):
            yield from _fault(sc, refs, (group, i), f)
    if sc.observability is not None:
        for tool, service in sc.observability.tools():
            yield from refs.svc(("observability", tool), service)
    yield from _recovery(sc, refs)


def _changes(sc: Scenario, refs: Any) -> Iterator[Problem]:
    for group in ("history", "noise"):
        for i, ch in enumerate(getattr(sc, group)):
            if ch.capacity is not None:
                yield from refs.svc((group, i, "capacity", "service"), ch.capacity.service)
            if ch.maintenance is not None:
                yield from refs.svc((group, i, "maintenance", "service"), ch.maintenance.service)


def _fault(sc: Scenario, refs: Any, path: Path, f: Any) -> Iterator[Problem]:
    if f.scope is not None:
        if f.type not in SCOPED_FAULTS:
            kinds = ", ".join(sorted(SCOPED_FAULTS))
            yield (*path, "scope"), f"a {f.type} fault cannot be scoped; scope works on {kinds}"
        for j, zone in enumerate(f.scope.zones):
            yield from refs.zone((*path, "scope", "zones", j), zone)
    if f.latched and f.type not in LATCHING_FAULTS:
        kinds = ", ".join(sorted(LATCHING_FAULTS))
        yield (*path, "latched"), f"a {f.type} fault cannot be latched; latched works on {kinds}"
    if f.type == "resource_exhaustion":
        yield from refs.svc((*path, "peers"), f.peers)
        if f.base + f.per_peer + f.per_rps + f.per_minute <= 0:
            yield path, "give at least one of base, per_peer, per_rps, per_minute: nothing uses the resource"
    if f.type == "automation_run":
        yield from refs.flag((*path, "flag"), f.flag)


def _recovery(sc: Scenario, refs: Any) -> Iterator[Problem]:
    rec = sc.recovery
    names = {p.name for p in rec.procedures} if rec is not None else set()
    if rec is not None:
        for kind in ("rollback", "revert", "restart", "restore", "resync"):
            pace = getattr(rec, kind)
            for j, slow in enumerate(pace.slowed_by if pace is not None else []):
                yield from refs.svc(("recovery", kind, "slowed_by", j, "service"), slow.service)
                for k, zone in enumerate(slow.zones):
                    yield from refs.zone(("recovery", kind, "slowed_by", j, "zones", k), zone)
        for i, proc in enumerate(rec.procedures):
            yield from _procedure(sc, refs, ("recovery", "procedures", i), proc)
    for i, step in enumerate(sc.solution):
        if step.action == "run_procedure" and step.procedure not in names:
            known = ", ".join(sorted(names)) or "none (add them under recovery.procedures)"
            yield ("solution", i, "procedure"), f"unknown procedure {step.procedure!r}; procedures: {known}"
    for i, trap in enumerate(sc.traps):
        if trap.match.get("action") == "run_procedure" and trap.match.get("procedure") not in names:
            yield ("traps", i, "match", "procedure"), f"unknown procedure {trap.match.get('procedure')!r}"


def _procedure(sc: Scenario, refs: Any, base: Path, proc: Any) -> Iterator[Problem]:
    for j, step in enumerate(proc.steps):
        yield from refs.svc((*base, "steps", j, "per_instance_of"), step.per_instance_of)
    for j, slow in enumerate(proc.slowed_by):
        yield from refs.svc((*base, "slowed_by", j, "service"), slow.service)
    if proc.reconciles is not None:
        with_data = {s.name for s in sc.topology.services if s.data is not None}
        if proc.reconciles not in with_data:
            known = ", ".join(sorted(with_data)) or "none"
            yield (
                (*base, "reconciles"),
                (f"{proc.reconciles!r} is not a database with data; databases with data: {known}"),
            )
    elif not proc.then:
        yield (*base, "then"), "the procedure does nothing at its end: give 'then' actions or 'reconciles'"
    for j, act in enumerate(proc.then):
        if act.action not in MITIGATION_ACTIONS:
            yield (*base, "then", j, "action"), f"{act.action!r} is not a mitigation a procedure can carry out"
        yield from refs.svc((*base, "then", j, "service"), getattr(act, "service", None))
