"""Cross-checks of traps: each trap must describe a move the engine would accept.

An action that does not exist, a field the action does not have, a value the action refuses (``mode:
everything``), a service, zone or flag the system does not have, or a pattern that matches none of them
is an error of the file, reported where the trap says it (verify then proves the trap is reachable and
harmful by playing it). A trap that fits a step of the reference solution is an error too: taking the
expert's move would count as harmful.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from scenarios.language.actions import ACTION_ADAPTER, ACTION_NAMES, Action
from scenarios.language.offer import unavailable_actions
from scenarios.language.traps import Trap, fields_match, is_pattern

Path = tuple[str | int, ...]
Problem = tuple[Path, str]

ACTION_MODELS: dict[str, type[BaseModel]] = {
    typing.get_args(cls.model_fields["action"].annotation)[0]: cls
    for cls in typing.get_args(typing.get_args(Action)[0])
}
"""Each action name and the model of its fields."""


def trap_problems(sc: Any, refs: Any) -> Iterator[Problem]:
    """Problems of every trap of scenario ``sc`` (``refs`` knows its services, zones and flags)."""
    for i, trap in enumerate(sc.traps):
        yield from _trap(("traps", i), trap, sc, refs)


def _trap(at: Path, trap: Trap, sc: Any, refs: Any) -> Iterator[Problem]:
    name = trap.match.get("action")
    if name not in ACTION_NAMES:
        yield (*at, "match", "action"), f"unknown action {name!r}; known: {', '.join(ACTION_NAMES)}"
        return
    unavailable = unavailable_actions(sc).get(name)
    if unavailable is not None:
        yield (*at, "match", "action"), f"a trap nobody can fall into: {name!r} cannot apply here: {unavailable}"
        return
    model = ACTION_MODELS[name]
    fields_ok = True
    for key, value in trap.match.items():
        where = (*at, "match", key)
        if key == "at" or key not in model.model_fields:
            fields_ok = False
            known = ", ".join(k for k in model.model_fields if k not in ("at", "action"))
            yield where, f"{name} has no field {key!r}; its fields: {known or 'none'}"
            continue
        if not is_pattern(value):
            problem = _value_problem(model, key, value)
            if problem:
                fields_ok = False
                yield where, f"{name} refuses {key}={value!r}: {problem}"
    if fields_ok and not any(is_pattern(v) for v in trap.match.values()):
        try:
            ACTION_ADAPTER.validate_python(trap.match)
        except ValidationError as err:
            missing = [e for e in err.errors() if e["type"] != "missing"]
            if missing:  # a partial match (no replicas for scale) is a pattern; a wrong value is not
                yield (*at, "match"), f"not an action the engine accepts: {missing[0]['msg']}"
    yield from _names(at, trap, sc, refs)
    if not trap.needs_world:
        for n, step in enumerate(sc.solution):
            if fields_match(trap.match, step.model_dump(exclude_none=True)):
                yield (*at, "match"), f"matches step {n} of the solution ({step.action}): the expert's move is no trap"


def _value_problem(model: type[BaseModel], key: str, value: Any) -> str | None:
    info = model.model_fields[key]
    kind = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError as err:
        return err.errors()[0]["msg"]
    return None


def _names(at: Path, trap: Trap, sc: Any, refs: Any) -> Iterator[Problem]:
    """Services, zones, flags and dependencies the trap names exist (a pattern must match one)."""
    match = trap.match
    for key in ("service", "dependency"):
        yield from _known((*at, "match", key), match.get(key), refs.services, "service")
    yield from _known((*at, "match", "zone"), match.get("zone"), set(sc.topology.zones), "zone")
    yield from _known((*at, "match", "flag"), match.get("flag"), refs.flags, "flag")
    yield from _known((*at, "zone"), trap.zone, set(sc.topology.zones), "zone")


def _known(where: Path, value: Any, names: set[str], noun: str) -> Iterator[Problem]:
    if not isinstance(value, str):
        return
    if is_pattern(value):
        if not any(fnmatchcase(n, value) for n in names):
            yield where, f"the pattern {value!r} matches no {noun}; {noun}s: {', '.join(sorted(names)) or 'none'}"
    elif value not in names:
        yield where, f"unknown {noun} {value!r}; {noun}s: {', '.join(sorted(names)) or 'none'}"
