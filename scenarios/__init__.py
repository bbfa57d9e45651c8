"""The scenario language, its YAML loader and the catalog of shipped and user scenarios.

The names below load on first use (PEP 562): ``scenarios.text`` or ``scenarios.durations`` are small
modules many screens import, and importing them must not build the whole pydantic language (~0.4 s),
or the first frame of the TUI waits for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenarios.catalog import (
        CatalogEntry,
        UnknownScenario,
        list_scenarios,
        load_by_ref,
        resolve_scenario,
        user_data_dir,
    )
    from scenarios.language.scenario import Scenario
    from scenarios.loader import (
        ScenarioError,
        SourceProblem,
        load_actions,
        load_actions_text,
        load_scenario,
        load_scenario_text,
    )

_HOMES = {
    "CatalogEntry": "scenarios.catalog",
    "UnknownScenario": "scenarios.catalog",
    "list_scenarios": "scenarios.catalog",
    "load_by_ref": "scenarios.catalog",
    "resolve_scenario": "scenarios.catalog",
    "user_data_dir": "scenarios.catalog",
    "Scenario": "scenarios.language.scenario",
    "ScenarioError": "scenarios.loader",
    "SourceProblem": "scenarios.loader",
    "load_actions": "scenarios.loader",
    "load_actions_text": "scenarios.loader",
    "load_scenario": "scenarios.loader",
    "load_scenario_text": "scenarios.loader",
}

__all__ = [
    "CatalogEntry",
    "Scenario",
    "ScenarioError",
    "SourceProblem",
    "UnknownScenario",
    "list_scenarios",
    "load_actions",
    "load_actions_text",
    "load_by_ref",
    "load_scenario",
    "load_scenario_text",
    "resolve_scenario",
    "user_data_dir",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'scenarios' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value
