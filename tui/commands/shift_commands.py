"""``misfortune shift``: a whole on-call shift, headless (``--actions FILE --json``) or in the TUI.

The shift itself is played by simulator.shift; this module parses the arguments, turns bad input into
one line per problem on stderr (exit 2) and prints the shift report.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from scenarios.durations import format_duration
from scenarios.loader import ScenarioError
from simulator.shift import (
    DEFAULT_HOURS,
    DEFAULT_MAX_INCIDENTS,
    DEFAULT_POLICY,
    DIFFICULTIES,
    HANDOFF_SECTIONS,
    MAX_INCIDENTS,
    MAX_SHIFT_HOURS,
    EscalationPolicy,
    JournalError,
    ShiftStep,
    load_policy,
    load_steps,
    play_steps,
    replay_shift,
    resume_shift,
    run_shift,
    shift_report,
)
from tui.follow_through import follow_ups_text, open_follow_ups, record_shift
from tui.shift_text import print_previous, print_shift_report

EXIT_OK = 0
EXIT_INVALID = 2
DEFAULT_SEED = 1
MAX_SPEED = 3600.0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``shift``."""
    cmd = subparsers.add_parser(
        "shift",
        help="a whole on-call shift: pages, noise, tickets, escalation, a handoff",
        description="Play an on-call shift in which shipped scenarios arrive at seeded times between noise "
        "alerts, false-positive pages and tickets. With --actions (or --json) it runs headless: the "
        "actions file's steps are applied at their shift times; without one nobody answers the pager.",
    )
    cmd.add_argument("--hours", type=float, default=DEFAULT_HOURS, metavar="H", help="shift length (default 12)")
    cmd.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, metavar="N", help=f"random seed (default {DEFAULT_SEED})"
    )
    cmd.add_argument("--speed", type=float, default=60.0, metavar="X", help="TUI clock speed (default 60x)")
    cmd.add_argument(
        "--policy", type=Path, metavar="FILE", help="escalation policy (YAML); default: primary, secondary"
    )
    cmd.add_argument(
        "--max-incidents",
        type=int,
        default=DEFAULT_MAX_INCIDENTS,
        metavar="N",
        help=f"real incidents per 12 hours at most (default {DEFAULT_MAX_INCIDENTS})",
    )
    cmd.add_argument(
        "--difficulty",
        choices=DIFFICULTIES,
        default="normal",
        help="easy: less noise, earlier hints; hard: more noise, no hints, a missing alert (default normal)",
    )
    cmd.add_argument("--actions", type=Path, metavar="FILE", help="YAML list of timed shift steps (headless)")
    cmd.add_argument("--journal", type=Path, metavar="FILE", help="write the shift journal (JSONL) to FILE")
    cmd.add_argument("--after", type=Path, metavar="JOURNAL", help="the previous shift: show its handoff first")
    cmd.add_argument(
        "--continue-from",
        type=Path,
        metavar="JOURNAL",
        help="follow-the-sun: the next region's shift, going on from that finished shift's journal (its "
        "clock and open incidents carried over, its handoff shown first)",
    )
    cmd.add_argument("--replay", type=Path, metavar="JOURNAL", help="re-simulate a shift journal and report")
    cmd.add_argument("--resume", type=Path, metavar="JOURNAL", help="continue an interrupted shift journal")
    cmd.add_argument("--json", action="store_true", help="print the shift report as one JSON object")
    cmd.set_defaults(handler=shift_command)


