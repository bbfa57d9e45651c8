"""The ``misfortune`` command line: argparse, one subparser per command (see tui.commands)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from scenarios.loader import ScenarioError
from scenarios.text import clean
from tui.commands import COMMAND_MODULES

EXIT_INVALID = 2
"""Exit code for a file the user must fix (same as argparse's usage errors)."""


def build_parser() -> argparse.ArgumentParser:
    """The full parser, every registered command included."""
    parser = argparse.ArgumentParser(
        prog="misfortune",
        description="Wheel-of-Misfortune incident simulator: practise on-call on a simulated system.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 invalid input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from tui.commands.tui_commands import home_command

            return home_command(args)
        parser.print_help()  # not a terminal (a pipe, a test): the TUI cannot run, say what can
        return 0
    try:
        return handler(args)
    except ScenarioError as err:
        print(clean(err, keep_newlines=True), file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`misfortune list | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
