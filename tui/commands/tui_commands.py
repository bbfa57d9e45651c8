"""Commands that open the TUI: ``misfortune`` (the wheel), ``misfortune play`` and ``misfortune resume``."""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable

from scenarios.loader import ScenarioError
from simulator.session import JournalError
from tui.live_exports import LiveExports, add_live_options, live_from_args
from tui.port import SPEEDS

EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add play and resume."""
    cmd = subparsers.add_parser(
        "play",
        help="play a scenario in the TUI, starting at its briefing",
        description="Play SCENARIO (an id from `misfortune list`, or a file) in the terminal UI.",
    )
    cmd.add_argument("scenario", metavar="SCENARIO", help="scenario id or path to a scenario file")
    cmd.add_argument("--seed", type=int, help="simulation seed (default: a random one, shown on the briefing)")
    cmd.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help="clock speed once the incident starts: 1, 2, 5, 10 or 60 (default 1, real time)",
    )
    add_live_options(cmd)
    cmd.set_defaults(handler=play_command)

    cmd = subparsers.add_parser(
        "resume",
        help="continue an interrupted session in the TUI",
        description="Rebuild a session from its journal (default: the latest one) and reopen the console, paused.",
    )
    cmd.add_argument("journal", nargs="?", metavar="JOURNAL", help="journal file (default: the latest journal)")
    add_live_options(cmd)
    cmd.set_defaults(handler=resume_command)


def _speed(text: str) -> float:
    try:
        value = float(text.rstrip("xX"))
    except ValueError:
        value = -1.0
    if value not in SPEEDS or value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a clock speed; use one of 1, 2, 5, 10, 60")
    return value


def home_command(args: argparse.Namespace | None = None) -> int:
    """``misfortune`` with no command: the wheel."""
    from tui.app import MisfortuneApp

    return _run(lambda: MisfortuneApp())


def play_command(args: argparse.Namespace) -> int:
    """``misfortune play SCENARIO``: straight to the briefing."""
    from tui.app import MisfortuneApp

    seed = args.seed if args.seed is not None else random.SystemRandom().randint(1, 99_999)
    live, code = live_from_args(args, "play")
    if code:
        return code
    return _run_with(live, lambda: MisfortuneApp.play(args.scenario, seed, args.speed))


def resume_command(args: argparse.Namespace) -> int:
    """``misfortune resume [JOURNAL]``: the session comes back paused in the console."""
    from tui.app import MisfortuneApp
    from tui.session import journals_dir, latest_journal

    journal = args.journal or latest_journal()
    if journal is None:
        print(f"misfortune resume: no journal in {journals_dir()}; start one with `misfortune play`", file=sys.stderr)
        return EXIT_INVALID
    live, code = live_from_args(args, "resume")
    if code:
        return code
    return _run_with(live, lambda: MisfortuneApp.resume(journal))


def _run(build: Callable[[], object]) -> int:
    """Build the app (bad scenarios and journals fail here, before the screen is taken) and run it."""
    try:
        app = build()
    except (ScenarioError, JournalError) as err:
        print(err, file=sys.stderr)
        return EXIT_INVALID
    app.run()
    if app.resume_hint:
        print(f"Session kept. Continue it with:\n  {app.resume_hint}")
    return app.return_code or 0


def _run_with(live: LiveExports | None, build: Callable[[], object]) -> int:
    """:func:`_run` with the live exports fed by the app's clock, closed when the app exits."""
    if live is None:
        return _run(build)

    def attached():
        app = build()
        app.live_exports = live
        return app

    try:
        return _run(attached)
    finally:
        live.stop()
