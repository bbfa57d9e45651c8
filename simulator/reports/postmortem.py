"""The postmortem draft of a session, in Markdown, in the blameless template on-call teams use.

A pure function of the journal and the simulation replayed from it (``postmortem_for_journal``): no
wall clock, no randomness, everything sorted, so the same journal always gives byte-identical output.
It is clearly marked as a training drill.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scenarios.durations import format_duration
from scenarios.text import format_percent
from simulator.incident.scoring import Report, impact_avoided_text
from simulator.reports.facts import investigation, mitigation_effects, questions
from simulator.reports.review import SEVERITY_MEANING, at, measured_severity, review
from simulator.session.journal import (
    END_GAVE_UP,
    END_INTERRUPTED,
    END_RESOLVED,
    END_TIME_UP,
    END_UNTIL,
    JournalData,
)
from simulator.session.journal_session import JournalSession
from simulator.session.simulation import Simulation

DEADLINE_DAYS = {"P0": 7, "P1": 14, "P2": 30, "P3": 90}
"""Days from the drill to an action item's deadline, by priority."""
TRAINEE_ITEM = re.compile(r"^\s*(action item|action|todo|follow[- ]up)\s*:\s*(.+)$", re.IGNORECASE)
"""A trainee's note that adds an action item, e.g. ``action item: alert on pool saturation``."""
END_TEXT = {
    END_RESOLVED: "the incident was declared resolved",
    END_TIME_UP: "the exercise ran out of time",
    END_GAVE_UP: "the trainee ended the session early",
    END_UNTIL: "the headless run stopped",
    END_INTERRUPTED: "the journal stops here (interrupted session)",
}
TIMELINE_KINDS = {"alert", "page", "operation", "reopened", "message", "hint", "system"}
"""System events that matter in a postmortem timeline (every responder action is kept)."""
SYSTEM_WHO = {"alert": "alerting", "page": "pager", "hint": "hint", "message": "message"}
"""The "who" column of system events (the rest are the system's own)."""


def postmortem_for_journal(path: str | Path) -> str:
    """Replay the journal at ``path`` and render its postmortem (raises JournalError for a bad journal)."""
    return postmortem_of(JournalSession.open(path))


def postmortem_of(session: JournalSession) -> str:
    """Replay an opened journal and render its postmortem."""
    sim, report = session.replay()
    return render_postmortem(session.data, sim, report)


def render_postmortem(data: JournalData, sim: Simulation, report: Report) -> str:
    """The Markdown postmortem of a finished session."""
    drill_date = _drill_date(data.header)
    steps, findings = investigation(sim, data.looks)
    answers = questions(sim)
    verdict = review(sim, report, answers, findings)
    sections = [
        _header(sim, report, drill_date),
        _summary(sim, report),
        _impact(sim, report),
        _timeline(sim, report),
        _root_cause(sim),
        _bullets("What went well", verdict.went_well, "Nothing the score singles out."),
        _bullets("What went wrong", verdict.went_wrong, "Nothing the score singles out."),
        _questions(answers),
        _action_items(sim, drill_date),
        _bullets("Lessons learned", list(sim.scenario.postmortem.lessons), "None recorded in the scenario."),
        _investigation(steps, findings),
        _footer(data, report),
    ]
    return "\n\n".join(s.rstrip() for s in sections if s) + "\n"


def _drill_date(header: dict[str, Any]) -> date | None:
    started = header.get("started_wall")
    if not isinstance(started, str):
        return None
    try:
        return date.fromisoformat(started[:10])
    except ValueError:
        return None


