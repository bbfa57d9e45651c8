"""Subcommands of the ``misfortune`` command line.

Each module in COMMAND_MODULES has ``register(subparsers)``, which adds its subparser(s) and sets
``handler`` (a function ``(args) -> int`` returning the exit code) with ``set_defaults``. To add a
command, write a module and append it here.
"""

from tui.commands import (
    export_command,
    follow_up_commands,
    gameday_commands,
    headless,
    history_commands,
    inspect_command,
    scenario_commands,
    shadow_commands,
    shift_commands,
    tui_commands,
)

COMMAND_MODULES = [
    scenario_commands,
    headless,
    inspect_command,
    tui_commands,
    history_commands,
    gameday_commands,
    export_command,
    shadow_commands,
    shift_commands,
    follow_up_commands,
]
