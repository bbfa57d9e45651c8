"""What went well and what went wrong, judged from the Report and the session's facts.

Every sentence carries the figure it is based on (a time, a par, a count), so a reader can check it;
nothing is said that the journal and the simulation do not show.
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.durations import format_clock, format_duration
from scenarios.language.actions import MITIGATION_ACTIONS
from simulator.incident.scoring import STATUS_UPDATE_EXPECTED_AFTER, Report
from simulator.reports.facts import EvidenceFinding, FinishedSession, QuestionAnswer

FAST_DETECTION = 300.0
"""A page within this many seconds of impact start counts as fast detection."""


def at(t: float | None) -> str:
    """A simulated time as ``T+HH:MM:SS`` (``-`` when never)."""
    return "-" if t is None else f"T+{format_clock(t)}"


@dataclass(frozen=True)
class Review:
    """The two lists of a blameless review."""

    went_well: list[str]
    went_wrong: list[str]


def review(
    sim: FinishedSession, report: Report, answers: list[QuestionAnswer], findings: list[EvidenceFinding]
) -> Review:
    """Derive what went well and what went wrong from the report and the facts of the session."""
    well: list[str] = []
    wrong: list[str] = []
    _detection(report, sim, well, wrong)
    _against_par(report, well, wrong)
    _severity(report, well, wrong)
    _hypothesis_first(sim, well, wrong)
    _status_updates(sim, report, well, wrong)
    for harm in report.harmful:
        if harm["action"] == "resolve":
            wrong.append(f"Declared resolved too early at {at(harm['t'])}: {harm['why']}.")
        else:
            wrong.append(f"Harmful action at {at(harm['t'])}: `{harm['action']}`: {harm['why']}.")
    for q in answers:
        if q.answered_at is None:
            expects = f" (a good answer covers: {q.expects})" if q.expects else ""
            wrong.append(f'{q.sender} asked at {at(q.t)} "{q.text}" and got no answer{expects}.')
        else:
            well.append(
                f"Answered {q.sender}'s question from {at(q.t)} at {at(q.answered_at)} "
                f"({format_duration(q.answered_at - q.t)} later)."
            )
    found = [f for f in findings if f.found_at is not None]
    if findings and found:
        well.append(f"Found {len(found)} of {len(findings)} pieces of evidence the scenario names.")
    for f in findings:
        if f.found_at is None:
            wrong.append(f"Never looked at the {f.kind} evidence: {f.description}")
    return Review(well, wrong)


def _detection(report: Report, sim: FinishedSession, well: list[str], wrong: list[str]) -> None:
    if report.impact_start_s is None:
        return
    if report.ttd_s is None:
        wrong.append("No page was sent for the user impact; the alerting missed it.")
    elif report.ttd_s <= FAST_DETECTION:
        well.append(f"Fast detection: the first page came {format_duration(report.ttd_s)} after impact started.")
    else:
        wrong.append(
            f"Slow detection: the first page came {format_duration(report.ttd_s)} after impact started "
            f"(more than {format_duration(FAST_DETECTION)})."
        )


_MEASURES = (
    ("tta_s", "Acknowledged the page", "The page was never acknowledged."),
    ("ttm_s", "Mitigated (SLI stable)", "The SLI never recovered for good during the session."),
    ("ttr_s", "Resolved", "The incident was not resolved during the session."),
)


def _against_par(report: Report, well: list[str], wrong: list[str]) -> None:
    for key, label, never in _MEASURES:
        value, par = getattr(report, key), report.par.get(key)
        if value is None:
            if key == "tta_s" and report.pages == 0:
                continue
            if key != "tta_s" and report.impact_start_s is None:
                continue
            wrong.append(never)
        elif par is None or value <= par:
            well.append(f"{label} in {format_duration(value)}, within par ({format_duration(par)}).")
        else:
            wrong.append(
                f"{label} in {format_duration(value)}, slower than par ({format_duration(par)}, {value / par:.1f}x)."
            )


SEVERITY_MEANING = {
    "SEV1": "the service was down for users",
    "SEV2": "the SLI broke its objective",
    "SEV3": "a minor impact",
}
"""What the sim's own assessment of each severity measured (simulator.incident.incidents.assessed_severity)."""


