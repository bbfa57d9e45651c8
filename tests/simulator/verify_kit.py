"""Verify's checks of a shipped scenario and seed, computed once per test process (the checks are frozen
dataclasses in a tuple: nothing a test does to them reaches another test)."""

from __future__ import annotations

from functools import cache

from scenarios.catalog import load_by_ref
from simulator.session.verify import Check, verify_seed


@cache
def scenario_for(ref: str, seed: int):
    """The shipped scenario ``ref`` in the variant ``seed`` plays."""
    scenario, _ = load_by_ref(ref)
    return scenario.for_seed(seed)


@cache
def verified(ref: str, seed: int) -> tuple[Check, ...]:
    """What ``verify_seed`` shows for the shipped scenario ``ref`` with ``seed``."""
    return tuple(verify_seed(scenario_for(ref, seed), seed))
