"""``misfortune postmortem JOURNAL [-o FILE]`` and ``misfortune history [--export FILE] [--json] [--rebuild]``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scenarios.durations import format_duration
from scenarios.text import clean, format_percent
from simulator.reports import (
    SHADOW,
    Attempt,
    HistoryError,
    attempt_from_journal,
    history_path,
    open_history_recovering,
    postmortem_of,
    readiness,
    rebuild,
    record_recovering,
)
from simulator.session import JournalError, JournalSession
from tui.postmortem_draft import postmortem_path
from tui.session import journals_dir

EXIT_OK = 0
EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add postmortem and history."""
    cmd = subparsers.add_parser(
        "postmortem",
        help="write a Markdown postmortem draft of a session journal",
        description="Replay JOURNAL and write a blameless postmortem draft (Markdown, marked as a training "
        "drill) to FILE, or to standard output.",
    )
    cmd.add_argument("journal", type=Path, metavar="JOURNAL", help="a session journal (.jsonl)")
    cmd.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the draft to FILE")
    cmd.set_defaults(handler=postmortem_command)

    cmd = subparsers.add_parser(
        "history",
        help="past attempts and readiness per fault class",
        description="Every finished attempt (resolved, time up or given up) and readiness per fault class: "
        "attempts, best and median TTR against par, and the trend of the latest attempt.",
    )
    cmd.add_argument("--export", type=Path, metavar="FILE", help="write the attempts to FILE (.csv or .json)")
    cmd.add_argument("--json", action="store_true", help="print attempts and readiness as one JSON object")
    cmd.add_argument("--rebuild", action="store_true", help="rebuild the database by replaying every journal")
    cmd.add_argument(
        "--add", type=Path, nargs="+", metavar="JOURNAL", help="record finished sessions from these journals"
    )
    cmd.add_argument("--team", action="store_true", help="who practised which fault class; single-person classes")
    cmd.set_defaults(handler=history_command)


def postmortem_command(args: argparse.Namespace) -> int:
    """Print or write the postmortem draft of a journal."""
    try:
        journal = JournalSession.open(args.journal)
        # The draft quotes the scenario and the journal: no escape sequence reaches a terminal or the file.
        text = clean(postmortem_of(journal), keep_newlines=True)
    except JournalError as err:
        print(clean(err, keep_newlines=True), file=sys.stderr)
        return EXIT_INVALID
    if journal.torn_notice:
        print(clean(journal.torn_notice), file=sys.stderr)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"{args.output}: cannot write the postmortem: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"postmortem draft written to {args.output}")
    return EXIT_OK


