"""Cross-checks a scenario's types cannot express: references, cycles, times, solutions, traps."""

from __future__ import annotations

from collections.abc import Iterator

from scenarios.language.checks_data import data_and_traffic_problems
from scenarios.language.checks_v3 import v3_problems
from scenarios.language.message_checks import message_problems
from scenarios.language.offer import unavailable_actions
from scenarios.language.scenario import Scenario
from scenarios.language.trap_checks import trap_problems

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def cross_check(scenario: Scenario) -> list[Problem]:
    """Every problem found, each with the path of the offending field."""
    return list(_problems(scenario))


def _problems(sc: Scenario) -> Iterator[Problem]:
    refs = _References(sc)
    yield from _topology(sc, refs)
    yield from refs.svc(("slo", "service"), sc.slo.service)
    yield from refs.svc(("traffic", "entry"), sc.traffic.entry)
    for i, src in enumerate(sc.traffic.sources):
        yield from refs.svc(("traffic", "sources", i, "target"), src.target)
        yield from refs.flag(("traffic", "sources", i, "flag"), src.flag)
    yield from _history(sc, refs)
    yield from _faults(sc, refs)
    yield from _noise(sc, refs)
    for i, rule in enumerate(sc.alerting.rules):
        yield from refs.svc(("alerting", "rules", i, "service"), rule.service)
    for i, flag in enumerate(sc.topology.flags):
        for j, fs in enumerate(flag.sets):
            yield from refs.svc(("topology", "flags", i, "sets", j, "service"), fs.service)
    for i, s in enumerate(sc.topology.services):
        yield from refs.flag(("topology", "services", i, "retries_flag"), s.retries_flag)
        yield from refs.svc(("topology", "services", i, "cache_for"), s.cache_for)
    yield from _fault_details(sc, refs)
    yield from data_and_traffic_problems(sc, refs)
    yield from _resolution(sc, refs)
    yield from _debrief(sc, refs)
    yield from _solution(sc, refs)
    yield from trap_problems(sc, refs)
    yield from message_problems(sc, refs)
    yield from v3_problems(sc, refs)


class _References:
    """What names and times a scenario's fields may refer to, and the problem when one does not exist."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.services = {s.name for s in sc.topology.services}
        self.zones = set(sc.topology.zones)
        self.flags = {f.name for f in sc.topology.flags}
        self.names_hint = ", ".join(sorted(self.services))

    def svc(self, path: Path, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in self.services:
            yield path, f"unknown service {name!r}; known services: {self.names_hint}"

    def zone(self, path: Path, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in self.zones:
            yield path, f"unknown zone {name!r}; zones: {', '.join(self.sc.topology.zones)}"

    def flag(self, path: Path, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in self.flags:
            yield path, f"unknown flag {name!r}; declare it under topology.flags"

    def when(self, path: Path, t: float | None, allow_past: bool = False) -> Iterator[Problem]:
        if t is None:
            return
        duration = self.sc.duration
        if t > duration or (t < 0 and not allow_past):
            yield path, f"time {t:g}s is outside the scenario (0 to duration {duration:g}s)"


def _topology(sc: Scenario, refs: _References) -> Iterator[Problem]:
    """Unique service and zone names, known callees, no cycle in the call graph."""
    seen: set[str] = set()
    for i, s in enumerate(sc.topology.services):
        if s.name in seen:
            yield ("topology", "services", i, "name"), f"duplicate service name {s.name!r}"
        seen.add(s.name)
        for dep in s.calls:
            yield from refs.svc(("topology", "services", i, "calls", dep), dep)
    if len(set(sc.topology.zones)) != len(sc.topology.zones):
        yield ("topology", "zones"), "zone names must be unique"
    cycle = _find_cycle({s.name: list(s.calls) for s in sc.topology.services})
    if cycle:
        idx = next(i for i, s in enumerate(sc.topology.services) if s.name == cycle[0])
        yield ("topology", "services", idx, "calls"), "cyclic call graph: " + " -> ".join(cycle)


def _history(sc: Scenario, refs: _References) -> Iterator[Problem]:
    for i, ch in enumerate(sc.history):
        yield from refs.when(("history", i, "at"), ch.at, allow_past=True)
        if ch.deploy:
            yield from refs.svc(("history", i, "deploy", "service"), ch.deploy.service)
        if ch.config:
            yield from refs.svc(("history", i, "config", "service"), ch.config.service)
        if ch.flag:
            yield from refs.flag(("history", i, "flag", "flag"), ch.flag.flag)


def _faults(sc: Scenario, refs: _References) -> Iterator[Problem]:
    """Times and targets of the faults, and targets of the optional ones."""
    for i, f in enumerate(sc.faults):
        yield from refs.when(("faults", i, "at"), f.at)
        yield from refs.svc(("faults", i, "service"), getattr(f, "service", None))
        yield from refs.zone(("faults", i, "zone"), getattr(f, "zone", None))
    for i, f in enumerate(sc.optional_faults):  # injected live by a facilitator: their `at` is unused
        yield from refs.svc(("optional_faults", i, "service"), getattr(f, "service", None))
        yield from refs.zone(("optional_faults", i, "zone"), getattr(f, "zone", None))
        yield from refs.flag(("optional_faults", i, "flag"), getattr(f, "flag", None))


def _noise(sc: Scenario, refs: _References) -> Iterator[Problem]:
    for i, n in enumerate(sc.noise):
        yield from refs.when(("noise", i, "at"), n.at)
        for kind in ("deploy", "config", "alert", "log"):
            part = getattr(n, kind)
            if part is not None:
                yield from refs.svc(("noise", i, kind, "service"), part.service)
        if n.flag:
            yield from refs.flag(("noise", i, "flag", "flag"), n.flag.flag)


def _fault_details(sc: Scenario, refs: _References) -> Iterator[Problem]:
    """Fault flags, surge routes among the entry's calls, cache failures on caches."""
    services = refs.services
    for i, f in enumerate(sc.faults):
        yield from refs.flag(("faults", i, "flag"), getattr(f, "flag", None))
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


