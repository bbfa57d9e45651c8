"""The ``misfortune`` command line: argparse, one subparser per command (see tui.commands).

Nothing heavy is imported here: ``misfortune`` alone opens the wheel without building the parser (whose
command modules import the simulator and the scenario language, ~0.5 s), so its first frame comes
sooner; every other command builds the full parser.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from scenarios.text import clean

EXIT_INVALID = 2
"""Exit code for a file the user must fix (same as argparse's usage errors)."""


def build_parser(modules: Sequence[Any] | None = None) -> argparse.ArgumentParser:
    """The full parser, every registered command included (or only those of ``modules``)."""
    if modules is None:
        modules = globals().get("COMMAND_MODULES") or __getattr__("COMMAND_MODULES")
    parser = argparse.ArgumentParser(
        prog="misfortune",
        description="Wheel-of-Misfortune incident simulator: practise on-call on a simulated system.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in modules:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 invalid input)."""
    if not (sys.argv[1:] if argv is None else argv) and _interactive():
        from tui.commands.tui_commands import home_command

        return home_command(None)
    parser = build_parser(_light_modules(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if _interactive():
            from tui.commands.tui_commands import home_command

            return home_command(args)
        parser.print_help()  # not a terminal (a pipe, a test): the TUI cannot run, say what can
        return 0
    try:
        return handler(args)
    except _scenario_error() as err:  # evaluated only when an exception is being matched
        print(clean(err, keep_newlines=True), file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`misfortune list | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def __getattr__(name: str) -> object:
    # ``tui.cli.COMMAND_MODULES`` on first use (tests extend it): the command modules are heavy.
    if name != "COMMAND_MODULES":
        raise AttributeError(f"module 'tui.cli' has no attribute {name!r}")
    from tui.commands import COMMAND_MODULES

    globals()[name] = COMMAND_MODULES
    return COMMAND_MODULES


def _light_modules(argv: Sequence[str]) -> list[Any] | None:
    """Only the TUI's commands for ``misfortune play`` in a terminal, so the briefing paints before the
    other command modules (and the simulator and scenario language they import) load; else None (all)."""
    if not argv or argv[0] != "play" or not _interactive():
        return None
    from tui.commands import tui_commands

    return [tui_commands]


def _interactive() -> bool:
    """A terminal on both ends: the TUI can run."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _scenario_error() -> type[Exception]:
    from scenarios.loader import ScenarioError  # loads the language: only once something went wrong

    return ScenarioError


if __name__ == "__main__":
    sys.exit(main())