def history_command(args: argparse.Namespace) -> int:
    """List attempts and readiness; export, rebuild or add journals."""
    if args.team:
        from tui.commands.follow_up_commands import team_command

        return team_command()
    if args.export is not None and args.export.suffix.lower() not in (".csv", ".json"):
        print(f"--export {args.export}: give a file ending in .csv or .json", file=sys.stderr)
        return EXIT_INVALID
    if args.add:  # recorded first, even into a fresh database if the old one turns out corrupt
        code = _add(args.add)
        if code:
            return code
    try:
        history, warning = open_history_recovering()
    except HistoryError as err:
        print(clean(f"error: {err}"), file=sys.stderr)
        return EXIT_INVALID
    if warning and not args.rebuild:
        history.close()
        print(clean(f"error: {warning}"), file=sys.stderr)
        return EXIT_INVALID
    with history:
        if args.rebuild:
            folder = journals_dir()
            result = rebuild(history, sorted(folder.glob("*.jsonl")) if folder.is_dir() else [])
            print(f"history rebuilt from journals: {result.recorded} attempt(s) recorded", file=sys.stderr)
            for path, why in result.skipped:
                print(clean(f"  skipped {path}: {why}"), file=sys.stderr)
        attempts = history.attempts()
        if history.skipped:
            print(f"{history.skipped} row(s) of {history.path} are not well-formed and were skipped", file=sys.stderr)
        shadows = history.attempts(SHADOW)
    if args.export is not None:
        try:
            _export(attempts, args.export, shadows)
        except OSError as exc:
            print(f"{args.export}: cannot write the export: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_INVALID
        print(f"{len(attempts)} attempt(s) exported to {args.export}", file=sys.stderr)
    if args.json:
        print(json.dumps(_as_json(attempts, shadows), indent=2, sort_keys=True))
    elif args.export is None:
        _print_tables(attempts, shadows)
    return EXIT_OK


def _add(paths: list[Path]) -> int:
    attempts = []
    for path in paths:
        try:
            attempt = attempt_from_journal(path)
        except JournalError as err:
            print(clean(err, keep_newlines=True), file=sys.stderr)
            return EXIT_INVALID
        if attempt is None:
            print(
                clean(f"{path}: the session did not finish (resolve it, let time run out, or give up)"),
                file=sys.stderr,
            )
            return EXIT_INVALID
        attempts.append(attempt)
    try:
        warning = record_recovering(attempts)
    except HistoryError as err:
        print(clean(f"error: {err}"), file=sys.stderr)
        return EXIT_INVALID
    if warning:
        print(clean(f"warning: {warning}"), file=sys.stderr)
    print(f"{len(attempts)} attempt(s) recorded", file=sys.stderr)
    return EXIT_OK


def _as_json(attempts: list[Attempt], shadows: Sequence[Attempt] = ()) -> dict:
    return {
        "database": str(history_path()),
        "attempts": [a.as_dict() for a in attempts],
        "shadow_sessions": [a.as_dict() for a in shadows],
        "readiness": [r.as_dict() for r in readiness(attempts, shadows)],
    }


def _export(attempts: list[Attempt], path: Path, shadows: Sequence[Attempt] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(_as_json(attempts, shadows), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return
    names = [f.name for f in fields(Attempt)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", *names])
    for a in attempts:
        row = a.as_dict()
        writer.writerow(["drill" if a.drill else "real", *("" if row[n] is None else row[n] for n in names)])
    path.write_text(out.getvalue(), encoding="utf-8")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _print_tables(attempts: list[Attempt], shadows: Sequence[Attempt] = ()) -> None:
    console = Console(highlight=False, width=max(Console().width, 150))
    if shadows:
        _print_shadows(console, shadows)
    if not attempts and not shadows:
        folder = journals_dir()
        journals = len(list(folder.glob("*.jsonl"))) if folder.is_dir() else 0
        console.print(f"No attempts recorded yet in {history_path()}.")
        if journals:
            console.print(f"{journals} journal(s) found in {folder}: `misfortune history --rebuild` imports them.")
        else:
            console.print("Play one: `misfortune` (the wheel) or `misfortune play SCENARIO`.")
        return
    table = Table(title="Attempts (all training drills)", box=box.SIMPLE_HEAD)
    for name in (
        "date",
        "scenario",
        "seed",
        "class",
        "outcome",
        "grade",
        "TTA",
        "TTM",
        "TTR",
        "par TTR",
        "burned",
        "harm",
    ):
        table.add_column(name, justify="right" if name in ("seed", "burned", "harm") else "left", no_wrap=True)
    for a in attempts:
        outcome = a.outcome if a.end_reason == a.outcome else f"{a.outcome} ({a.end_reason.replace('_', ' ')})"
        table.add_row(  # rows come from a file anyone could edit: plain text, never markup
            Text(clean(a.date[:16].replace("T", " "))),
            Text(clean(a.scenario)),
            str(a.seed),
            Text(clean(a.fault_class)),
            Text(clean(outcome)),
            Text(clean(a.grade)),
            format_duration(a.tta_s),
            format_duration(a.ttm_s),
            format_duration(a.ttr_s),
            format_duration(a.par_ttr_s),
            f"{format_percent(a.error_budget_burned_pct)}%",
            str(a.harmful_actions),
        )
    console.print(table)
    drafts = [(a, postmortem_path(a.journal_path)) for a in attempts if a.journal_path]
    drafts = [(a, path) for a, path in drafts if path.is_file()]
    if drafts:
        console.print("Postmortem drafts (edit with `e` on the debrief):")
        for a, path in drafts:
            console.print(Text(f"  {a.date[:16].replace('T', ' ')}  {a.scenario}  {path}"))
    ready = Table(title="Readiness per fault class (TTR against par; 1.00x = par)", box=box.SIMPLE_HEAD)
    for name in ("class", "attempts", "resolved", "best", "median", "best TTR", "median TTR", "trend", "shadowed"):
        ready.add_column(name, no_wrap=True)
    for r in readiness(attempts, shadows):
        ready.add_row(
            Text(clean(r.fault_class)),
            str(r.attempts),
            str(r.resolved),
            _ratio(r.best_ttr_ratio),
            _ratio(r.median_ttr_ratio),
            format_duration(r.best_ttr_s),
            format_duration(r.median_ttr_s),
            r.trend,
            str(r.exposure),
        )
    console.print(ready)


def _print_shadows(console: Console, shadows: Sequence[Attempt]) -> None:
    """Shadow sessions: exposure to a fault class, never scored as attempts."""
    table = Table(title="Shadow sessions (watched an expert's run; not scored)", box=box.SIMPLE_HEAD)
    for name in ("date", "scenario", "class", "predicted", "traps chosen", "questions"):
        table.add_column(name, no_wrap=True)
    for a in shadows:
        detail = _shadow_detail(a)
        table.add_row(
            Text(clean(a.date[:16].replace("T", " "))),
            Text(clean(a.scenario)),
            Text(clean(a.fault_class)),
            f"{detail.get('matched', 0)}/{detail.get('asked', 0)}",
            str(detail.get("traps", 0)),
            str(len(detail.get("questions", []))),
        )
    console.print(table)


def _shadow_detail(attempt: Attempt) -> dict:
    # The database is untrusted like any file: a detail that is not a JSON object shows as empty.
    try:
        detail = json.loads(attempt.detail or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}
