"""The debrief: how the attempt went (from the Report only), what happened, and the hidden truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Digits, Footer, Label, Static

from scenarios.durations import format_clock, format_duration
from scenarios.text import clean, format_percent
from simulator.incident import ACK_WORDING, Report, impact_avoided_text
from simulator.reports import (
    action_words,
    fault_words,
    fields_words,
    postmortem_for_journal,
    severity_verdict,
    value_words,
)
from simulator.session import JournalError
from simulator.views import TimelineEvent
from tui.port import Debrief
from tui.postmortem_draft import postmortem_path
from tui.widgets.text import line, plain, stack, styled

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


def measures_markup(report: Report) -> Content:
    """Each time against par, judged only from the Report."""
    lines = [styled((f"{'':<4} {'yours':>9} {'par':>9}", "bold"))]
    for name, key, _ in MEASURES:
        value = getattr(report, key)
        par = report.par.get(key)
        if value is None:
            verdict = ("never reached", "$error")
        elif par is None:
            verdict = ""
        elif value <= par:
            verdict = ("within par", "$success")
        else:
            verdict = (f"{value / par:.1f}x par", "$warning")
        times = f" {format_duration(value):>9} {format_duration(par) if par else '-':>9}  "
        lines.append(styled((f"{name:<4}", "bold"), times, verdict))
    legend = " · ".join(f"{name} {meaning}" for name, _, meaning in MEASURES)
    return stack([*lines, styled((legend, "$text-muted"))])


def impact_markup(report: Report) -> Content:
    """Error budget, failed requests, harm and process."""
    sev = report.severity_declared or "never set"
    judged = severity_verdict(report)
    if judged.right:
        verdict = ("(right)" if judged.plain else f"(right: {judged.note})", "$success")
    else:
        verdict = (f"({judged.note})", "$warning")
    return stack(
        [
            styled("Error budget burned  ", (f"{format_percent(report.error_budget_burned_pct)} %", "bold")),
            styled("Failed requests      ", (f"{report.failed_requests:,}", "bold")),
            styled("Impact avoided       ", (impact_avoided_text(report), "bold")),
            styled("Data lost            ", (f"{report.data_lost:,} writes" if report.data_lost else "none", "bold")),
            styled("Harmful actions      ", (f"{report.harmful_actions}", "bold")),
            styled("Severity             ", (sev, "bold"), " ", verdict),
            styled(f"Status updates       {report.status_updates}    Hypotheses  {report.hypotheses}"),
            styled(f"Escalations          {report.escalations}    Premature resolves  {report.premature_resolves}"),
        ]
    )


def harm_markup(report: Report, acked: str = "") -> Content:
    """Every penalty applied to the grade (harmful actions come with the reason they were harmful), and how
    the page was acknowledged (``acked``: simulator.incident.acknowledgement's outcome; unknown: not said)."""
    lines = [styled(("-1 grade", "$error"), " ", penalty) for penalty in report.penalties]
    clause = ACK_WORDING.get(acked, "")
    late = styled((clause[:1].upper() + clause[1:] + ".", "$warning")) if clause and acked != "in time" else None
    if lines:
        return stack(lines + ([late] if late else []))
    if late is None:
        return stack(
            [styled(("No penalties: no harmful actions" + (f", {clause}" if clause else "") + ".", "$success"))]
        )
    return stack([styled(("No penalties: no harmful actions.", "$success")), late])


def seat_name(source: str) -> str | None:
    """A game-day seat ``tloc:bo`` as ``bo (TLOC)``; None for a single trainee, the system or the facilitator."""
    role, colon, name = source.partition(":")
    return f"{name} ({role.upper()})" if colon and name else None


def outcome_text(d: Debrief) -> str:
    """The verdict line; in a game day it names who declared the fix (never "you" to every seat)."""
    text = OUTCOME_TEXT.get(d.report.outcome, d.report.outcome)
    resolvers = [seat_name(e.source) for e in d.timeline if e.kind == "resolve"]
    if d.report.outcome == "resolved" and resolvers and resolvers[-1]:
        return f"Resolved: the fix held and {resolvers[-1]} declared it"
    return text


ROLE_TITLES = (("imoc", "IC"), ("comms", "comms"), ("tloc", "ops"))
"""An incident's roles as the debrief names them (the pager's columns)."""


def incidents_markup(incidents: list[dict[str, Any]]) -> Content:
    """One line per incident of the session (simulator.incident.incidents): when it opened, its alerts,
    how its pages were acknowledged, where it ended, and its declared severity beside the sim's own."""
    lines = []
    for incident in incidents:
        acked = str(incident.get("acknowledgement", ""))
        clause = str(incident.get("acknowledgement_said") or ACK_WORDING.get(acked, ""))
        alerts = ", ".join(str(a) for a in incident.get("alerts", ()))
        declared, assessed = incident.get("severity_declared"), incident.get("severity_assessed")
        severity = f"severity {declared or 'never declared'}"
        if assessed:
            severity += f", the measured impact says {assessed}"
        status = str(incident.get("status", ""))
        held = incident.get("roles") or {}
        roles = ", ".join(f"{title} {held[role]}" for role, title in ROLE_TITLES if held.get(role))
        lines.append(
            styled(
                (f"#{incident.get('number')} ", "bold"),
                (f"from {format_clock(float(incident.get('opened_at', 0.0)))}: ", "$text-muted"),
                alerts,
                (
                    f". {clause[:1].upper() + clause[1:]}." if clause else ".",
                    "$warning" if clause and acked != "in time" else "",
                ),
                (f" Ended {status}; " if status else " ", "$text-muted"),
                (severity + ".", "$warning" if assessed and declared != assessed else "$text-muted"),
                (f" Roles: {roles}." if roles else "", "$text-muted"),
            )
        )
    return stack(lines)


def timeline_table(events: list[TimelineEvent], flags: list[dict[str, Any]] = ()) -> Table:
    """What the trainee did beside what happened in the system, one event a row; a mentor's flags (reverse
    shadow) in a third column at their moments."""
    table = Table(expand=True, box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("time", no_wrap=True, style="dim", width=8)
    by_seats = any(seat_name(e.source) for e in events)
    table.add_column("the room did" if by_seats else "you did", ratio=1)
    table.add_column("the system", ratio=1)
    if flags:
        table.add_column("mentor", ratio=1)
    pending = sorted(flags, key=lambda f: float(f.get("t", 0.0)))

    def flag_rows(until: float) -> None:
        while pending and float(pending[0].get("t", 0.0)) <= until:
            f = pending.pop(0)
            table.add_row(format_clock(float(f.get("t", 0.0))), "", "", line(("⚑ ", "bold"), plain(f.get("text", ""))))

    for e in events:
        flag_rows(e.t)
        cell = plain(e.text)
        extra = ("",) if flags else ()
        if e.source == "system":
            table.add_row(format_clock(e.t), "", Text.assemble(("• ", "dim"), cell), *extra)
        else:
            who = seat_name(e.source)
            by = (f"{who} ", "italic") if who else ""
            table.add_row(format_clock(e.t), line(("▶ ", "bold"), by, (f"{e.kind} ", "bold"), cell), "", *extra)
    flag_rows(float("inf"))
    return table


def investigation_markup(d: Debrief) -> Content:
    """What the trainee looked at and when, beside the evidence the scenario names (found or not)."""
    lines = [styled(("What you looked at", "bold"))]
    for step in d.investigation:
        found = [part for i in step.evidence for part in (" ", (f"E{i + 1}", "$success"))]
        lines.append(styled((format_clock(step.t), "$text-muted"), " ", step.detail, *found))
    if not d.investigation:
        lines.append(styled(("No looks recorded.", "$text-muted")))
    lines += [styled(), styled(("Evidence a good responder gathers", "bold"))]
    for i, f in enumerate(d.evidence, 1):
        where = f" ({f.service})" if f.service else ""
        if f.found_at is None:
            mark = ("✗ not found", "$error")
        else:
            mark = (f"✓ {format_clock(f.found_at)}", "$success")
        lines.append(styled(f"E{i} ", mark, " ", (f.kind, "bold"), where, ": ", f.description))
    if not d.evidence:
        lines.append(styled(("This scenario names no evidence.", "$text-muted")))
    return stack(lines)


def questions_markup(d: Debrief) -> Content:
    """Stakeholder questions, and whether and when the trainee answered (a status update or note after)."""
    lines = []
    for q in d.questions:
        if q.answered_at is None:
            verdict = styled("    ", ("never answered", "$error"))
        else:
            verdict = styled("    ", (f"answered at {format_clock(q.answered_at)}", "$success"), " ", q.answer)
        lines.append(styled((format_clock(q.t), "$text-muted"), " ", (q.sender, "bold"), ": ", q.text))
        lines.append(verdict)
        if q.expects:
            lines.append(styled("    ", (f"a good answer covers: {q.expects}", "$text-muted")))
    return stack(lines or [styled(("No stakeholder asked a question in this session.", "$text-muted"))])


def roles_markup(d: Debrief) -> Content | None:
    """A game day's roles: the IMOC's communication and escalation, the TLOC's diagnosis and mitigation,
    and the observers' root-cause guesses. None for a single trainee."""
    roles, lines = d.report.roles, []
    if imoc := roles.get("imoc"):
        silence = imoc.get("longest_silence_s")
        severity = "set" if imoc["severity_set"] else ("never set", "$error")
        lines += [
            styled(("IMOC", "bold"), " ", ", ".join(imoc.get("seats", []))),
            styled(
                f"  status updates {imoc['status_updates']} · longest silence since impact "
                f"{format_duration(silence) if silence is not None else '-'}"
            ),
            styled(
                f"  escalations {imoc['escalations']} · severity ",
                severity,
                f" · roles assigned {imoc['roles_assigned']} · resolved {'yes' if imoc['resolved'] else 'no'}",
            ),
        ]
        if imoc["hands_on"]:
            lines.append(
                styled(("  hands-on (the coordinator debugged):", "$warning"), " ", ", ".join(imoc["hands_on"]))
            )
    if tloc := roles.get("tloc"):
        first = tloc.get("first_mitigation_after_impact_s")
        lines += [
            styled(("TLOC", "bold"), " ", ", ".join(tloc.get("seats", []))),
            styled(
                f"  hypotheses {tloc['hypotheses']} · notes {tloc['notes']} · first mitigation ",
                f"{format_duration(first)} after impact" if first is not None else ("none", "$error"),
            ),
            styled("  mitigations: ", ", ".join(tloc["mitigations"]) or "-"),
        ]
    guesses = d.truth.get("root_cause_guesses") or []
    if guesses:
        lines.append(styled(("Observers' root-cause guesses", "bold")))
        lines += [
            styled("  ", (format_clock(g["t"]), "$text-muted"), " ", (g["seat"], "bold"), ": ", g["text"])
            for g in guesses
        ]
    return stack(lines) if lines else None


def truth_markup(d: Debrief) -> Content:
    """Root cause, five whys, red herrings: the hidden truth."""
    rc = d.root_cause
    lines = [
        styled(
            ("Root cause", "bold"),
            " ",
            (str(rc.get("category", "")), "$error"),
            " in ",
            (str(rc.get("service", "")), "bold"),
        ),
        styled(" ".join(str(rc.get("summary", "")).split())),
    ]
    lines += [styled((f"fault: {fault_words(fault)}", "$text-muted")) for fault in d.faults]
    if rc.get("five_whys"):
        lines += [styled(), styled(("Five whys", "bold"))]
        lines += [styled(f"{i}. ", w) for i, w in enumerate(rc["five_whys"], 1)]
    if rc.get("red_herrings"):
        lines += [styled(), styled(("Red herrings", "bold"))] + [styled("• ", h) for h in rc["red_herrings"]]
    return stack(lines)


def solution_markup(d: Debrief) -> Content:
    """The reference solution and the traps."""
    lines = [styled(("The reference solution", "bold"))]
    for step in d.solution:
        params = fields_words(step, skip=("at", "action"), sep=": ")
        lines.append(
            styled(f"{clean(value_words(step.get('at', ''))):>6}  ", (str(step.get("action", "")), "bold"), " ", params)
        )
    if d.traps:
        lines += [styled(), styled(("Traps", "bold"))]
        for trap in d.traps:
            lines.append(
                styled(("✗", "$error"), " ", action_words(trap.get("match", {})), ": ", str(trap.get("why", "")))
            )
    return stack(lines)


def lessons_markup(postmortem: dict[str, Any]) -> Content:
    """What went well, lessons and action items."""
    lines = []
    if postmortem.get("went_well"):
        lines += [styled(("What usually goes well", "bold"))]
        lines += [styled(("✓", "$success"), " ", x) for x in postmortem["went_well"]] + [styled()]
    if postmortem.get("lessons"):
        lines += [styled(("Lessons", "bold"))] + [styled("• ", x) for x in postmortem["lessons"]] + [styled()]
    if postmortem.get("action_items"):
        lines.append(styled(("Action items", "bold")))
        for item in postmortem["action_items"]:
            lines.append(
                styled(
                    (value_words(item.get("priority") or ""), "$warning"),
                    " ",
                    value_words(item.get("action") or ""),
                    " ",
                    (value_words(item.get("owner") or ""), "$text-muted"),
                )
            )
    while lines and not lines[-1].plain:
        lines.pop()
    return stack(lines) if lines else styled("No postmortem notes in this scenario.")


class DebriefScreen(Screen):
    """The end of a session: scores against par, the timeline, the hidden truth."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding("q", "app.quit", "Quit to the shell", id="debrief.quit"),
        Binding("h", "app.go_home", "Home (spin again)", id="debrief.home"),
        Binding("p", "write_postmortem", "Write postmortem draft", id="debrief.postmortem"),
        Binding("e", "edit_postmortem", "Edit the postmortem", id="debrief.edit_postmortem"),
    ]

    def __init__(self, debrief: Debrief) -> None:
        super().__init__()
        self.debrief = debrief
        self.report = debrief.report
        self.title = f"Debrief: {clean(debrief.report.scenario)}"

    def compose(self) -> ComposeResult:
        r = self.report
        d = self.debrief
        with VerticalScroll(id="debrief"):
            with Horizontal(id="debrief-top"):
                with Vertical(id="grade-box", classes=f"card {GRADE_CLASS.get(r.grade, 'bad')}"):
                    yield Label("grade", classes="card-title")
                    yield Digits(r.grade, id="grade")
                with Vertical(id="verdict", classes="card"):
                    yield Label(styled((outcome_text(d), "bold")), id="outcome", classes=r.outcome)
                    impact = format_clock(r.impact_start_s) if r.impact_start_s is not None else "-"
                    yield Label(
                        styled(
                            (
                                f"{r.scenario} · seed {r.seed} · ended at {format_clock(r.ended_at_s)}"
                                f" · impact from {impact}",
                                "$text-muted",
                            ),
                        )
                    )
                    yield Static(measures_markup(r), id="measures")
            with Horizontal(classes="row"):
                with Vertical(classes="card"):
                    yield Label("Impact and process", classes="card-title")
                    yield Static(impact_markup(r), id="impact")
                with Vertical(classes="card"):
                    yield Label("Penalties", classes="card-title")
                    yield Static(harm_markup(r, str(d.truth.get("acknowledgement", ""))), id="penalties")
            incidents = d.truth.get("incidents") or []
            if incidents:
                with Vertical(classes="card"):
                    title = f"{len(incidents)} incidents in this session" if len(incidents) > 1 else "The incident"
                    yield Label(title, classes="card-title")
                    yield Static(incidents_markup(incidents), id="incidents")
            with Vertical(classes="card"):
                yield Label("Timeline: what you did, what the system did", classes="card-title")
                yield Static(timeline_table(d.timeline, d.mentor_flags), id="timeline")
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
                    styled(
                        (f"Journal: {d.journal_path}  ·  ", "$text-muted"),
                        ("p", "bold $text-muted"),
                        (" writes the postmortem draft", "$text-muted"),
                    ),
                    id="journal",
                )
                yield Label("", id="postmortem-path")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#debrief", VerticalScroll).focus()

    def action_edit_postmortem(self) -> None:
        """Open the draft in the editor: the one saved before, else the engine's (written now)."""
        if not self.debrief.journal_path:
            self.notify("This session has no journal, so there is no postmortem to edit.", severity="warning")
            return
        target = postmortem_path(self.debrief.journal_path)
        if not target.is_file() and self.action_write_postmortem() is None:
            return
        from tui.screens.postmortem_editor import PostmortemEditor

        self.app.push_screen(PostmortemEditor(target))

    def action_write_postmortem(self) -> Path | None:
        """Replay the journal and write the postmortem draft next to it; show where."""
        if not self.debrief.journal_path:
            self.notify("This session has no journal, so there is no postmortem to write.", severity="warning")
            return None
        target = postmortem_path(self.debrief.journal_path)
        try:
            target.write_text(postmortem_for_journal(self.debrief.journal_path), encoding="utf-8")
        except (JournalError, OSError) as err:
            self.notify(clean(err), title="Postmortem not written", severity="error", timeout=15, markup=False)
            return None
        self.query_one("#postmortem-path", Label).update(styled("Postmortem draft: ", (str(target), "bold")))
        self.notify(clean(target), title="Postmortem draft written", timeout=10, markup=False)
        return target
