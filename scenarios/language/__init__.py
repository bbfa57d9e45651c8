"""The scenario language: pydantic models of a scenario file and their cross-checks."""

from scenarios.language.actions import ACTION_ADAPTER, ACTION_LIST_ADAPTER, ACTION_NAMES, Action
from scenarios.language.checks import cross_check
from scenarios.language.scenario import Scenario, Trap

__all__ = ["ACTION_ADAPTER", "ACTION_LIST_ADAPTER", "ACTION_NAMES", "Action", "Scenario", "Trap", "cross_check"]
