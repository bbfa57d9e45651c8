"""``misfortune inspect``: what the console would show at a moment, as text or JSON.

The data comes from simulator.session.inspect; this module parses the arguments, plays the scenario (with
the actions file, if any) or replays a journal (``--journal``, with its seats) up to ``--at`` and prints.
Bad input: one line per problem, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scenarios.durations import format_duration, parse_duration
from scenarios.language.scenario import Scenario
from scenarios.text import clean
from simulator.diagnostics import DEFAULT_CPU_SECONDS
from simulator.session import (
    SHOW,
    InspectError,
    JournalError,
    JournalSession,
    SessionError,
    Simulation,
    collect,
    inspect_text,
    run_session,
)
from simulator.session import inspect_data as inspect
from tui.commands.headless import load_inputs

PROFILE_FORMATS = ("pprof", "speedscope")
EXIT_OK = 0
EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``inspect``."""
    cmd = subparsers.add_parser(
        "inspect",
        help="print what the console would show at a moment (metrics, logs, traces, changes, alerts, profiles)",
        description="Play SCENARIO headless up to --at (applying --actions), or replay a session's --journal up "
        "to --at, and print one view as the console would show it then: text, or --json (stable for a scenario, "
        "seed and time). 'profile' is a CPU and heap profile of an instance over the window ending at --at; 'dump' "
        "a thread dump and its crash report.",
    )
    cmd.add_argument(
        "scenario", metavar="SCENARIO", nargs="?", help="scenario id (see misfortune list) or path to a file"
    )
    cmd.add_argument("--at", required=True, metavar="DURATION", help="simulated time to look at, e.g. 25m")
    cmd.add_argument("--seed", type=int, metavar="N", help="random seed (default 1)")
    cmd.add_argument("--actions", type=Path, metavar="FILE", help="YAML list of timed actions applied before --at")
    cmd.add_argument(
        "--journal", type=Path, metavar="FILE", help="replay this session journal instead of SCENARIO (its seed)"
    )
    cmd.add_argument("--show", required=True, choices=SHOW, help="the view to print")
    cmd.add_argument("--service", metavar="S", help="only this service (for profile/dump: its first running instance)")
    cmd.add_argument("--instance", metavar="I", help="this instance (see --show metrics --service S for ids)")
    cmd.add_argument("--limit", type=int, default=20, metavar="N", help="log lines or traces to show (default 20)")
    cmd.add_argument(
        "--seconds", type=float, default=DEFAULT_CPU_SECONDS, metavar="S", help="CPU profile window (default 30)"
    )
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.add_argument(
        "--format",
        choices=PROFILE_FORMATS,
        help="with --show profile: write the profile for a profiler (pprof: gzip'd profile.proto; speedscope: JSON)",
    )
    cmd.add_argument(
        "--kind", choices=("cpu", "heap"), default="cpu", help="with --format: which profile (default cpu)"
    )
    cmd.add_argument("-o", "--output", type=Path, metavar="FILE", help="with --format: the file to write")
    cmd.set_defaults(handler=inspect_command)


def inspect_command(args: argparse.Namespace) -> int:
    """Play (or replay) up to --at and print the view."""
    problems: list[str] = []
    at = 0.0
    try:
        at = parse_duration(args.at)
    except ValueError as exc:
        problems.append(f"--at: {exc}")
    if args.limit < 1:
        problems.append(f"--limit: {args.limit} must be at least 1")
    if args.format is not None and (args.show != "profile" or args.output is None):
        problems.append(f"--format {args.format}: needs --show profile and -o FILE (e.g. -o cpu.pb.gz)")
    if not 1.0 <= args.seconds <= 600.0:
        problems.append(f"--seconds: {args.seconds:g} must be between 1 and 600")
    if args.journal is not None:
        sim = _replayed(args, at, problems)
    else:
        sim = _played(args, at, problems)
    if sim is None:
        return _invalid(problems)
    options = {"service": args.service, "instance": args.instance, "limit": args.limit, "seconds": args.seconds}
    if args.format is not None:
        return _write_profile(sim, args, options)
    try:
        if args.json:
            print(json.dumps(inspect(sim, args.show, **options), indent=2))
        else:
            print("\n".join(clean(line) for line in inspect_text(collect(sim, args.show, **options))))
    except InspectError as err:
        return _invalid([str(err)])
    return EXIT_OK