def _cell(text: Any) -> str:
    """Text safe in a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _duration(sim: Simulation, report: Report) -> str:
    end = report.ended_at_s
    if report.impact_start_s is None:
        return f"{format_duration(end)} of session, no user impact"
    stop = sim.incident.resolved_at if sim.incident.resolved_at is not None else end
    what = "resolution" if sim.incident.resolved_at is not None else "end of session"
    return f"{format_duration(stop - report.impact_start_s)} (impact {at(report.impact_start_s)} to {what} {at(stop)})"


def _severity_cell(report: Report) -> str:
    """Declared, expected and (where it differs from the expectation) what the simulation measured."""
    declared = f"declared {report.severity_declared}" if report.severity_declared else "never declared"
    cell = f"{declared}, expected {report.severity_expected}"
    measured = measured_severity(report)
    if measured is not None and measured != report.severity_expected:
        cell += f", measured {measured} ({SEVERITY_MEANING.get(measured, measured)})"
    return cell


def _header(sim: Simulation, report: Report, drill_date: date | None) -> str:
    sc = sim.scenario
    variant = ", ".join(f"{k}={v}" for k, v in sorted(sc.chosen.items()))
    rows = [
        ("Date", drill_date.isoformat() if drill_date else "undated"),
        ("Scenario", f"`{sc.id}`, seed {report.seed}" + (f", variant {variant}" if variant else "")),
        ("Severity", _severity_cell(report)),
        ("Duration", _duration(sim, report)),
        ("Outcome", f"{report.outcome}, grade {report.grade}"),
        ("Status", "draft for the review meeting"),
    ]
    table = "\n".join(f"| {k} | {_cell(v)} |" for k, v in rows)
    return (
        f"# Postmortem (training drill): {sc.title}\n\n"
        "> **TRAINING DRILL.** A Wheel-of-Misfortune exercise on a simulated system: no real users were "
        "affected. Every figure below comes from the session's journal and the simulation replayed from it. "
        "This review is blameless: it is about the system and the process, not the person.\n\n"
        f"| | |\n|---|---|\n{table}"
    )


def _summary(sim: Simulation, report: Report) -> str:
    sc = sim.scenario
    rc = sc.root_cause
    slo = sc.slo.service
    if report.impact_start_s is None:
        first = f"In this drill of `{sc.id}`, the {slo} SLI never broke its objective."
    else:
        first = (
            f"From {at(report.impact_start_s)}, requests to {slo} failed or slowed beyond the SLO: "
            f"{report.failed_requests:,} failed requests, "
            f"{format_percent(report.error_budget_burned_pct)} % of the error budget."
        )
    pages = sim.pages()
    effects = mitigation_effects(sim)
    if pages:
        second = f"The on-call was paged at {at(pages[0].t)}"
        first_page = pages[0]
        if first_page.acked_at is None:
            second += ", never acknowledged"
        elif first_page.escalated_at is not None and first_page.acked_at >= first_page.escalated_at:
            second += (
                f" and acknowledged at {at(first_page.acked_at)}, only after it escalated at "
                f"{at(first_page.escalated_at)}"
            )
        else:
            second += f" and acknowledged at {at(first_page.acked_at)}"
    else:
        second = "No page was sent"
    if effects:
        second += f"; the first mitigation was `{effects[0].action}` at {at(effects[0].t)}"
    if report.ttm_s is not None and report.impact_start_s is not None:
        healthy = format_duration(sc.resolution.healthy_for)
        second += (
            f", and the SLI first held its objective for {healthy} from {at(report.impact_start_s + report.ttm_s)}"
        )
    second += "."
    reason = END_TEXT.get(sim.end_reason or "", sim.end_reason or "the session ended")
    third = (
        f"The root cause was {rc.category.replace('_', ' ')} in {rc.service}; the session ended at "
        f"{at(report.ended_at_s)} because {reason} (outcome {report.outcome}, grade {report.grade})."
    )
    return f"## Summary\n\n{first} {second} {third}"


def _impact(sim: Simulation, report: Report) -> str:
    slo = sim.scenario.slo
    days = slo.window / 86400.0
    window = f"{days:g}-day" if days == int(days) else format_duration(slo.window)
    objective = f"{slo.availability:g} % of {slo.service} requests succeed over a {window} window"
    if slo.latency_p99_ms is not None:
        objective += f", p99 latency under {slo.latency_p99_ms:g} ms"
    lines = [
        "## Impact",
        "",
        f"- Failed user requests: {report.failed_requests:,}",
        f"- Impact avoided: {impact_avoided_text(report)}",
        f"- Error budget burned: {format_percent(report.error_budget_burned_pct)} % of the {window} budget",
        f"- SLO: {objective}",
        f"- Impact started: {at(report.impact_start_s)}",
        *_data_lost(sim),
        "",
        "| Measure | This drill | Par |",
        "|---|---|---|",
    ]
    for label, key in (("TTD (impact to page)", "ttd_s"), ("TTA (page to ack)", "tta_s")):
        lines.append(f"| {label} | {_span(getattr(report, key))} | {_span(report.par.get(key), '-')} |")
    for label, key in (("TTM (impact to stable SLI)", "ttm_s"), ("TTR (impact to declared fix)", "ttr_s")):
        lines.append(f"| {label} | {_span(getattr(report, key))} | {_span(report.par.get(key), '-')} |")
    return "\n".join(lines)


def _data_lost(sim: Simulation) -> list[str]:
    """The data-loss line, for a scenario whose databases keep data (simulator/world/data.py)."""
    if sim.data is None:
        return []
    world = sim.world
    if world.data_lost_records < 0.5:
        return ["- Data lost: none (every write reached a copy that survived)"]
    return [
        f"- Data lost: {world.data_lost_records:,.0f} writes; recovery point {format_duration(world.data_lost_s)} "
        "(the widest window of writes no surviving copy holds)"
    ]


def _span(value: float | None, never: str = "never") -> str:
    return never if value is None else format_duration(value)


def _timeline(sim: Simulation, report: Report) -> str:
    rows: list[tuple[float, int, str, str]] = []
    repeats: dict[str, list[float]] = {}
    examples: dict[str, str] = {}
    """The first text of each repeated kind: the key drops the numbers, which is not for reading."""
    for i, e in enumerate(sim.timeline()):
        if e.source == "system":
            if e.kind not in TIMELINE_KINDS:
                continue
            if e.kind == "system":
                # Instance events (an OOM kill per pod) repeat: show the first, count the rest.
                key = " ".join(w for w in e.text.split() if not any(ch.isdigit() for ch in w))
                examples.setdefault(key, e.text)
                repeats.setdefault(key, []).append(e.t)
                if len(repeats[key]) > 1:
                    continue
            rows.append((e.t, i, SYSTEM_WHO.get(e.kind, "system"), e.text))
        else:
            rows.append((e.t, i, e.source, f"`{e.kind}` {e.text}"))
    n = len(rows) + 10_000
    if report.impact_start_s is not None:
        rows.append(
            (
                report.impact_start_s,
                n,
                "system",
                f"user impact starts: the {sim.scenario.slo.service} SLI breaks its objective",
            )
        )
    for effect in mitigation_effects(sim):
        if effect.took_effect_at is not None:
            rows.append(
                (
                    effect.took_effect_at,
                    n + 1,
                    "system",
                    f"`{effect.action}` from {at(effect.t)} took effect: {effect.effect}",
                )
            )
    if report.ttm_s is not None and report.impact_start_s is not None:
        rows.append(
            (
                report.impact_start_s + report.ttm_s,
                n + 2,
                "system",
                f"mitigated (TTM {format_duration(report.ttm_s)}): the SLI holds its objective for "
                f"{format_duration(sim.scenario.resolution.healthy_for)} from here",
            )
        )
    if sim.incident.resolved_at is not None:
        ttr = f" (TTR {format_duration(report.ttr_s)})" if report.ttr_s is not None else ""
        rows.append((sim.incident.resolved_at, n + 3, "system", f"resolved{ttr}"))
    rows.append(
        (report.ended_at_s, n + 4, "system", f"session ended: {END_TEXT.get(sim.end_reason or '', sim.end_reason)}")
    )
    lines = [
        "## Timeline",
        "",
        "Simulated time since the start of the drill.",
        "",
        "| Time | Who | Event |",
        "|---|---|---|",
    ]
    for t, _, who, text in sorted(rows):
        lines.append(f"| {at(t)} | {_cell(who)} | {_cell(text)} |")
    for key, times in sorted(repeats.items()):
        if len(times) > 1:
            lines.append(
                f'\nRepeated: events like "{examples[key]}" happened {len(times)} times, the last at {at(times[-1])}.'
            )
    return "\n".join(lines)


def _root_cause(sim: Simulation) -> str:
    rc = sim.scenario.root_cause
    hyps = sim.incident_view().hypotheses
    lines = [
        "## Root cause analysis",
        "",
        f"**{rc.category.replace('_', ' ')}** in **{rc.service}**. {' '.join(rc.summary.split())}".rstrip(),
        "",
        "Five whys (the scenario's chain) beside the hypotheses written during the drill:",
        "",
        "| # | Why | Hypothesis during the drill |",
        "|---|---|---|",
    ]
    for i in range(max(len(rc.five_whys), len(hyps))):
        why = rc.five_whys[i] if i < len(rc.five_whys) else ""
        hyp = ""
        if i < len(hyps):
            h = hyps[i]
            decided = f", {h.status} at {at(h.decided_at)}" if h.decided_at is not None else f", {h.status}"
            hyp = f"#{h.id} at {at(h.t)}: {h.text} ({decided[2:]})"
        lines.append(f"| {i + 1} | {_cell(why)} | {_cell(hyp)} |")
    if rc.red_herrings:
        lines += ["", "Red herrings:", ""] + [f"- {' '.join(h.split())}" for h in rc.red_herrings]
    return "\n".join(lines)


def _bullets(title: str, items: list[str], empty: str) -> str:
    body = "\n".join(f"- {' '.join(x.split())}" for x in items) if items else f"_{empty}_"
    return f"## {title}\n\n{body}"


def _questions(answers: list) -> str:
    if not answers:
        return ""
    lines = ["## Stakeholder questions", "", "| Asked | From | Question | Answered |", "|---|---|---|---|"]
    for q in answers:
        answered = f"{at(q.answered_at)}: {q.answer}" if q.answered_at is not None else "**not answered**"
        lines.append(f"| {at(q.t)} | {_cell(q.sender)} ({q.channel}) | {_cell(q.text)} | {_cell(answered)} |")
    return "\n".join(lines)


def _deadline(priority: str, drill_date: date | None) -> str:
    days = DEADLINE_DAYS.get(priority, 30)
    if drill_date is None:
        return f"{days} days after the review"
    return (drill_date + timedelta(days=days)).isoformat()


def _action_items(sim: Simulation, drill_date: date | None) -> str:
    sc = sim.scenario
    items = [(i.action, i.owner, i.priority, "scenario") for i in sc.postmortem.action_items]
    owners = {s.name: s.owner for s in sc.topology.services}
    for runbook in sorted((r for r in sc.runbooks if r.stale), key=lambda r: r.service):
        if any("runbook" in a.lower() and runbook.service in a for a, *_ in items):
            continue  # the scenario's own items already ask for it
        owner = owners.get(runbook.service) or "@owner"
        items.append(
            (
                f"Update the stale {runbook.service} runbook ({runbook.title}): it misled responders",
                owner,
                "P2",
                "stale runbook",
            )
        )
    for t, seat, text in sim.incident_view().notes:
        match = TRAINEE_ITEM.match(text)
        if match:
            items.append((match.group(2), f"@{seat}", "P2", f"note at {at(t)}"))
    lines = [
        "## Action items",
        "",
        "| Action | Owner | Priority | Deadline | Status | Source |",
        "|---|---|---|---|---|---|",
    ]
    for action, owner, priority, source in items:
        lines.append(
            f"| {_cell(action)} | {_cell(owner)} | {priority} | {_deadline(priority, drill_date)} | open "
            f"| {_cell(source)} |"
        )
    if not items:
        lines.append("| _none in the scenario_ | | | | | |")
    return "\n".join(lines)


def _investigation(steps: list, findings: list) -> str:
    lines = ["## Investigation path", ""]
    if steps:
        lines += ["| Time | Looked at | Evidence found |", "|---|---|---|"]
        for s in steps:
            found = ", ".join(f"E{i + 1}" for i in s.evidence)
            lines.append(f"| {at(s.t)} | {_cell(s.detail)} | {found} |")
    else:
        lines.append("_No looks were recorded (a headless run, or nothing was opened)._")
    lines.append("")
    if findings:
        lines += ["Evidence a good responder gathers:", "", "| # | Kind | Evidence | Found |", "|---|---|---|---|"]
        for i, f in enumerate(findings, 1):
            where = f" ({f.service})" if f.service else ""
            found = f"yes, {at(f.found_at)}: {f.found_by}" if f.found_at is not None else "**no**"
            lines.append(f"| E{i} | {f.kind} | {_cell(f.description + where)} | {_cell(found)} |")
    else:
        lines.append("_The scenario names no evidence to compare with._")
    return "\n".join(lines)


def _footer(data: JournalData, report: Report) -> str:
    penalties = "; ".join(report.penalties) or "none"
    return (
        "---\n\n"
        f"_Drill record: scenario `{report.scenario}`, seed {report.seed}, {len(data.actions)} journalled "
        f"action(s), {len([look for look in data.looks if look.get('what') != 'checkpoint'])} look(s); "
        f"grade {report.grade}; penalties: {penalties}. "
        f"Generated by misfortune {data.header.get('tool_version', '?')}._"
    )
