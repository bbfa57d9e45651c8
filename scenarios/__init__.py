"""The scenario language, its YAML loader and the catalog of shipped and user scenarios."""

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
