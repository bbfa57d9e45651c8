"""Scenario commands: ``misfortune list``, ``misfortune validate`` and ``misfortune schema``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from scenarios.catalog import CatalogEntry, list_scenarios, scenario_files, user_scenarios_dir
from scenarios.loader import ScenarioError, SourceProblem, load_scenario
from scenarios.schema import scenario_json_schema
from scenarios.text import clean


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add list, validate and schema."""
    cmd = subparsers.add_parser("list", help="list shipped and user scenarios")
    cmd.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    cmd.set_defaults(handler=list_command)

    cmd = subparsers.add_parser(
        "validate",
        help="check scenario files (exit 0 valid, 2 invalid)",
        description="Check scenario files and print every problem as file:line:col: field: message.",
    )
    cmd.add_argument("paths", nargs="+", metavar="PATH", help="a scenario file, or a directory of *.yaml files")
    cmd.set_defaults(handler=validate_command)

    cmd = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the scenario language",
        description="Print the JSON Schema of scenario files, e.g. for yaml-language-server "
        "(# yaml-language-server: $schema=scenario.schema.json).",
    )
    cmd.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the schema to FILE")
    cmd.set_defaults(handler=schema_command)


WIDE_LIST = 120
"""Columns from which ``misfortune list`` prints a table; narrower (a pipe is 80), one entry to a few lines."""


def list_command(args: argparse.Namespace) -> int:
    """Print the catalog as a table (or, in a narrow terminal, as entries) or as JSON; files that fail to load
    are rows with an error."""
    entries = list_scenarios()
    if args.json:
        print(json.dumps([_entry_json(e) for e in entries], indent=2))
        return 0
    console = Console(highlight=False)
    if entries and console.width >= WIDE_LIST:
        console.print(_list_table(entries))
    else:
        # A table squeezed into 80 columns gave the ids all the room and wrapped each title a word to a line.
        for e in entries:
            console.print(_list_entry(e))
    console.print(Text(f"{len(entries)} scenarios. Your own scenarios go in {user_scenarios_dir()}"))
    return 0


def _list_table(entries: list[CatalogEntry]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("TITLE", ratio=1)
    table.add_column("DIFF", justify="right")
    table.add_column("TAGS")
    table.add_column("SOURCE")
    for e in entries:
        if e.error is None:
            table.add_row(
                Text(clean(e.id)), Text(clean(e.title)), str(e.difficulty), Text(clean(", ".join(e.tags))), e.source
            )
        else:
            broken = Text(clean(f"does not load: misfortune validate {e.path}"), style="red")
            table.add_row(Text(clean(e.id)), broken, "-", "", e.source)
    return table


def _list_entry(e: CatalogEntry) -> Group:
    """One catalog entry on a few lines: the id with its difficulty and source, then its title and tags."""
    head = Text(clean(e.id), style="bold")
    if e.error is None:
        head.append(f"  difficulty {e.difficulty}, {e.source}", style="dim")
        body = Text(clean(e.title))
        if e.tags:
            body.append("\n" + clean("tags: " + ", ".join(e.tags)), style="dim")
    else:
        head.append(f"  {e.source}", style="dim")
        body = Text(clean(f"does not load: misfortune validate {e.path}"), style="red")
    return Group(head, Padding(body, (0, 0, 1, 4), expand=False))


def validate_command(args: argparse.Namespace) -> int:
    """Validate every file named or found in the directories named; print ok or every problem."""
    invalid = 0
    files = 0
    for raw in args.paths:
        path = Path(raw)
        targets = scenario_files(path) if path.is_dir() else [path]
        if not targets:
            print(clean(SourceProblem(raw, 0, 0, "", "no *.yaml files in this directory")), file=sys.stderr)
            invalid += 1
        for target in targets:
            files += 1
            try:
                load_scenario(target)
            except ScenarioError as err:
                invalid += 1
                print(clean(err, keep_newlines=True), file=sys.stderr)
            else:
                print(clean(f"{target}: ok"))
    if files > 1:
        print(f"{files} files: {files - invalid} ok, {invalid} invalid")
    return 2 if invalid else 0


def schema_command(args: argparse.Namespace) -> int:
    """Print (or write) the scenario JSON Schema."""
    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _entry_json(entry: CatalogEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title,
        "difficulty": entry.difficulty,
        "tags": list(entry.tags),
        "source": entry.source,
        "path": str(entry.path),
        "error": entry.error,
    }