_SERVICE_REQUIREMENTS = (
    "not_running",
    "config_not",
    "memory_headroom",
    "cache_warm",
    "cert_valid",
    "disk_headroom",
    "client_contained",
    "fallback",
    "data_serving",
    "instances_clean",
)
"""Resolution requirements that name a service."""


def _resolution(sc: Scenario, refs: _References) -> Iterator[Problem]:
    for group in ("require", "any_of"):
        for i, req in enumerate(getattr(sc.resolution, group)):
            for kind in _SERVICE_REQUIREMENTS:
                part = getattr(req, kind)
                if part is not None:
                    yield from refs.svc(("resolution", group, i, kind, "service"), part.service)
            if req.zone_no_traffic:
                yield from refs.zone(("resolution", group, i, "zone_no_traffic", "zone"), req.zone_no_traffic.zone)
            if req.flag:
                yield from refs.flag(("resolution", group, i, "flag", "flag"), req.flag.flag)


def _debrief(sc: Scenario, refs: _References) -> Iterator[Problem]:
    """Root cause, runbooks, messages, evidence and hints."""
    yield from refs.svc(("root_cause", "service"), sc.root_cause.service)
    for i, rb in enumerate(sc.runbooks):
        yield from refs.svc(("runbooks", i, "service"), rb.service)
    for i, msg in enumerate(sc.messages):
        yield from refs.when(("messages", i, "at"), msg.at)
    for i, ev in enumerate(sc.evidence):
        yield from refs.svc(("evidence", i, "service"), ev.service)
    for i, hint in enumerate(sc.hints):
        yield from refs.when(("hints", i, "after"), hint.after)


def _solution(sc: Scenario, refs: _References) -> Iterator[Problem]:
    """Timed steps in order, known targets, ending with a resolve."""
    last = -1.0
    unavailable = unavailable_actions(sc)
    for i, act in enumerate(sc.solution):
        if act.action in unavailable:
            yield ("solution", i, "action"), f"{act.action!r} cannot apply in this scenario: {unavailable[act.action]}"
        if act.at is None:
            yield ("solution", i, "at"), "every step of the solution needs an 'at' time"
            continue
        yield from refs.when(("solution", i, "at"), act.at)
        if act.at < last:
            yield ("solution", i, "at"), "solution steps must be in time order"
        last = act.at
        yield from refs.svc(("solution", i, "service"), getattr(act, "service", None))
        yield from refs.zone(("solution", i, "zone"), getattr(act, "zone", None))
        yield from refs.flag(("solution", i, "flag"), getattr(act, "flag", None))
        if act.action == "fallback":
            yield from refs.svc(("solution", i, "dependency"), act.dependency)
    if sc.solution and sc.solution[-1].action != "resolve":
        yield ("solution", len(sc.solution) - 1), "the solution must end with a resolve action"


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
