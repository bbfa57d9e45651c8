"""Headless commands: ``misfortune run``, ``misfortune replay`` and ``misfortune verify``.

The sessions themselves are played by simulator.session.runner and simulator.session.verify; this module parses the
arguments, turns bad input into one line per problem on stderr (exit 2) and prints the results.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scenarios.catalog import list_scenarios, load_by_ref
from scenarios.durations import format_clock, format_duration, parse_duration
from scenarios.language.actions import Action
from scenarios.language.scenario import Scenario
from scenarios.loader import ScenarioError, load_actions
from scenarios.text import clean, format_percent
from simulator.incident import Report, impact_avoided_text
from simulator.reports import severity_verdict
from simulator.session import (
    STILL_OPEN,
    STOPPED_NOTE,
    Check,
    JournalError,
    JournalSession,
    SessionError,
    Simulation,
    run_session,
    verify_scenarios,
)
from simulator.views import ActionResult

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
DEFAULT_SEED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add run, replay and verify."""
    cmd = subparsers.add_parser(
        "run",
        help="play a scenario headless with timed actions and print the report",
        description="Play SCENARIO (an id or a file) without the TUI: apply the actions file's timed actions, "
        "stop when the incident is resolved or time is up, and print the report.",
    )
    cmd.add_argument("scenario", metavar="SCENARIO", help="scenario id (see misfortune list) or path to a file")
    cmd.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, metavar="N", help=f"random seed (default {DEFAULT_SEED})"
    )
    cmd.add_argument(
        "--actions", type=Path, metavar="FILE", help="YAML list of timed actions, e.g. - {at: 9m, action: ack}"
    )
    cmd.add_argument("--until", metavar="DURATION", help="stop at this simulated time, e.g. 30m (default: the end)")
    cmd.add_argument("--journal", type=Path, metavar="FILE", help="write the session journal (JSONL) to FILE")
    cmd.add_argument("--json", action="store_true", help="print the report as one JSON object")
    cmd.add_argument(
        "--solution", action="store_true", help="play the scenario's reference solution (instead of --actions)"
    )
    cmd.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print the timeline: system events and every accepted action (without --actions or "
        "--solution, nobody acts)",
    )
    cmd.set_defaults(handler=run_command)

    cmd = subparsers.add_parser(
        "replay",
        help="re-simulate a saved session journal and print its report",
        description="Re-simulate a journal: same scenario file, seed and timed actions give the same report.",
    )
    cmd.add_argument("journal", type=Path, metavar="JOURNAL", help="a session journal (.jsonl)")
    cmd.add_argument("--json", action="store_true", help="print the report as one JSON object")
    cmd.add_argument("-v", "--verbose", action="store_true", help="also print the timeline of events")
    cmd.set_defaults(handler=replay_command)

    cmd = subparsers.add_parser(
        "verify",
        help="check that scenarios are winnable (reference solution) and not by doing nothing",
        description="For each scenario and seed: the reference solution must resolve within twice par TTR, "
        "doing nothing must hurt users (unresolved, or 1 percent of the error budget burned), each trap must be "
        "accepted by the engine, spring and fail more requests than the reference, and what messages claim "
        "must hold in the reference run. Exit 0 when every check passes, 1 otherwise, 2 for bad input.",
    )
    cmd.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario ids or files")
    cmd.add_argument("--all", action="store_true", help="every shipped and user scenario")
    cmd.add_argument("--seeds", type=int, default=5, metavar="N", help="play seeds 1..N (default 5)")
    cmd.set_defaults(handler=verify_command)


# --- run and replay ----------------------------------------------------------------------------


def load_inputs(
    ref: str, actions_path: str | None, problems: list[str], seed: int = DEFAULT_SEED
) -> tuple[Scenario | None, Path | None, list[Action]]:
    """The scenario (an id or a path) and the actions file, adding every problem to ``problems``.

    ``${name}`` in the actions file takes the value of the scenario's variable for ``seed``."""
    scenario: Scenario | None = None
    path: Path | None = None
    try:
        scenario, path = load_by_ref(ref)
    except ScenarioError as err:
        problems.append(str(err))
    actions: list[Action] = []
    if actions_path is not None:
        try:
            played = scenario.for_seed(seed) if scenario is not None else None
            actions = load_actions(actions_path, played.chosen if played is not None else None, played)
        except ScenarioError as err:
            problems.append(str(err))
    return scenario, path, actions


def _until(text: str | None, problems: list[str]) -> float | None:
    """``--until`` in seconds (None: to the end), adding a problem when it is not a positive duration."""
    if text is None:
        return None
    try:
        until = parse_duration(text)
    except ValueError as exc:
        problems.append(f"--until: {exc}")
        return None
    if until <= 0:
        problems.append(f"--until: {text!r} must be a positive duration such as 30m")
    return until