def _played(args: argparse.Namespace, at: float, problems: list[str]) -> Simulation | None:
    """SCENARIO played with --seed and --actions up to ``at`` (None when ``problems`` were found)."""
    if args.scenario is None:
        problems.append("give a SCENARIO (an id or a file) or --journal FILE")
        return None
    scenario, _path, actions = load_inputs(args.scenario, args.actions, problems, 1 if args.seed is None else args.seed)
    if scenario is not None and not problems:
        _check_moment(scenario, args, at, problems)
    if problems or scenario is None:
        return None
    try:
        sim, _report = run_session(scenario, 1 if args.seed is None else args.seed, actions, until=at)
    except SessionError as err:
        problems.extend(f"{args.actions}: {problem}" for problem in err.problems)
        return None
    return sim


def _replayed(args: argparse.Namespace, at: float, problems: list[str]) -> Simulation | None:
    """The journal replayed up to ``at``, each action by its seat (None when ``problems`` were found)."""
    given = {"SCENARIO": args.scenario, "--seed": args.seed, "--actions": args.actions}
    extra = [name for name, value in given.items() if value is not None]
    if extra:
        problems.append(f"--journal replays a recorded session with its own scenario and seed; drop {', '.join(extra)}")
    try:
        journal = JournalSession.open(args.journal)
    except JournalError as err:
        problems.append(str(err))
        return None
    _check_moment(journal.scenario, args, at, problems)
    if problems:
        return None
    if journal.torn_notice:
        print(journal.torn_notice, file=sys.stderr)
    return journal.replay_to(at)


def _check_moment(scenario: Scenario, args: argparse.Namespace, at: float, problems: list[str]) -> None:
    """--at inside the scenario and --service one of its services."""
    if at < 0 or at > scenario.duration:
        problems.append(
            f"--at: {args.at} is outside the scenario (0 to {format_duration(scenario.duration)}); "
            "pass a time such as 10m"
        )
    if args.service is not None and args.service not in {s.name for s in scenario.topology.services}:
        names = ", ".join(s.name for s in scenario.topology.services)
        problems.append(f"--service: no service {args.service!r} in {scenario.id}; services: {names}")


def _write_profile(sim, args: argparse.Namespace, options: dict) -> int:
    """``--format pprof|speedscope -o FILE``: the CPU or heap profile for a real profiler."""
    from simulator.exports import to_pprof, to_speedscope

    try:
        data = collect(sim, "profile", **options)
    except InspectError as err:
        return _invalid([str(err)])
    profile = data[args.kind]
    if isinstance(profile, dict):
        return _invalid([f"--kind {args.kind}: {profile['error']}"])
    if args.format == "pprof":
        payload = to_pprof(profile, sim.scenario.id, sim.seed)
    else:
        payload = to_speedscope(profile, sim.scenario.id, sim.seed).encode()
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(payload)
    except OSError as err:
        return _invalid([f"-o {args.output}: cannot write: {err.strerror}"])
    viewer = "go tool pprof -http=: FILE" if args.format == "pprof" else "https://www.speedscope.app (open FILE)"
    print(f"wrote {args.output}: {args.kind} profile of {data['instance']} ({args.format}); view with {viewer}")
    return EXIT_OK


def _invalid(problems: list[str]) -> int:
    for problem in problems:
        print(clean(problem, keep_newlines=True), file=sys.stderr)
    return EXIT_INVALID
