"""The debrief: how the attempt went (from the Report only), what happened, and the hidden truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Digits, Footer, Label, Static

from scenarios.durations import format_clock, format_duration
from simulator.incident import Report
from simulator.reports import postmortem_for_journal
from simulator.session import JournalError
from simulator.views import TimelineEvent
from tui.port import Debrief

OUTCOME_TEXT = {
    "resolved": "Resolved: the fix held and you declared it",
    "mitigated": "Mitigated: the bleeding stopped, but the root cause was never removed",
    "unresolved": "Unresolved: users were still hurting when the session ended",
}
GRADE_CLASS = {"A": "good", "B": "good", "C": "fair", "D": "bad", "F": "bad"}
MEASURES = (
    ("TTD", "ttd_s", "impact→page"),
    ("TTA", "tta_s", "page→ack"),
    ("TTM", "ttm_s", "impact→stable SLI"),
    ("TTR", "ttr_s", "impact→declared fix"),
)


def measures_markup(report: Report) -> str:
    """Each time against par, judged only from the Report."""
    lines = [f"[b]{'':<4} {'yours':>9} {'par':>9}[/]"]
    for name, key, _ in MEASURES:
        value = getattr(report, key)
        par = report.par.get(key)
        if value is None:
            verdict = "[$error]never reached[/]"
        elif par is None:
            verdict = ""
        elif value <= par:
            verdict = "[$success]within par[/]"
        else:
            verdict = f"[$warning]{value / par:.1f}x par[/]"
        lines.append(
            f"[b]{name:<4}[/] {format_duration(value):>9} {format_duration(par) if par else '-':>9}  {verdict}"
        )
    legend = " · ".join(f"{name} {meaning}" for name, _, meaning in MEASURES)
    return "\n".join(lines) + f"\n[$text-muted]{legend}[/]"


def impact_markup(report: Report) -> str:
    """Error budget, failed requests, harm and process."""
    sev = report.severity_declared or "never set"
    sev_ok = report.severity_declared == report.severity_expected
    lines = [
        f"Error budget burned  [b]{report.error_budget_burned_pct:g} %[/]",
        f"Failed requests      [b]{report.failed_requests:,}[/]",
        f"Harmful actions      [b]{report.harmful_actions}[/]",
        f"Severity             [b]{escape(sev)}[/] "
        + ("[$success](right)[/]" if sev_ok else f"[$warning](expected {escape(report.severity_expected)})[/]"),
        f"Status updates       {report.status_updates}    Hypotheses  {report.hypotheses}",
        f"Escalations          {report.escalations}    Premature resolves  {report.premature_resolves}",
    ]
    return "\n".join(lines)


def harm_markup(report: Report) -> str:
    """Every penalty applied to the grade (harmful actions come with the reason they were harmful)."""
    lines = [f"[$error]-1 grade[/] {escape(penalty)}" for penalty in report.penalties]
    return "\n".join(lines) or "[$success]No penalties: no harmful actions, acknowledged in time.[/]"


def timeline_table(events: list[TimelineEvent]) -> Table:
    """What the trainee did beside what happened in the system, one event a row."""
    table = Table(expand=True, box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("time", no_wrap=True, style="dim", width=8)
    table.add_column("you did", ratio=1)
    table.add_column("the system", ratio=1)
    for e in events:
        cell = Text(e.text)
        if e.source == "system":
            table.add_row(format_clock(e.t), "", Text.assemble(("• ", "dim"), cell))
        else:
            table.add_row(format_clock(e.t), Text.assemble(("▶ ", "bold"), (f"{e.kind} ", "bold"), cell), "")
    return table


def investigation_markup(d: Debrief) -> str:
    """What the trainee looked at and when, beside the evidence the scenario names (found or not)."""
    lines = ["[b]What you looked at[/]"]
    for step in d.investigation:
        found = " ".join(f"[$success]E{i + 1}[/]" for i in step.evidence)
        lines.append(f"[$text-muted]{format_clock(step.t)}[/] {escape(step.detail)} {found}".rstrip())
    if not d.investigation:
        lines.append("[$text-muted]No looks recorded.[/]")
    lines += ["", "[b]Evidence a good responder gathers[/]"]
    for i, f in enumerate(d.evidence, 1):
        where = f" ({escape(f.service)})" if f.service else ""
        if f.found_at is None:
            mark = "[$error]✗ not found[/]"
        else:
            mark = f"[$success]✓ {format_clock(f.found_at)}[/]"
        lines.append(f"E{i} {mark} [b]{escape(f.kind)}[/]{where}: {escape(f.description)}")
    if not d.evidence:
        lines.append("[$text-muted]This scenario names no evidence.[/]")
    return "\n".join(lines)


def questions_markup(d: Debrief) -> str:
    """Stakeholder questions, and whether and when the trainee answered (a status update or note after)."""
    lines = []
    for q in d.questions:
        if q.answered_at is None:
            verdict = "[$error]never answered[/]"
        else:
            verdict = f"[$success]answered at {format_clock(q.answered_at)}[/] {escape(q.answer)}"
        lines.append(f"[$text-muted]{format_clock(q.t)}[/] [b]{escape(q.sender)}[/]: {escape(q.text)}")
        lines.append(f"    {verdict}")
        if q.expects:
            lines.append(f"    [$text-muted]a good answer covers: {escape(q.expects)}[/]")
    return "\n".join(lines) or "[$text-muted]No stakeholder asked a question in this session.[/]"


def roles_markup(d: Debrief) -> str:
    """A game day's roles: the IMOC's communication and escalation, the TLOC's diagnosis and mitigation,
    and the observers' root-cause guesses. Empty for a single trainee."""
    roles, lines = d.report.roles, []
    if imoc := roles.get("imoc"):
        silence = imoc.get("longest_silence_s")
        severity = "set" if imoc["severity_set"] else "[$error]never set[/]"
        lines += [
            f"[b]IMOC[/] {escape(', '.join(imoc.get('seats', [])))}",
            f"  status updates {imoc['status_updates']} · longest silence since impact "
            f"{format_duration(silence) if silence is not None else '-'}",
            f"  escalations {imoc['escalations']} · severity {severity}"
            f" · roles assigned {imoc['roles_assigned']} · resolved {'yes' if imoc['resolved'] else 'no'}",
        ]
        if imoc["hands_on"]:
            lines.append(f"  [$warning]hands-on (the coordinator debugged):[/] {escape(', '.join(imoc['hands_on']))}")
    if tloc := roles.get("tloc"):
        first = tloc.get("first_mitigation_after_impact_s")
        lines += [
            f"[b]TLOC[/] {escape(', '.join(tloc.get('seats', [])))}",
            f"  hypotheses {tloc['hypotheses']} · notes {tloc['notes']} · first mitigation "
            f"{format_duration(first) + ' after impact' if first is not None else '[$error]none[/]'}",
            f"  mitigations: {escape(', '.join(tloc['mitigations'])) or '-'}",
        ]
    guesses = d.truth.get("root_cause_guesses") or []
    if guesses:
        lines.append("[b]Observers' root-cause guesses[/]")
        lines += [
            f"  [$text-muted]{format_clock(g['t'])}[/] [b]{escape(g['seat'])}[/]: {escape(g['text'])}" for g in guesses
        ]
    return "\n".join(lines)