def measured_severity(report: Report) -> str | None:
    """The worst severity the sim measured across the session's incidents (None without an incident)."""
    assessed = sorted(str(i["severity_assessed"]) for i in report.incidents if i.get("severity_assessed"))
    return assessed[0] if assessed else None  # "SEV1" < "SEV2" < "SEV3"


@dataclass(frozen=True)
class SeverityVerdict:
    """The declared severity judged against the scenario's expectation and the simulation's measurement."""

    right: bool
    """The declaration matches the expected or the measured severity."""
    note: str
    """A short note for a table cell: "expected SEV2" or "expected SEV2, measured SEV1"."""
    plain: bool
    """Right with nothing to add: the declaration is the expected severity and the measurement agrees."""


def severity_verdict(report: Report) -> SeverityVerdict:
    """Whether the declared severity is a right one, with a note for a table cell; right means it matches
    the scenario's expectation or what the simulation measured."""
    declared, expected, measured = report.severity_declared, report.severity_expected, measured_severity(report)
    differs = measured not in (None, expected)
    right = declared is not None and declared in (expected, measured)
    note = f"expected {expected}" + (f", measured {measured}" if differs else "")
    return SeverityVerdict(right=right, note=note, plain=right and declared == expected and not differs)


def _severity(report: Report, well: list[str], wrong: list[str]) -> None:
    """The declared severity against the scenario's expectation and what the simulation measured.

    The two can differ (an author expects SEV2 for a partial outage the run made total): a declaration
    matching either is right, and the line says which, so the debrief never claims an impact it did not see.
    """
    declared, expected, measured = report.severity_declared, report.severity_expected, measured_severity(report)
    differs = measured is not None and measured != expected
    seen = f"the measured impact was {measured}: {SEVERITY_MEANING.get(measured or '', measured)}" if differs else ""
    if declared is None:
        wrong.append(f"Severity was never declared (the scenario expects {expected}{'; ' + seen if seen else ''}).")
    elif declared == expected and not differs:
        well.append(f"Declared the right severity ({declared}).")
    elif declared == expected:
        well.append(f"Declared {declared}, as the scenario expects; {seen}.")
    elif declared == measured:
        well.append(
            f"Declared {declared}, as the measured impact called for ({SEVERITY_MEANING.get(declared, declared)}); "
            f"the scenario expects {expected}."
        )
    else:
        wrong.append(f"Declared {declared}; the scenario expects {expected}{' and ' + seen if seen else ''}.")


def _hypothesis_first(sim: FinishedSession, well: list[str], wrong: list[str]) -> None:
    events = [e for e in sim.timeline() if e.source != "system"]
    first_fix = next((e for e in events if e.kind in MITIGATION_ACTIONS), None)
    first_hypothesis = next((e for e in events if e.kind == "hypothesis"), None)
    if first_fix is None:
        return
    if first_hypothesis is not None and first_hypothesis.t <= first_fix.t:
        well.append(
            f"Wrote a hypothesis ({at(first_hypothesis.t)}) before the first change to the system "
            f"(`{first_fix.kind}` at {at(first_fix.t)})."
        )
    else:
        wrong.append(f"Changed the system (`{first_fix.kind}` at {at(first_fix.t)}) before writing any hypothesis.")


def _status_updates(sim: FinishedSession, report: Report, well: list[str], wrong: list[str]) -> None:
    pages = sim.pages()
    start = pages[0].t if pages else report.impact_start_s
    if start is None:
        return
    end = sim.incident.resolved_at if sim.incident.resolved_at is not None else report.ended_at_s
    updates = [t for t, _ in sim.incident.status_updates if t >= start]
    if not sim.incident.status_updates:
        if end - start > 0:
            wrong.append(f"No status update was posted in {format_duration(end - start)} of incident.")
        return
    points = [start, *updates, max(end, start)]
    gap, since = max((b - a, a) for a, b in zip(points, points[1:], strict=False))
    if gap > STATUS_UPDATE_EXPECTED_AFTER:
        wrong.append(f"No status update for {format_duration(gap)} (from {at(since)} to {at(since + gap)}).")
    else:
        well.append(
            f"Kept stakeholders informed: {len(sim.incident.status_updates)} status update(s), "
            f"never more than {format_duration(gap)} apart."
        )
