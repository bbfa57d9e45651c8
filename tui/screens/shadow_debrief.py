"""The shadow debrief: the expert's moves with their reasons beside the trainee's predictions, the moments
the trainee would have gone wrong, and the questions kept for the mentor."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from scenarios.durations import format_clock, format_duration
from simulator.session import ShadowSummary, describe
from tui.port import Debrief

VERDICT_MARK = {"match": ("✓ same", "green"), "trap": ("✗ trap", "red"), "other": ("· different", "yellow")}


def _plain(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in str(text))


def timeline_table(summary: ShadowSummary) -> Table:
    """One row per expert move: when, what, why, the trainee's prediction and the verdict."""
    table = Table(expand=True, show_lines=False, pad_edge=False)
    table.add_column("time", no_wrap=True)
    table.add_column("expert", ratio=2)
    table.add_column("why", ratio=4)
    table.add_column("you", ratio=2)
    table.add_column("", no_wrap=True)
    predictions = {p.move_index: p for p in summary.predictions}
    for move in summary.moves:
        if not move.asked:
            continue
        prediction = predictions.get(move.index)
        mark, style = VERDICT_MARK[prediction.verdict] if prediction else ("", "")
        table.add_row(
            format_clock(move.t),
            Text(_plain(describe(move.body))),
            Text(_plain(move.why or "") if prediction else ""),  # a move never played keeps its reason
            Text(_plain(prediction.picked) if prediction else "(not reached)", style="dim" if not prediction else ""),
            Text(mark, style=style),
        )
    return table


def summary_text(summary: ShadowSummary, debrief: Debrief) -> Text:
    """The head: the expert's run against par, then the predictions in one line."""
    report = debrief.report
    text = Text()
    text.append(f"Shadow debrief: {summary.scenario} (seed {summary.seed})\n", style="bold")
    source = "the reference solution" if summary.source == "solution" else f"the journal {summary.source}"
    text.append(f"You watched {_plain(source)}: ")
    text.append(f"{report.outcome}, grade {report.grade}, TTR {format_duration(report.ttr_s)} ")
    text.append(f"(par {format_duration(report.par.get('ttr_s'))}).\n")
    asked = len(summary.predictions)
    total = sum(m.asked for m in summary.moves)
    text.append(f"You predicted {summary.matched} of {asked} moves", style="bold")
    text.append(f" ({total} in the run); not scored as an attempt: it counts as exposure in your readiness.\n")
    return text


def wrong_turns_text(summary: ShadowSummary) -> Text:
    """Where the trainee would have gone wrong (traps chosen), and the questions for the mentor."""
    text = Text()
    text.append("Where you would have gone wrong\n", style="bold")
    if not summary.traps:
        text.append("  No trap chosen.\n", style="dim")
    for p in summary.traps:
        text.append(f"  {format_clock(p.t)}  you: {_plain(p.picked)}  expert: {_plain(p.expert)}\n")
        text.append(f"    {_plain(p.trap or '')}\n", style="red")
    text.append("\nQuestions for your mentor\n", style="bold")
    if not summary.questions:
        text.append("  None marked (k during the playback).\n", style="dim")
    for q in summary.questions:
        text.append(f"  {format_clock(q.t)}  {_plain(q.text)}\n")
    return text


class ShadowDebriefScreen(Screen):
    """After a shadow run: predictions beside the expert's reasons."""

    DEFAULT_CSS = """
    ShadowDebriefScreen VerticalScroll { padding: 0 1; }
    ShadowDebriefScreen Static { margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("q", "app.quit", "Quit to the shell", id="shadow_debrief.quit"),
        Binding("h", "app.go_home", "Home (spin again)", id="shadow_debrief.home"),
    ]

    def __init__(self, summary: ShadowSummary, debrief: Debrief) -> None:
        super().__init__()
        self.summary = summary
        self.debrief = debrief

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(summary_text(self.summary, self.debrief), id="shadow-summary")
            yield Static(timeline_table(self.summary), id="shadow-timeline")
            yield Static(wrong_turns_text(self.summary), id="shadow-wrong")
            yield Static(Text("h home · q quit", style="dim"))