def _invalid(problems: list[str]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_INVALID


def check_numbers(args: argparse.Namespace) -> list[str]:
    """Problems with the numeric options (finite and in range)."""
    problems = []
    if not (math.isfinite(args.hours) and 1.0 <= args.hours <= MAX_SHIFT_HOURS):
        problems.append(f"--hours: {args.hours:g} must be between 1 and {MAX_SHIFT_HOURS:g}")
    if not (math.isfinite(args.speed) and 0 < args.speed <= MAX_SPEED):
        problems.append(f"--speed: {args.speed:g} must be above 0 and at most {MAX_SPEED:g}")
    if not 0 <= args.seed < 2**63:
        problems.append(f"--seed: {args.seed} must be 0 or more")
    if not 0 <= args.max_incidents <= MAX_INCIDENTS:
        problems.append(f"--max-incidents: {args.max_incidents} must be between 0 and {MAX_INCIDENTS}")
    return problems


class _Invalid(Exception):
    """Problems with the command's input: printed, exit 2."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _inputs(args: argparse.Namespace) -> tuple[EscalationPolicy, list[ShiftStep], dict[str, Any] | None]:
    """The policy, the timed steps and the previous shift's handoff; every problem at once as _Invalid."""
    problems = check_numbers(args)
    policy: EscalationPolicy = DEFAULT_POLICY
    if args.policy is not None:
        try:
            policy = load_policy(args.policy)
        except ScenarioError as err:
            problems.append(str(err))
    steps: list[ShiftStep] = []
    if args.actions is not None:
        try:
            steps = load_steps(args.actions)
        except ScenarioError as err:
            problems.append(str(err))
    previous: dict[str, Any] | None = None
    before = _previous_journal(args, problems)
    if before is not None:
        try:
            previous = previous_shift(before)
        except JournalError as err:
            problems.append(str(err))
    if args.replay is not None and (args.resume or args.actions):
        problems.append("--replay re-simulates a journal as it is; it takes no --resume or --actions")
    if problems:
        raise _Invalid(problems)
    return policy, steps, previous


def _previous_journal(args: argparse.Namespace, problems: list[str]) -> Path | None:
    """The previous shift's journal (--after or --continue-from); a problem for what does not go together."""
    follow = getattr(args, "continue_from", None)
    if follow is None:
        return args.after
    if args.after is not None:
        problems.append("--continue-from already shows that shift's handoff; give it without --after")
    if args.replay is not None or args.resume is not None:
        problems.append("--continue-from starts the next shift; it takes no --replay or --resume")
    return follow


def _resumed(args: argparse.Namespace, steps: list[ShiftStep]) -> tuple[Any, dict[str, Any]]:
    """The shift of ``--resume`` with the steps after its clock played."""
    shift = resume_shift(args.resume)
    late = [s for s in steps if s.at < shift.now]
    if late:
        raise _Invalid(
            [
                f"{args.actions}: step at {format_duration(late[0].at)} is before the resumed shift's clock "
                f"({format_duration(shift.now)}); list only what comes after"
            ]
        )
    try:
        play_steps(shift, steps)
    finally:
        if shift.journal is not None:
            shift.journal.close()
    return shift, shift_report(shift)


def _played(args: argparse.Namespace, policy: EscalationPolicy, steps: list[ShiftStep]) -> tuple[Any, dict[str, Any]]:
    """Replay, resume or play a new shift headless; journal problems as _Invalid."""
    try:
        if args.replay is not None:
            return replay_shift(args.replay)
        if args.resume is not None:
            return _resumed(args, steps)
        return run_shift(
            args.seed,
            steps,
            args.hours,
            args.max_incidents,
            policy,
            args.journal,
            args.after,
            difficulty=args.difficulty,
            continue_from=getattr(args, "continue_from", None),
        )
    except JournalError as err:
        raise _Invalid([str(err)]) from None
    except OSError as exc:
        raise _Invalid([f"{args.journal}: cannot write the journal: {exc.strerror or exc}"]) from None


def shift_command(args: argparse.Namespace) -> int:
    """Play, replay or resume a shift and print its report."""
    try:
        policy, steps, previous = _inputs(args)
    except _Invalid as err:
        return _invalid(err.problems)
    headless = args.json or args.actions is not None or args.replay is not None
    follow_ups: list = []
    if args.replay is None:
        # A new or resumed shift starts with what earlier shifts left to follow through.
        follow_ups, problem = open_follow_ups()
        if problem:
            print(f"warning: {problem}", file=sys.stderr)
    if not headless and sys.stdin.isatty() and sys.stdout.isatty():
        return shift_tui(args, policy, previous, follow_ups_text(follow_ups))
    try:
        shift, report = _played(args, policy, steps)
    except _Invalid as err:
        return _invalid(err.problems)
    if previous is not None:
        report["previous_handoff"] = previous
    recorded = None
    if args.replay is None:
        report["follow_ups_open"] = [item.as_dict() for item in follow_ups]
        journal = args.resume or args.journal
        if journal is not None and shift.ended_at is not None:
            recorded, problem = record_shift(shift, report, str(Path(journal).resolve()))
            if problem:
                print(f"warning: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2))
        return EXIT_OK
    _print_report(args, report, shift, previous, follow_ups, recorded)
    return EXIT_OK


def _print_report(args, report, shift, previous, follow_ups, recorded) -> None:
    """The text report, with the previous handoff and the open follow-ups first."""
    console = Console(highlight=False)
    if previous is not None:
        print_previous(console, previous)
    if follow_ups:
        console.print(Text(follow_ups_text(follow_ups)))
    print_shift_report(console, report, shift)
    if recorded:
        console.print(Text(f"{recorded} follow-up(s) recorded: misfortune follow-ups"))
    if args.journal is not None:
        console.print(
            Text(
                f"journal: {args.journal}  (next shift: misfortune shift --after {args.journal}; "
                f"follow-the-sun: --continue-from {args.journal})"
            )
        )


def previous_shift(path: Path) -> dict[str, Any]:
    """What the next shift is told about the previous one: its handoff note and what was open."""
    shift, report = replay_shift(path)
    note = shift.handoff
    return {
        "journal": str(path),
        "note": None if note is None else {s: list(getattr(note, s)) for s in HANDOFF_SECTIONS},
        "written_at_s": shift.handoff_at,
        "open_incidents": [
            {"number": r.number, "scenario": r.scenario.id, "title": r.scenario.title} for r in shift.open_incidents()
        ],
        "open_tickets": [t["number"] for t in report["tickets"] if t["status"] == "open"],
        "score": report["handoff"]["score"],
    }


def shift_tui(
    args: argparse.Namespace, policy: EscalationPolicy, previous: dict[str, Any] | None, follow_ups: str
) -> int:
    """The shift in the terminal: a new journalled shift, or a resumed one (paused)."""
    from tui.shift_app import ShiftApp
    from tui.shift_session import ShiftDriver

    try:
        if args.resume is not None:
            driver = ShiftDriver.resume(args.resume, args.speed)
        else:
            driver = ShiftDriver.start(
                args.seed,
                args.hours,
                args.max_incidents,
                policy,
                args.speed,
                args.after,
                args.journal,
                args.difficulty,
                getattr(args, "continue_from", None),
            )
    except JournalError as err:
        return _invalid([str(err)])
    except OSError as exc:
        return _invalid([f"cannot write the shift journal: {exc.strerror or exc}"])
    app = ShiftApp(driver, previous, follow_ups)
    app.run()
    if app.resume_hint:
        print(f"Shift kept. Continue it with:\n  {app.resume_hint}")
    elif driver.journal_path:
        print(
            f"Shift journal: {driver.journal_path}\nNext shift: misfortune shift --after {driver.journal_path}"
            f"\nHand it over (follow-the-sun): misfortune shift --continue-from {driver.journal_path}"
        )
    return EXIT_OK