def run_command(args: argparse.Namespace) -> int:
    """Play a scenario headless and print its report."""
    problems: list[str] = []
    until = _until(args.until, problems)
    if args.solution and args.actions is not None:
        problems.append("give --actions FILE or --solution, not both")
    scenario, path, actions = load_inputs(args.scenario, args.actions, problems, args.seed)
    if problems or scenario is None:
        return _invalid(problems)
    if args.solution:
        actions = list(scenario.for_seed(args.seed).solution)  # the solution of the variant the seed plays
    rejected: list[tuple[Action, ActionResult]] = []

    def note_rejection(action: Action, result: ActionResult) -> None:
        if not result.accepted:
            rejected.append((action, result))

    try:
        # Nothing here reads a log line or a span (the report and the timeline come from the model): keep none.
        sim, report = run_session(
            scenario, args.seed, actions, until, args.journal, path, note_rejection, telemetry=False
        )
    except SessionError as err:
        return _invalid([f"{args.actions}: {problem}" for problem in err.problems])
    except OSError as exc:
        return _invalid([f"{args.journal}: cannot write the journal: {exc.strerror or exc}"])
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return EXIT_OK
    console = Console(highlight=False)
    print_report(console, report, sim)
    for action, result in rejected:
        console.print(
            Text(clean(f"rejected at {format_duration(result.t)}: {action.action}: {result.message}"), style="red")
        )
    if args.journal is not None:
        console.print(Text(f"journal: {args.journal}  (misfortune replay {args.journal})"))
    if args.verbose:
        print_timeline(console, sim)
    return EXIT_OK


def replay_command(args: argparse.Namespace) -> int:
    """Re-simulate a journal and print its report."""
    try:
        journal = JournalSession.open(args.journal)
        sim, report = journal.replay(telemetry=False)  # the report and the timeline read no logs or traces
    except JournalError as err:
        return _invalid([str(err)])
    if journal.torn_notice:
        print(journal.torn_notice, file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return EXIT_OK
    console = Console(highlight=False)
    print_report(console, report, sim)
    if args.verbose:
        print_timeline(console, sim)
    return EXIT_OK


def print_report(console: Console, report: Report, sim: Simulation) -> None:
    """The human report: outcome and grade, the four durations against par, impact, process, penalties."""
    style = {"resolved": "bold green", "mitigated": "bold yellow"}.get(report.outcome, "bold red")
    head = Text()
    head.append(clean(f"{sim.scenario.title} ({report.scenario}, seed {report.seed})") + "\n", style="bold")
    head.append("outcome ")
    head.append(report.outcome.upper(), style=style)
    head.append(f"   grade {report.grade}   ended at {format_duration(report.ended_at_s)}")
    head.append(clean(f" ({sim.end_reason})") if sim.end_reason else "")
    console.print(head)

    times = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    times.add_column("")
    times.add_column("YOU", justify="right")
    times.add_column("PAR", justify="right")
    times.add_column("")
    rows = [
        ("time to detect (TTD)", report.ttd_s, None),
        ("time to acknowledge (TTA)", report.tta_s, report.par.get("tta_s")),
        ("time to mitigate (TTM)", report.ttm_s, report.par.get("ttm_s")),
        ("time to recover (TTR)", report.ttr_s, report.par.get("ttr_s")),
    ]
    for label, value, par in rows:
        times.add_row(label, format_duration(value), format_duration(par), _versus_par(value, par))
    console.print(times)

    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="dim")
    facts.add_column()
    impact = "none" if report.impact_start_s is None else f"at {format_duration(report.impact_start_s)}"
    facts.add_row("impact start", impact)
    facts.add_row(
        "error budget burned", f"{format_percent(report.error_budget_burned_pct)} % of the SLO window's budget"
    )
    facts.add_row("failed requests", f"{report.failed_requests:,}")
    facts.add_row("impact avoided", impact_avoided_text(report))
    facts.add_row("data lost", f"{report.data_lost:,} writes" if report.data_lost else "none")
    facts.add_row(
        "severity", Text(clean(f"{report.severity_declared or 'not declared'} ({severity_verdict(report).note})"))
    )
    facts.add_row(
        "process",
        f"{_count(report.pages, 'page')}, {_count(report.status_updates, 'status update')}, "
        f"{_count(report.hypotheses, 'hypothesis')}, {_count(report.escalations, 'escalation')}, "
        f"{_count(report.premature_resolves, 'premature resolve')}",
    )
    facts.add_row("harmful actions", str(report.harmful_actions) if report.harmful_actions else "none")
    console.print(facts)
    for harm in report.harmful:
        console.print(Text(clean(f"  at {format_duration(harm['t'])}: {harm['action']}: {harm['why']}"), style="red"))
    if report.penalties:
        console.print(Text("penalties", style="dim"))
        for penalty in report.penalties:
            console.print(Text(clean(f"  - {penalty}"), style="yellow"))


