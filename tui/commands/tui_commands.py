"""Commands that open the TUI: ``misfortune`` (the wheel), ``misfortune play`` and ``misfortune resume``."""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

# Imported where used: ``misfortune`` alone reaches home_command without the parser, and its first frame
# should not wait for the simulator and the scenario language these modules bring (tests/cli/test_lazy_imports.py).
if TYPE_CHECKING:
    from tui.live_exports import LiveExports

EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add play and resume."""
    from tui.live_exports import add_live_options

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
    from tui.port import SPEEDS

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
    from tui.live_exports import live_from_args

    seed = args.seed if args.seed is not None else random.SystemRandom().randint(1, 99_999)
    live, code = live_from_args(args, "play")
    if code:
        return code
    if shipped_id(args.scenario):
        # Valid by construction (the library is verified): the briefing paints first, the session loads after.
        return _run_with(live, lambda: MisfortuneApp.play_later(args.scenario, seed, args.speed))
    # A file or a user scenario may be invalid: it loads before the screen is taken, so its problems print
    # as plain text with exit 2.
    return _run_with(live, lambda: MisfortuneApp.play(args.scenario, seed, args.speed))


def shipped_id(ref: str) -> bool:
    """True if ``ref`` is the id of a shipped scenario that no file or user scenario can shadow.

    Read from the file's header alone (PyYAML, no scenario language), so it is cheap before the first frame.
    """
    from pathlib import Path

    import yaml

    import scenarios

    if Path(ref).expanduser().exists() or not ref.replace("-", "").replace("_", "").isalnum():
        return False
    library = Path(scenarios.__file__).parent / "library"
    candidate = library / f"{ref}.yaml"
    if not candidate.is_file() or _user_claims(ref):
        return False
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        header = yaml.load(candidate.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(header, dict) and header.get("id") == ref


def _user_claims(ref: str) -> bool:
    """A file in the user's scenario directory that may carry id ``ref`` (then the full resolution decides).

    The directory is found as scenarios.catalog.user_data_dir finds it; that module imports the language.
    """
    import os
    from pathlib import Path

    import platformdirs

    home = os.environ.get("MISFORTUNE_HOME")
    base = Path(home).expanduser() if home else Path(platformdirs.user_data_dir("misfortune"))
    folder = base / "scenarios"
    return folder.is_dir() and any(p.suffix in (".yaml", ".yml") for p in folder.iterdir())


def resume_command(args: argparse.Namespace) -> int:
    """``misfortune resume [JOURNAL]``: the session comes back paused in the console."""
    from tui.app import MisfortuneApp
    from tui.live_exports import live_from_args
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
    except _start_errors() as err:  # evaluated only when an exception is being matched
        print(err, file=sys.stderr)
        return EXIT_INVALID
    app.run()
    if getattr(app, "start_error", None):
        print(app.start_error, file=sys.stderr)
        return EXIT_INVALID
    if app.resume_hint:
        print(f"Session kept. Continue it with:\n  {app.resume_hint}")
    return app.return_code or 0


def _start_errors() -> tuple[type[Exception], ...]:
    """A bad scenario or journal: told on stderr, exit 2 (imported only once something went wrong)."""
    from scenarios.loader import ScenarioError
    from simulator.session import JournalError

    return (ScenarioError, JournalError)


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