def postmortem_path(journal_path: str) -> Path:
    """Where the ``p`` key writes the postmortem draft: next to the journal."""
    journal = Path(journal_path)
    return journal.with_name(journal.stem + ".postmortem.md")


def truth_markup(d: Debrief) -> str:
    """Root cause, five whys, red herrings: the hidden truth."""
    rc = d.root_cause
    lines = [
        f"[b]Root cause[/] [$error]{escape(str(rc.get('category', '')))}[/] "
        f"in [b]{escape(str(rc.get('service', '')))}[/]",
        escape(" ".join(str(rc.get("summary", "")).split())),
    ]
    for fault in d.faults:
        extra = ", ".join(f"{k}={v}" for k, v in fault.items() if k not in ("type", "service"))
        lines.append(
            f"[$text-muted]fault: {escape(str(fault.get('type')))} on {escape(str(fault.get('service')))} "
            f"({escape(extra)})[/]"
        )
    if rc.get("five_whys"):
        lines += ["", "[b]Five whys[/]"] + [f"{i}. {escape(w)}" for i, w in enumerate(rc["five_whys"], 1)]
    if rc.get("red_herrings"):
        lines += ["", "[b]Red herrings[/]"] + [f"• {escape(h)}" for h in rc["red_herrings"]]
    return "\n".join(lines)


def solution_markup(d: Debrief) -> str:
    """The reference solution and the traps."""
    lines = ["[b]The reference solution[/]"]
    for step in d.solution:
        params = ", ".join(f"{k}: {v}" for k, v in step.items() if k not in ("at", "action"))
        lines.append(f"{escape(str(step.get('at', ''))):>6}  [b]{escape(str(step['action']))}[/] {escape(params)}")
    if d.traps:
        lines += ["", "[b]Traps[/]"]
        for trap in d.traps:
            match = ", ".join(f"{k}={v}" for k, v in trap["match"].items())
            lines.append(f"[$error]✗[/] {escape(match)}: {escape(trap['why'])}")
    return "\n".join(lines)


