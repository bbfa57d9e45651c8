"""The room's debrief: who did what, whether each role kept to its part, and the communication record.

Built from what the session recorded (the timeline names the seat of every action, as ``role:name``;
the looks are each seat's investigation) and from the host's feed (refusals), so the facilitator can
read it live and every seat gets it at the end; :func:`room_markdown` is what is saved beside the journal.

Cadence follows DOMAIN.md's severity table: a P1 (SEV1) needs a status update at least every 30 minutes,
a P2 (SEV2) every hour. A stakeholder update should say the impact, the action and when the next one comes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scenarios.durations import format_clock
from scenarios.language.actions import MITIGATION_ACTIONS
from tui.gameday.roles import title
from tui.gameday.room import REPORT_PREFIX

CADENCE = {"SEV1": ("P1", 1800.0), "SEV2": ("P2", 3600.0)}
"""Severity -> (priority, longest time between status updates)."""
REPORT_GAP = 900.0
"""An engineer who acts but reports nothing to the IMOC for longer than this is flagged (15 min)."""
ENGINEERS = ("tloc", "ops")
"""Roles that investigate and mitigate, and so owe the IMOC status reports."""
NOT_USEFUL = frozenset({"note"})
"""Actions that do not count as a seat's first useful one (talking is not yet doing)."""
IMPACT_WORDS = re.compile(
    r"\b(users?|customers?|impact\w*|errors?|fail\w*|down|slow\w*|degraded|outage|unavailable|orders?|\d+ ?%)", re.I
)
ACTION_WORDS = re.compile(
    r"\b(roll\w* back|rollback|restart\w*|mitigat\w*|investigat\w*|fix\w*|drain\w*|scal\w*|fail\w* over|"
    r"working on|looking into|deploy\w*|revert\w*|disabl\w*)",
    re.I,
)
NEXT_WORDS = re.compile(
    r"(next update|update (again )?(in|at|by)|\bin \d+ ?(min|minutes|m|h|hours?)\b|\b(at|by) \d{1,2}[:.]\d\d)", re.I
)


@dataclass
class SeatPart:
    """One person's part in the room (across every role they held)."""

    name: str
    roles: list[str] = field(default_factory=list)
    actions: list[tuple[float, str, str]] = field(default_factory=list)
    """(t, role, action) accepted, in order."""
    hypotheses: int = 0
    messages: int = 0
    """Notes, status updates and reports to the IMOC."""
    reports: list[float] = field(default_factory=list)
    """Times of its structured status reports to the IMOC."""
    told: list[float] = field(default_factory=list)
    """Times it told the IMOC anything (a report or a note)."""
    looks: int = 0
    refused: list[str] = field(default_factory=list)
    first_useful: float | None = None


@dataclass
class RoomDebrief:
    """The whole room's debrief."""

    scenario: str
    now: float
    ended: bool
    impact_start: float | None
    severity: str | None
    parts: dict[str, SeatPart]
    adherence: list[str]
    updates: list[dict[str, Any]]
    cadence: list[str]
    table: list[str]
    guesses: list[tuple[float, str, str]] = field(default_factory=list)


def _person(label: str) -> tuple[str, str] | None:
    role, colon, name = label.partition(":")
    return (role, name) if colon and name else None


def room_debrief(
    sim: Any, feed: list[Any], table_changes: list[str], guesses: list[tuple[float, str, str]] | None = None
) -> RoomDebrief:
    """The room's debrief as of now (final once the session has ended)."""
    report = sim.score()
    impact = report.impact_start_s
    parts: dict[str, SeatPart] = {}

    def part(label: str) -> tuple[str, SeatPart] | None:
        who = _person(label)
        if who is None:
            return None
        role, name = who
        seat = parts.setdefault(name, SeatPart(name))
        if role not in seat.roles:
            seat.roles.append(role)
        return role, seat

    timeline = sim.timeline()
    for event in timeline:
        found = part(event.source)
        if found is None:
            continue
        role, seat = found
        seat.actions.append((event.t, role, event.kind))
        seat.hypotheses += event.kind == "hypothesis"
        seat.messages += event.kind in ("note", "status_update")
        if event.kind == "note":
            seat.told.append(event.t)
            if REPORT_PREFIX in event.text:
                seat.reports.append(event.t)
        if seat.first_useful is None and event.kind not in NOT_USEFUL:
            seat.first_useful = event.t
    for look in sim.looks:
        found = part(str(look.get("seat", "")))
        if found is not None:
            found[1].looks += 1
    for entry in feed:
        if entry.kind == "refused" and (found := part(entry.seat)) is not None:
            found[1].refused.append(f"{format_clock(entry.t)} {entry.text}")
    end = sim.ended_at if sim.ended_at is not None else sim.now
    view = sim.incident_view()
    updates = _updates(timeline, view.status_updates)
    return RoomDebrief(
        scenario=sim.scenario.id,
        now=end,
        ended=sim.ended_at is not None,
        impact_start=impact,
        severity=view.severity,
        parts=parts,
        adherence=_adherence(parts, end),
        updates=updates,
        cadence=_cadence(view.severity, impact, [u["t"] for u in updates], end),
        table=table_changes,
        guesses=list(guesses or []),
    )


def _updates(timeline: list[Any], texts: tuple[tuple[float, str], ...]) -> list[dict[str, Any]]:
    """Each status update with its seat and what it said (impact, action, next update time)."""
    sources = [e.source for e in timeline if e.kind == "status_update"]
    out = []
    for (t, text), source in zip(texts, sources, strict=False):
        out.append(
            {
                "t": t,
                "seat": source,
                "text": text,
                "impact": bool(IMPACT_WORDS.search(text)),
                "action": bool(ACTION_WORDS.search(text)),
                "next": bool(NEXT_WORDS.search(text)),
            }
        )
    return out