def _versus_par(value: float | None, par: float | None) -> str:
    if value is None or not par:
        return ""
    return f"{value / par:.1f}x par"


def print_timeline(console: Console, sim: Simulation) -> None:
    """The variant the seed played (for a scenario with variables), then system and responder events in
    time order."""
    chosen = sim.scenario.chosen
    if chosen:
        console.print(Text(clean("variant: " + ", ".join(f"{k}={v}" for k, v in sorted(chosen.items())))))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title="timeline", title_justify="left")
    table.add_column("TIME", no_wrap=True)
    table.add_column("WHO", no_wrap=True)
    table.add_column("WHAT", no_wrap=True)
    table.add_column("", ratio=1)
    for event in sim.timeline():
        table.add_row(
            format_clock(event.t), Text(clean(event.source)), Text(clean(event.kind)), Text(clean(event.text))
        )
    console.print(table)


# --- verify ------------------------------------------------------------------------------------


def verify_command(args: argparse.Namespace) -> int:
    """Verify scenarios; exit 0 if every check passes, 1 if one fails, 2 for bad input."""
    problems: list[str] = []
    if args.seeds < 1:
        problems.append(f"--seeds: {args.seeds} must be 1 or more")
    if args.all and args.scenarios:
        problems.append("name scenarios or use --all, not both")
    refs = list(args.scenarios)
    if args.all:
        entries = list_scenarios()
        refs = [str(e.path) for e in entries]
        if not refs:
            problems.append("no scenarios found")
    elif not refs:
        problems.append("name the scenarios to verify, or use --all")
    scenarios: list[Scenario] = []
    for ref in refs:
        try:
            scenarios.append(load_by_ref(ref)[0])
        except ScenarioError as err:
            problems.append(str(err))
    if problems:
        return _invalid(problems)
    seeds = list(range(1, args.seeds + 1))
    checks = verify_scenarios(scenarios, seeds)
    console = Console(highlight=False)
    for scenario in scenarios:
        console.print(verify_table(scenario, [c for c in checks if c.scenario == scenario.id]))
    if any(c.stopped_at_s is not None for c in checks):  # says what a trap row's "still open" means
        console.print(STOPPED_NOTE)
    failed = [c for c in checks if not c.passed]
    for check in failed:
        console.print(
            Text(clean(f"FAIL {check.scenario} seed {check.seed} {check.baseline}: {check.problem}"), style="red")
        )
    passed = len(checks) - len(failed)
    seed_label = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"
    console.print(
        f"{_count(len(scenarios), 'scenario')} x {seed_label}: {_count(len(checks), 'check')}, "
        f"{passed} passed, {len(failed)} failed"
    )
    return EXIT_FAILED if failed else EXIT_OK


def verify_table(scenario: Scenario, checks: list[Check]) -> Table:
    """One row per baseline: outcome, grade and TTR per seed, and the verdict."""
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        title=Text(clean(f"{scenario.id}: {scenario.title}"), style="bold"),
        title_justify="left",
    )
    table.add_column("BASELINE", no_wrap=True)
    table.add_column("EXPECTED")
    table.add_column("OUTCOME")
    table.add_column("GRADES", no_wrap=True)
    table.add_column("TTR")
    table.add_column("CHECK", no_wrap=True)
    rows: dict[str, list[Check]] = {}
    for check in checks:
        rows.setdefault(check.baseline, []).append(check)
    for baseline, group in rows.items():
        failed = sum(not c.passed for c in group)
        verdict = Text("ok", style="green") if not failed else Text(f"FAIL {failed}/{len(group)}", style="bold red")
        table.add_row(
            baseline,
            group[0].expected,
            _outcomes(group),
            " ".join(c.grade or "-" for c in group),
            _ttr_range(group),
            verdict,
        )
    return table


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {noun[:-2]}es" if noun.endswith("is") else f"{n} {noun}s"


SHORT_OUTCOMES = {STILL_OPEN: "opn"}
"""Outcomes' short forms where seeds differ (the others: their first three letters)."""


def _outcomes(group: list[Check]) -> str:
    outcomes = [c.outcome or "error" for c in group]
    if len(set(outcomes)) == 1:
        return outcomes[0] if len(outcomes) == 1 else f"{outcomes[0]} x{len(outcomes)}"
    return " ".join(SHORT_OUTCOMES.get(o, o[:3]) for o in outcomes)


def _ttr_range(group: list[Check]) -> str:
    ttrs = [c.ttr_s for c in group if c.ttr_s is not None]
    if not ttrs:
        return "-"
    low, high = format_duration(min(ttrs)), format_duration(max(ttrs))
    return low if low == high else f"{low}-{high}"


def _invalid(problems: list[str]) -> int:
    for problem in problems:
        print(clean(problem, keep_newlines=True), file=sys.stderr)
    return EXIT_INVALID
