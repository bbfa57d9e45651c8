"""Subcommands of the ``misfortune`` command line.

Each module in COMMAND_MODULES has ``register(subparsers)``, which adds its subparser(s) and sets
``handler`` (a function ``(args) -> int`` returning the exit code) with ``set_defaults``. To add a
command, write a module and append its name here. The modules are imported when COMMAND_MODULES is
first read (building the parser): ``misfortune`` alone imports only ``tui_commands``, so the wheel's
first frame does not wait for every command's imports.
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMAND_MODULE_NAMES = [
    "scenario_commands",
    "headless",
    "inspect_command",
    "tui_commands",
    "history_commands",
    "gameday_commands",
    "export_command",
    "shadow_commands",
    "shift_commands",
    "follow_up_commands",
]


def __getattr__(name: str) -> list[ModuleType]:
    if name != "COMMAND_MODULES":
        raise AttributeError(f"module 'tui.commands' has no attribute {name!r}")
    modules = [importlib.import_module(f"tui.commands.{module}") for module in COMMAND_MODULE_NAMES]
    globals()[name] = modules
    return modules
