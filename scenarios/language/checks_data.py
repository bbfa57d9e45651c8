"""Cross-checks of the v3 additions (data, traffic classes, reconnects, DNS, asynchronous calls)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def data_and_traffic_problems(sc: Any, refs: Any) -> Iterator[Problem]:
    """References and consistency of ``data``, ``dns``, ``calls_async``, ``reconnect``, ``traffic.classes``
    and the ``replication_lag`` fault."""
    yield from _services(sc, refs)
    yield from _classes(sc)
    yield from _user_dns(sc, refs)
    yield from _lag_faults(sc)


def _services(sc: Any, refs: Any) -> Iterator[Problem]:
    kinds = {s.name: s.kind for s in sc.topology.services}
    classes = [c.name for c in sc.traffic.classes]
    for i, s in enumerate(sc.topology.services):
        path = ("topology", "services", i)
        if s.data is not None:
            if s.kind != "database":
                yield (*path, "data"), f"only a database keeps data; {s.name} is a {s.kind} (set kind: database)"
            if s.primary_zone is None:
                yield (*path, "data"), f"a database with data needs primary_zone (the zone of {s.name}'s primary)"
            yield from refs.zone((*path, "primary_zone"), s.primary_zone)
            for zone in s.data.primary_rtt_ms:
                yield from refs.zone((*path, "data", "primary_rtt_ms", zone), zone)
        if s.dns is not None:
            yield from refs.svc((*path, "dns"), s.dns)
            if s.dns in kinds and kinds[s.dns] != "dns":
                yield (*path, "dns"), f"{s.dns} is a {kinds[s.dns]}, not a resolver (kind: dns)"
        if s.withdraws_without is not None:
            yield from refs.svc((*path, "withdraws_without"), s.withdraws_without)
            if s.kind != "dns":
                yield (*path, "withdraws_without"), f"only a resolver withdraws its routes; {s.name} is a {s.kind}"
        for dep in s.calls_async:
            yield from refs.svc((*path, "calls_async", dep), dep)
        if s.reconnect is not None and s.reconnect.traffic_class is not None:
            if s.reconnect.traffic_class not in classes:
                yield (
                    (*path, "reconnect", "traffic_class"),
                    (f"unknown traffic class {s.reconnect.traffic_class!r}; declare it under traffic.classes"),
                )
            if s.name != sc.entry_service:
                yield (
                    (*path, "reconnect", "traffic_class"),
                    (f"classes are told apart at the entry ({sc.entry_service}); {s.name} is not the entry"),
                )


def _user_dns(sc: Any, refs: Any) -> Iterator[Problem]:
    name = sc.traffic.dns
    if name is None:
        return
    yield from refs.svc(("traffic", "dns"), name)
    kind = next((s.kind for s in sc.topology.services if s.name == name), None)
    if kind is not None and kind != "dns":
        yield ("traffic", "dns"), f"{name} is a {kind}, not a resolver (kind: dns)"


def _classes(sc: Any) -> Iterator[Problem]:
    classes = [c.name for c in sc.traffic.classes]
    if classes:
        total = sum(c.share for c in sc.traffic.classes)
        if abs(total - 1.0) > 1e-3:
            yield ("traffic", "classes"), f"the shares of the classes add up to {total:g}, not 1"
        seen: set[str] = set()
        for i, name in enumerate(classes):
            if name in seen:
                yield ("traffic", "classes", i, "name"), f"duplicate traffic class {name!r}"
            seen.add(name)


def _lag_faults(sc: Any) -> Iterator[Problem]:
    with_data = {s.name for s in sc.topology.services if s.data is not None}
    for group in ("faults", "optional_faults"):
        for i, f in enumerate(getattr(sc, group)):
            if getattr(f, "type", None) != "replication_lag":
                continue
            if f.service not in with_data:
                yield (group, i, "service"), f"{f.service!r} keeps no data: replication lag needs a database with data"
