"""The shift report and the previous shift's handoff as text (Rich), for the command line and the TUI."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scenarios.durations import format_clock, format_duration
from scenarios.text import clean
from simulator.shift import HANDOFF_SECTIONS, Shift


def print_previous(console: Console, previous: dict[str, Any]) -> None:
    """The previous shift's handoff, as the next shift reads it first."""
    console.print(Text("Handoff from the previous shift", style="bold"))
    note = previous["note"]
    if note is None:
        console.print(Text("  the previous shift wrote no handoff note", style="yellow"))
    else:
        for section in HANDOFF_SECTIONS:
            lines = note[section]
            console.print(Text(f"  {section.replace('_', ' ')}:", style="dim"))
            for line in lines or ["(none)"]:
                console.print(Text(f"    - {clean(line)}"))
    console.print()


def print_shift_report(console: Console, report: dict[str, Any], shift: Shift) -> None:
    """The human shift report."""
    head = Text()
    head.append(
        f"On-call shift (seed {report['seed']}, {report['hours']:g} h, {report['difficulty']}, "
        f"policy {report['policy']})\n",
        style="bold",
    )
    if report["starts_at_s"]:
        head.append(f"follow-the-sun: on-call clock from {format_clock(report['starts_at_s'])}\n")
    pages = report["pages"]
    pace_style = {"healthy": "green", "busy": "yellow"}.get(pages["pace"], "bold red")
    head.append(f"pages {pages['count']} ")
    head.append(pages["pace"].upper(), style=pace_style)
    head.append(
        f" (healthy under {pages['targets']['healthy_below']}, warning over {pages['targets']['warning_above']})"
    )
    fp = report["false_positives"]
    head.append(f"   false positives {fp['count']} ({fp['rate']:.0%}, target under {fp['target_below']:.0%})")
    head.append(f"   tickets {len(report['tickets'])}   noise alerts {report['noise_alerts']}")
    console.print(head)

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title="incidents", title_justify="left")
    for column in ("#", "SCENARIO", "SEV", "ARRIVED", "TTA", "TTR", "TIME SPENT", "OUTCOME", "GRADE"):
        table.add_column(column, no_wrap=True)
    for i in report["incidents"]:
        table.add_row(
            str(i["number"]),
            i["scenario"],
            f"{i['severity']} ({i['severity_declared'] or 'undeclared'})",
            format_clock(i["arrived_at_s"]) if i["handed_over_from"] is None else "handed over",
            format_duration(i["tta_s"]),
            format_duration(i["ttr_s"]),
            format_duration(i["time_spent_s"]),
            i["outcome"],
            i["grade"],
        )
    console.print(table)
    for i in report["incidents"]:
        for consequence in i["severity_consequences"]:
            console.print(Text(f"  #{i['number']}: {consequence}", style="yellow"))

    acks = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title="pages", title_justify="left")
    for column in ("#", "AT", "PRI", "ALERT", "TTA", "SLA", "ESCALATION"):
        acks.add_column(column, no_wrap=column != "ALERT")
    for p in pages["list"]:
        sla = "-" if p["within_sla"] is None else ("met" if p["within_sla"] else "MISSED")
        walk = "exhausted" if p["exhausted"] else (p["stopped"] or ("escalated" if p["escalated"] else ""))
        kind = " (false positive)" if p["false_positive"] else ""
        acks.add_row(
            str(p["number"]),
            format_clock(p["t_s"]),
            p["priority"],
            Text(f"{clean(p['title'])}{kind}"),
            format_duration(p["tta_s"]),
            Text(sla, style="green" if sla == "met" else "red"),
            walk,
        )
    console.print(acks)

    due = report["postmortems_due"]
    console.print(Text(f"postmortems due: {len(due)}", style="bold"))
    for item in due:
        for reason in item["reasons"]:
            console.print(Text(f"  #{item['incident']} {item['scenario']}: {reason['trigger']}: {reason['why']}"))
    handoff = report["handoff"]
    score = "-" if handoff["score"] is None else f"{handoff['score']}/100"
    console.print(Text(f"handoff: {'written' if handoff['written'] else 'not written'}, score {score}", style="bold"))
    for line in handoff["missing"] + handoff["stale"]:
        console.print(Text(f"  - {line}", style="yellow"))
    open_ = shift.open_incidents()
    if open_:
        console.print(Text("still open: " + ", ".join(f"#{r.number} {r.scenario.id}" for r in open_), style="yellow"))
