"""Cross-checks a scenario's types cannot express: references, cycles, times, solutions, traps."""

from __future__ import annotations

from collections.abc import Iterator

from scenarios.language.actions import ACTION_NAMES
from scenarios.language.scenario import Scenario

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def cross_check(scenario: Scenario) -> list[Problem]:
    """Every problem found, each with the path of the offending field."""
    return list(_problems(scenario))


def _problems(sc: Scenario) -> Iterator[Problem]:
    services = {s.name for s in sc.topology.services}
    zones = set(sc.topology.zones)
    flags = {f.name for f in sc.topology.flags}
    names_hint = ", ".join(sorted(services))

    def svc(path: Path, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in services:
            yield path, f"unknown service {name!r}; known services: {names_hint}"

    def zone(path: Path, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in zones:
            yield path, f"unknown zone {name!r}; zones: {', '.join(sc.topology.zones)}"

    def flag(path: Path, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in flags:
            yield path, f"unknown flag {name!r}; declare it under topology.flags"

    def when(path: Path, t: float | None, allow_past: bool = False) -> Iterator[Problem]:
        if t is None:
            return
        if t > sc.duration or (t < 0 and not allow_past):
            yield path, f"time {t:g}s is outside the scenario (0 to duration {sc.duration:g}s)"

    seen: set[str] = set()
    for i, s in enumerate(sc.topology.services):
        if s.name in seen:
            yield ("topology", "services", i, "name"), f"duplicate service name {s.name!r}"
        seen.add(s.name)
        for dep in s.calls:
            yield from svc(("topology", "services", i, "calls", dep), dep)
    if len(set(sc.topology.zones)) != len(sc.topology.zones):
        yield ("topology", "zones"), "zone names must be unique"
    cycle = _find_cycle({s.name: list(s.calls) for s in sc.topology.services})
    if cycle:
        idx = next(i for i, s in enumerate(sc.topology.services) if s.name == cycle[0])
        yield ("topology", "services", idx, "calls"), "cyclic call graph: " + " -> ".join(cycle)

    yield from svc(("slo", "service"), sc.slo.service)
    yield from svc(("traffic", "entry"), sc.traffic.entry)

    for i, ch in enumerate(sc.history):
        yield from when(("history", i, "at"), ch.at, allow_past=True)
        if ch.deploy:
            yield from svc(("history", i, "deploy", "service"), ch.deploy.service)
        if ch.config:
            yield from svc(("history", i, "config", "service"), ch.config.service)
        if ch.flag:
            yield from flag(("history", i, "flag", "flag"), ch.flag.flag)

    for i, f in enumerate(sc.faults):
        yield from when(("faults", i, "at"), f.at)
        yield from svc(("faults", i, "service"), getattr(f, "service", None))
        yield from zone(("faults", i, "zone"), getattr(f, "zone", None))

    for i, f in enumerate(sc.optional_faults):  # injected live by a facilitator: their `at` is unused
        yield from svc(("optional_faults", i, "service"), getattr(f, "service", None))
        yield from zone(("optional_faults", i, "zone"), getattr(f, "zone", None))
        yield from flag(("optional_faults", i, "flag"), getattr(f, "flag", None))

    for i, n in enumerate(sc.noise):
        yield from when(("noise", i, "at"), n.at)
        for kind in ("deploy", "config", "alert", "log"):
            part = getattr(n, kind)
            if part is not None:
                yield from svc(("noise", i, kind, "service"), part.service)
        if n.flag:
            yield from flag(("noise", i, "flag", "flag"), n.flag.flag)

    for i, rule in enumerate(sc.alerting.rules):
        yield from svc(("alerting", "rules", i, "service"), rule.service)

    for i, s in enumerate(sc.topology.services):
        yield from flag(("topology", "services", i, "retries_flag"), s.retries_flag)
        yield from svc(("topology", "services", i, "cache_for"), s.cache_for)
    for i, f in enumerate(sc.faults):
        yield from flag(("faults", i, "flag"), getattr(f, "flag", None))
        if f.type == "traffic_surge" and f.calls:
            entry_calls = sc.service(sc.entry_service).calls if sc.entry_service in services else {}
            for dep in f.calls:
                if dep not in entry_calls:
                    yield (
                        ("faults", i, "calls", dep),
                        (f"the entry {sc.entry_service!r} does not call {dep!r}; surge calls must be among its calls"),
                    )
        if f.type == "cache_failure" and f.service in services and not sc.service(f.service).cache_for:
            yield ("faults", i, "service"), f"{f.service!r} is not a cache; give it cache_for: <backend service>"

    for group in ("require", "any_of"):
        for i, req in enumerate(getattr(sc.resolution, group)):
            for kind in (
                "not_running",
                "config_not",
                "memory_headroom",
                "cache_warm",
                "cert_valid",
                "disk_headroom",
                "client_contained",
                "fallback",
            ):
                part = getattr(req, kind)
                if part is not None:
                    yield from svc(("resolution", group, i, kind, "service"), part.service)
            if req.zone_no_traffic:
                yield from zone(("resolution", group, i, "zone_no_traffic", "zone"), req.zone_no_traffic.zone)
            if req.flag:
                yield from flag(("resolution", group, i, "flag", "flag"), req.flag.flag)

    yield from svc(("root_cause", "service"), sc.root_cause.service)
    for i, rb in enumerate(sc.runbooks):
        yield from svc(("runbooks", i, "service"), rb.service)
    for i, msg in enumerate(sc.messages):
        yield from when(("messages", i, "at"), msg.at)
    for i, ev in enumerate(sc.evidence):
        yield from svc(("evidence", i, "service"), ev.service)
    for i, hint in enumerate(sc.hints):
        yield from when(("hints", i, "after"), hint.after)

    last = -1.0
    for i, act in enumerate(sc.solution):
        if act.at is None:
            yield ("solution", i, "at"), "every step of the solution needs an 'at' time"
            continue
        yield from when(("solution", i, "at"), act.at)
        if act.at < last:
            yield ("solution", i, "at"), "solution steps must be in time order"
        last = act.at
        yield from svc(("solution", i, "service"), getattr(act, "service", None))
        yield from zone(("solution", i, "zone"), getattr(act, "zone", None))
        yield from flag(("solution", i, "flag"), getattr(act, "flag", None))
        if act.action == "fallback":
            yield from svc(("solution", i, "dependency"), act.dependency)
    if sc.solution and sc.solution[-1].action != "resolve":
        yield ("solution", len(sc.solution) - 1), "the solution must end with a resolve action"

    for i, trap in enumerate(sc.traps):
        name = trap.match.get("action")
        if name not in ACTION_NAMES:
            yield ("traps", i, "match", "action"), f"unknown action {name!r}; known: {', '.join(ACTION_NAMES)}"
        yield from svc(("traps", i, "match", "service"), trap.match.get("service"))


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in the call graph as a list of names ending where it began, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt in graph and state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None
