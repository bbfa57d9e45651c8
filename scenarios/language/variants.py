"""Seeded variants: ``variables`` in a scenario name alternatives; ``${name}`` in any string takes one.

The seed picks each variable's value, so a trainee cannot memorise which zone dies or which instance
leaks, while the lesson stays the same. The loader validates every combination of values.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")


def substitute(data: Any, values: dict[str, str]) -> Any:
    """A copy of ``data`` with every ``${name}`` replaced by its value (unknown names are left alone)."""
    if isinstance(data, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), data)
    if isinstance(data, dict):
        return {substitute(k, values): substitute(v, values) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, values) for v in data]
    return data


def placeholders(data: Any) -> set[str]:
    """Every variable name referenced as ``${name}`` in ``data``."""
    if isinstance(data, str):
        return set(_PLACEHOLDER.findall(data))
    if isinstance(data, dict):
        return set().union(*(placeholders(k) | placeholders(v) for k, v in data.items())) if data else set()
    if isinstance(data, list):
        return set().union(*(placeholders(v) for v in data)) if data else set()
    return set()


def placeholder_places(data: Any, loc: tuple = ()) -> Iterator[tuple[str, tuple]]:
    """Each ``${name}`` in ``data`` with the path of the value (or key) it is written in, in file order."""
    if isinstance(data, str):
        for name in _PLACEHOLDER.findall(data):
            yield name, loc
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from placeholder_places(key, (*loc, key))
            yield from placeholder_places(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from placeholder_places(value, (*loc, i))


def combinations(variables: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every assignment of values to the variables (one empty assignment when there are none)."""
    names = sorted(variables)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(variables[n] for n in names))]


def choose(variables: dict[str, list[str]], seed: int) -> dict[str, str]:
    """The values a seed picks, one per variable, stable across processes and Python versions."""
    out = {}
    for name in sorted(variables):
        options = variables[name]
        digest = hashlib.sha256(f"{seed}:variant:{name}".encode()).digest()
        out[name] = options[int.from_bytes(digest[:8], "big") % len(options)]
    return out
