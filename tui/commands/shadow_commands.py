"""``misfortune shadow SCENARIO|JOURNAL``: watch an expert's run in the console and predict each move."""

from __future__ import annotations

import argparse

from tui.commands.tui_commands import _run, _speed
from tui.shadow_app import DEFAULT_SPEED


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add shadow."""
    cmd = subparsers.add_parser(
        "shadow",
        help="watch an expert's run (a reference solution or a journal) and predict the next move",
        description=(
            "Play SCENARIO's reference solution, or any recorded session JOURNAL (a .jsonl file), in the "
            "incident console. Before each of the expert's moves the playback pauses and asks what you would "
            "do; their move and its reason follow. Recorded in your history as a shadow session (exposure, "
            "not a scored attempt)."
        ),
    )
    cmd.add_argument("target", metavar="SCENARIO|JOURNAL", help="scenario id or file, or a journal (.jsonl)")
    cmd.add_argument(
        "--seed", type=int, default=1, help="simulation seed for a scenario (default 1; a journal has its own)"
    )
    cmd.add_argument(
        "--speed",
        type=_speed,
        default=DEFAULT_SPEED,
        help=f"playback speed between moves: 1, 2, 5, 10 or 60 (default {DEFAULT_SPEED:g})",
    )
    cmd.set_defaults(handler=shadow_command)


def shadow_command(args: argparse.Namespace) -> int:
    """Open the shadow console; bad scenarios and journals exit 2 before the screen is taken."""
    from tui.shadow_app import ShadowApp

    return _run(lambda: ShadowApp.open(args.target, args.seed, args.speed))
