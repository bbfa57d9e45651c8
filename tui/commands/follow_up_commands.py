"""``misfortune follow-ups`` (postmortem action items across sessions) and ``misfortune history --team``."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import UTC, datetime

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scenarios.text import clean
from simulator.reports import (
    STATUSES,
    FollowThrough,
    HistoryError,
    history_path,
    open_history_recovering,
    team_readiness,
)

EXIT_OK = 0
EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``follow-ups``."""
    cmd = subparsers.add_parser(
        "follow-ups",
        help="postmortem action items across sessions: owner, priority, deadline, status",
        description="List the action items that shifts with postmortems due left behind, oldest deadline "
        "first, overdue ones marked; --done ID (or --status ID STATUS) follows one through.",
    )
    cmd.add_argument("--all", action="store_true", help="also list done and dropped items")
    cmd.add_argument("--done", type=int, metavar="ID", help="mark item ID done")
    cmd.add_argument(
        "--status", nargs=2, metavar=("ID", "STATUS"), help=f"set an item's status ({', '.join(STATUSES)})"
    )
    cmd.add_argument("--json", action="store_true", help="print the items as JSON")
    cmd.set_defaults(handler=follow_ups_command)


def _invalid(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_INVALID


def follow_ups_command(args: argparse.Namespace) -> int:
    """List action items, or change one's status."""
    change = None
    if args.done is not None:
        change = (args.done, "done")
    elif args.status is not None:
        raw_id, status = args.status
        if not raw_id.isdigit():
            return _invalid(f"--status: {raw_id!r} is not an item number")
        if status not in STATUSES:
            return _invalid(f"--status: {status!r} is not a status; use one of {', '.join(STATUSES)}")
        change = (int(raw_id), status)
    try:
        history, warning = open_history_recovering()
    except HistoryError as err:
        return _invalid(f"error: {err}")
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    with history:
        store = FollowThrough(history)
        if change is not None and not store.set_status(*change):
            return _invalid(f"no follow-up #{change[0]}; `misfortune follow-ups --all` lists them")
        items = store.items()
    shown = items if args.all else [i for i in items if i.status in ("open", "in_progress")]
    if args.json:
        print(json.dumps({"database": str(history_path()), "follow_ups": [i.as_dict() for i in shown]}, indent=2))
        return EXIT_OK
    console = Console(highlight=False, width=max(Console().width, 140))
    if change is not None:
        console.print(f"follow-up #{change[0]}: {change[1]}")
    if not shown:
        console.print("No open follow-ups." if not args.all else "No follow-ups recorded yet.")
        return EXIT_OK
    today = datetime.now(UTC).date()
    table = Table(title="Follow-ups (postmortem action items)", box=box.SIMPLE_HEAD)
    for column in ("#", "PRI", "DEADLINE", "STATUS", "OWNER", "ACTION", "FROM"):
        table.add_column(column, no_wrap=column not in ("ACTION", "FROM"))
    for item in shown:
        late = item.overdue(today)
        table.add_row(
            str(item.id),
            item.priority,
            Text(item.deadline + (" OVERDUE" if late else ""), style="bold red" if late else ""),
            item.status,
            Text(clean(item.owner)),
            Text(clean(item.action)),
            Text(clean(f"incident #{item.incident} {item.scenario}")),
        )
    console.print(table)
    return EXIT_OK


def team_command() -> int:
    """``misfortune history --team``: who practised which fault class, single-person classes flagged."""
    try:
        history, warning = open_history_recovering()
    except HistoryError as err:
        return _invalid(f"error: {err}")
    try:
        with history:
            coverage = team_readiness(FollowThrough(history).practice())
    except sqlite3.Error as err:
        return _invalid(f"error: {history_path()}: {err}")
    console = Console(highlight=False, width=max(Console().width, 120))
    if warning:
        console.print(Text(f"warning: {warning}", style="yellow"))
    if not coverage:
        console.print("Nobody has practised on a shift yet: `misfortune shift` records who worked which incident.")
        return EXIT_OK
    table = Table(title="Team readiness per fault class", box=box.SIMPLE_HEAD)
    for column in ("CLASS", "PEOPLE", "PRACTISED", "LAST", "DIFFICULTY", "RISK"):
        table.add_column(column, no_wrap=column != "PEOPLE")
    for c in coverage:
        risk = Text("ONLY ONE PERSON KNOWS THIS", style="bold red") if c.single_point else Text("")
        levels = ", ".join(c.difficulties)
        table.add_row(
            clean(c.fault_class), Text(clean(", ".join(c.people))), str(c.practised), clean(c.last[:10]), levels, risk
        )
    console.print(table)
    return EXIT_OK