def _adherence(parts: dict[str, SeatPart], end: float) -> list[str]:
    """Where a role left its part: the IMOC debugging, an engineer silent towards the IMOC for long."""
    out = []
    for seat in parts.values():
        hands_on = [(t, a) for t, role, a in seat.actions if role == "imoc" and a in MITIGATION_ACTIONS]
        if hands_on:
            did = ", ".join(f"{a} at {format_clock(t)}" for t, a in hands_on)
            out.append(f"{seat.name} (IMOC) went hands-on: {did} — the coordinator coordinates, others debug")
        work = [
            t for t, role, a in seat.actions if role in ("tloc", "ops") and a in MITIGATION_ACTIONS | {"hypothesis"}
        ]
        if work:
            marks = sorted([work[0], *[t for t in seat.told if t >= work[0]], end])
            gap = max(b - a for a, b in zip(marks, marks[1:], strict=False))
            if gap > REPORT_GAP:
                out.append(
                    f"{seat.name} ({'/'.join(title(r) for r in seat.roles)}) went {gap / 60:.0f} min without "
                    f"telling the IMOC anything (a status report every {REPORT_GAP / 60:.0f} min keeps them informed)"
                )
        out += [f"{seat.name} was refused out of role: {why}" for why in seat.refused[:5]]
    return out or ["every role kept to its part"]


def _cadence(severity: str | None, impact: float | None, times: list[float], end: float) -> list[str]:
    """Status updates against the cadence the severity asks for."""
    if severity not in CADENCE:
        return [f"severity {severity or 'never set'}: no update cadence applies (P1 every 30 min, P2 every hour)"]
    priority, every = CADENCE[severity]
    start = impact if impact is not None else 0.0
    marks = [start, *[t for t in times if t >= start], end]
    late = [(a, b) for a, b in zip(marks, marks[1:], strict=False) if b - a > every]
    lines = [f"{severity} = {priority}: a status update at least every {every / 60:.0f} min"]
    if not late:
        lines.append(f"kept: {len(times)} update(s), never more than {every / 60:.0f} min apart")
    for a, b in late:
        lines.append(f"missed: {format_clock(a)} to {format_clock(b)} without an update ({(b - a) / 60:.0f} min)")
    return lines


def role_lines(roles: dict[str, dict[str, Any]]) -> list[str]:
    """The score's part of each role (simulator.incident.scoring.role_parts) as sentences, not dicts."""
    out = []
    for role, part in roles.items():
        seats = ", ".join(part.get("seats", [])) or "-"
        if role == "imoc":
            silence = part.get("longest_silence_s")
            quiet = f", longest silence {silence / 60:.0f} min" if silence is not None else ""
            hands = f", hands-on: {', '.join(part['hands_on'])}" if part.get("hands_on") else ""
            out.append(f"IMOC {seats}: {part.get('status_updates', 0)} status update(s){quiet}{hands}")
        elif role == "tloc":
            first = part.get("first_mitigation_after_impact_s")
            when = f", first after {first / 60:.0f} min" if first is not None else ""
            n = len(part.get("mitigations", []))
            out.append(f"TLOC {seats}: {part.get('hypotheses', 0)} hypothesis(es), {n} mitigation(s){when}")
        else:
            out.append(f"{title(role)} {seats}")
    return out


def room_markdown(d: RoomDebrief) -> str:
    """The room's debrief as Markdown (saved beside the journal; every string is the record's own text)."""
    state = "final" if d.ended else "live"
    out = [f"# Room debrief: {d.scenario} ({state}, at {format_clock(d.now)})", ""]
    impact = format_clock(d.impact_start) if d.impact_start is not None else "none"
    out += [f"User impact began: {impact} · severity: {d.severity or 'never set'}", ""]
    out += ["## Who did what", ""]
    for seat in d.parts.values():
        roles = ", ".join(title(r) for r in seat.roles)
        first = format_clock(seat.first_useful) if seat.first_useful is not None else "none"
        out.append(f"### {seat.name} ({roles})")
        out.append(
            f"- {len(seat.actions)} action(s), {seat.hypotheses} hypothesis(es), {seat.messages} message(s), "
            f"{len(seat.reports)} report(s) to the IMOC, {seat.looks} look(s); first useful action {first}"
        )
        out += [f"- {format_clock(t)} {a} (as {title(role)})" for t, role, a in seat.actions]
        out.append("")
    out += ["## Role adherence", ""] + [f"- {line}" for line in d.adherence] + [""]
    out += ["## Communication", ""] + [f"- {line}" for line in d.cadence] + [""]
    for u in d.updates:
        said = [name for name in ("impact", "action", "next") if u[name]]
        missing = [name for name in ("impact", "action", "next") if not u[name]]
        verdict = "says " + ", ".join(said) if said else "says none of impact, action, next update"
        if missing and said:
            verdict += "; lacks " + ", ".join(missing)
        who = _person(u["seat"])
        by = f"{who[1]} ({title(who[0])})" if who else u["seat"]
        out.append(f"- {format_clock(u['t'])} {by}: “{u['text']}” — {verdict}")
    if not d.updates:
        out.append("- no stakeholder update was posted")
    if d.guesses:
        out += ["", "## Observers' root-cause guesses", ""]
        out += [f"- {format_clock(t)} {seat}: {text}" for t, seat, text in d.guesses]
    if d.table:
        out += ["", "## This game's role table", ""] + [f"- {line}" for line in d.table]
    return "\n".join(out) + "\n"