def lessons_markup(postmortem: dict[str, Any]) -> str:
    """What went well, lessons and action items."""
    lines = []
    if postmortem.get("went_well"):
        lines += (
            ["[b]What usually goes well[/]"] + [f"[$success]✓[/] {escape(x)}" for x in postmortem["went_well"]] + [""]
        )
    if postmortem.get("lessons"):
        lines += ["[b]Lessons[/]"] + [f"• {escape(x)}" for x in postmortem["lessons"]] + [""]
    if postmortem.get("action_items"):
        lines.append("[b]Action items[/]")
        for item in postmortem["action_items"]:
            lines.append(
                f"[$warning]{escape(str(item.get('priority', '')))}[/] {escape(str(item.get('action', '')))} "
                f"[$text-muted]{escape(str(item.get('owner', '')))}[/]"
            )
    return "\n".join(lines).strip() or "No postmortem notes in this scenario."


class DebriefScreen(Screen):
    """The end of a session: scores against par, the timeline, the hidden truth."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding("q", "app.quit", "Quit to the shell", id="debrief.quit"),
        Binding("h", "app.go_home", "Home (spin again)", id="debrief.home"),
        Binding("p", "write_postmortem", "Write postmortem draft", id="debrief.postmortem"),
    ]

    def __init__(self, debrief: Debrief) -> None:
        super().__init__()
        self.debrief = debrief
        self.report = debrief.report
        self.title = f"Debrief: {debrief.report.scenario}"

    def compose(self) -> ComposeResult:
        r = self.report
        d = self.debrief
        with VerticalScroll(id="debrief"):
            with Horizontal(id="debrief-top"):
                with Vertical(id="grade-box", classes=f"card {GRADE_CLASS.get(r.grade, 'bad')}"):
                    yield Label("grade", classes="card-title")
                    yield Digits(r.grade, id="grade")
                with Vertical(id="verdict", classes="card"):
                    yield Label(
                        f"[b]{escape(OUTCOME_TEXT.get(r.outcome, r.outcome))}[/]",
                        id="outcome",
                        classes=r.outcome,
                    )
                    yield Label(
                        f"[$text-muted]{escape(r.scenario)} · seed {r.seed} · ended at {format_clock(r.ended_at_s)}"
                        f" · impact from {format_clock(r.impact_start_s) if r.impact_start_s is not None else '-'}[/]"
                    )
                    yield Static(measures_markup(r), id="measures")
            with Horizontal(classes="row"):
                with Vertical(classes="card"):
                    yield Label("Impact and process", classes="card-title")
                    yield Static(impact_markup(r), id="impact")
                with Vertical(classes="card"):
                    yield Label("Penalties", classes="card-title")
                    yield Static(harm_markup(r), id="penalties")
            with Vertical(classes="card"):
                yield Label("Timeline: what you did, what the system did", classes="card-title")
                yield Static(timeline_table(d.timeline), id="timeline")
            with Horizontal(classes="row"):
                with Vertical(classes="card"):
                    yield Label("Investigation path", classes="card-title")
                    yield Static(investigation_markup(d), id="investigation")
                with Vertical(classes="card"):
                    yield Label("Stakeholder questions", classes="card-title")
                    yield Static(questions_markup(d), id="questions")
            if roles := roles_markup(d):
                with Vertical(classes="card", id="roles-card"):
                    yield Label("Roles", classes="card-title")
                    yield Static(roles, id="roles")
            with Vertical(classes="card truth"):
                yield Label("The hidden truth", classes="card-title")
                yield Static(truth_markup(d), id="truth")
            with Horizontal(classes="row"):
                with Vertical(classes="card"):
                    yield Static(solution_markup(d), id="solution")
                with Vertical(classes="card"):
                    yield Static(lessons_markup(d.postmortem), id="lessons")
            if d.journal_path:
                yield Label(
                    f"[$text-muted]Journal: {escape(d.journal_path)}  ·  [b]p[/] writes the postmortem draft[/]",
                    id="journal",
                )
                yield Label("", id="postmortem-path")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#debrief", VerticalScroll).focus()

    def action_write_postmortem(self) -> Path | None:
        """Replay the journal and write the postmortem draft next to it; show where."""
        if not self.debrief.journal_path:
            self.notify("This session has no journal, so there is no postmortem to write.", severity="warning")
            return None
        target = postmortem_path(self.debrief.journal_path)
        try:
            target.write_text(postmortem_for_journal(self.debrief.journal_path), encoding="utf-8")
        except (JournalError, OSError) as err:
            self.notify(str(err), title="Postmortem not written", severity="error", timeout=15)
            return None
        self.query_one("#postmortem-path", Label).update(f"Postmortem draft: [b]{escape(str(target))}[/]")
        self.notify(str(target), title="Postmortem draft written", timeout=10)
        return target
