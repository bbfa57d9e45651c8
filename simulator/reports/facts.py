"""Facts a debrief and a postmortem derive from a finished session: the investigation path beside the
evidence the scenario names, stakeholder questions and whether they were answered, and when each
mitigation took effect.

Pure functions of a Simulation (replayed or live) and its look records; no wall clock, no UI. The
debrief screen and the Markdown postmortem both use them, so they always agree.

How a look "finds" a piece of evidence (deliberately simple, so a trainee can see why):
- ``change``: the changes panel was opened once the change (found by ``match`` in its summary) existed;
- ``log``: a log query on the evidence's service (or on all services) whose text overlaps ``match``;
- ``trace``: a trace opened that has a failing or culprit span in the evidence's service (and ``match``
  in a span or error name, when given);
- ``metric`` / ``split``: a metric detail view of the service whose metric (or split) contains
  ``match``; a ``split`` needs a zone, version or instance split;
- ``runbook``: the service's runbook was read (a ``runbook`` look, or the runbooks panel);
- ``profile``: a ``profile`` look on the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from scenarios.language.actions import MITIGATION_ACTIONS
from scenarios.language.scenario import Scenario
from simulator.incident.process import IncidentState
from simulator.views import ChangeRecord, MessageView, Operation, PageView, TimelineEvent, Trace


class FinishedSession(Protocol):
    """What reports read of a played session (``Simulation`` is one): its read-only queries."""

    scenario: Scenario
    incident: IncidentState
    ended_at: float | None

    @property
    def now(self) -> float: ...

    def timeline(self) -> list[TimelineEvent]: ...

    def messages(self) -> list[MessageView]: ...

    def change_log(self) -> list[ChangeRecord]: ...

    def operation_list(self) -> list[Operation]: ...

    def pages(self) -> list[PageView]: ...

    def service_names(self) -> list[str]: ...

    def zones(self) -> list[str]: ...

    def trace(self, trace_id: str) -> Trace | None: ...


ANSWERING_ACTIONS = ("status_update", "note")
"""Trainee actions that answer a stakeholder's question (posted after the question arrived)."""


@dataclass(frozen=True)
class EvidenceFinding:
    """One piece of evidence the scenario names, and the first look that found it (if any)."""

    kind: str
    description: str
    service: str | None
    match: str | None
    found_at: float | None
    """Simulated time of the first look that found it; None when never found."""
    found_by: str
    """That look, described; empty when never found."""


@dataclass(frozen=True)
class PathStep:
    """One look of the investigation path."""

    t: float
    what: str
    detail: str
    """The look in words, e.g. ``log query: service=checkout text="OOM"``."""
    evidence: tuple[int, ...]
    """Indices (into the scenario's evidence) of the evidence this look found first."""


@dataclass(frozen=True)
class QuestionAnswer:
    """A stakeholder question that arrived, and the trainee's first status update or note after it."""

    t: float
    sender: str
    channel: str
    text: str
    expects: str | None
    answered_at: float | None
    answer: str
    """``status_update: ...`` or ``note: ...``; empty when unanswered."""


@dataclass(frozen=True)
class MitigationEffect:
    """A mitigation the trainee applied and when it took effect."""

    t: float
    action: str
    text: str
    took_effect_at: float | None
    """When its operation finished (rollout, config push, drain...); None when none was recorded."""
    effect: str
    """What the system recorded when it took effect; empty when nothing was."""


def describe_look(look: dict[str, Any]) -> str:
    """A look record in words (keys sorted, empty values left out)."""
    what = str(look.get("what", "?"))
    detail = {k: v for k, v in look.items() if k not in ("t", "seat", "what", "type") and v not in (None, "", [])}
    if what == "panel" and "name" in detail:
        return f"opened the {detail['name']} panel"
    if not detail:
        return what.replace("_", " ")
    parts = " ".join(f"{k}={_quote(v)}" for k, v in sorted(detail.items()))
    return f"{what.replace('_', ' ')}: {parts}"


def _quote(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if " " in text or not text else text


def _same_service(wanted: str | None, looked: Any) -> bool:
    return wanted is None or looked in (None, "", wanted)


def _overlaps(match: str | None, text: Any) -> bool:
    if match is None:
        return True
    if not isinstance(text, str) or not text.strip():
        return False
    a, b = match.lower(), text.strip().lower()
    return a in b or b in a


def look_finds(sim: FinishedSession, evidence: dict[str, Any], look: dict[str, Any]) -> bool:
    """True when ``look`` finds ``evidence`` (see the module docstring for the rules)."""
    kind, service, match = evidence.get("kind"), evidence.get("service"), evidence.get("match")
    what = look.get("what")
    t = float(look.get("t", 0.0))
    if kind == "change":
        if what != "panel" or look.get("name") != "changes":
            return False
        return _change_existed(sim, service, match, t)
    if kind == "log":
        if what != "log_query" or not _same_service(service, look.get("service")):
            return False
        if match is None:
            return look.get("service") == service or service is None
        return _overlaps(match, look.get("text"))
    if kind == "trace":
        trace = sim.trace(str(look.get("trace_id", ""))) if what == "trace" else None
        return trace is not None and _trace_shows(trace, service, match)
    if kind in ("metric", "split"):
        if what != "metric" or not _same_service(service, look.get("service")):
            return False
        split = str(look.get("split") or "")
        if kind == "split" and not split:
            return False
        return match is None or match.lower() in f"{look.get('metric', '')} {split}".lower()
    if kind == "runbook":
        if what == "panel":
            return look.get("name") in ("runbook", "runbooks") and service is None
        return what == "runbook" and _same_service(service, look.get("service"))
    if kind == "profile":
        return what == "profile" and _same_service(service, look.get("service"))
    return False


def _change_existed(sim: FinishedSession, service: str | None, match: str | None, t: float) -> bool:
    """Whether the change the evidence names was in the change log at ``t`` (no such change: True)."""
    changes = [
        c
        for c in sim.change_log()
        if (service is None or c.service == service) and (match is None or match.lower() in c.summary.lower())
    ]
    return not changes or min(c.t for c in changes) <= t


def _trace_shows(trace: Trace, service: str | None, match: str | None) -> bool:
    """Whether a trace has a failing or culprit span in ``service`` (whose names contain ``match``)."""
    for span in trace.spans:
        if service is not None and span.service != service:
            continue
        if not (span.status == "ERROR" or span.culprit):
            continue
        if match is None or match.lower() in f"{span.name} {span.error_type} {trace.name}".lower():
            return True
    return False


def investigation(sim: FinishedSession, looks: list[dict[str, Any]]) -> tuple[list[PathStep], list[EvidenceFinding]]:
    """The investigation path (looks in time order) and, per named evidence, the first look that found it."""
    ordered = sorted(
        (look for look in looks if look.get("what") not in ("checkpoint", "clock")),
        key=lambda look: float(look.get("t", 0.0)),
    )
    evidence = [e.model_dump(mode="json") for e in sim.scenario.evidence]
    first: dict[int, int] = {}
    for step_index, look in enumerate(ordered):
        for ev_index, ev in enumerate(evidence):
            if ev_index not in first and look_finds(sim, ev, look):
                first[ev_index] = step_index
    steps = [
        PathStep(
            float(look.get("t", 0.0)),
            str(look.get("what", "?")),
            describe_look(look),
            tuple(sorted(i for i, s in first.items() if s == step_index)),
        )
        for step_index, look in enumerate(ordered)
    ]
    findings = []
    for i, ev in enumerate(evidence):
        step = steps[first[i]] if i in first else None
        findings.append(
            EvidenceFinding(
                str(ev.get("kind")),
                str(ev.get("description", "")),
                ev.get("service"),
                ev.get("match"),
                step.t if step else None,
                step.detail if step else "",
            )
        )
    return steps, findings


def questions(sim: FinishedSession) -> list[QuestionAnswer]:
    """Stakeholder questions that arrived before the session ended, each with its first answer."""
    end = sim.ended_at if sim.ended_at is not None else sim.now
    answers = [e for e in sim.timeline() if e.source != "system" and e.kind in ANSWERING_ACTIONS]
    # A question whose when/unless kept it away was never asked.
    arrived = {(m.sender, m.text) for m in sim.messages()}
    out = []
    for message in sorted(sim.scenario.messages, key=lambda m: m.at):
        if message.kind != "question" or message.at > end or (message.from_, message.text) not in arrived:
            continue
        answer = next((e for e in answers if e.t >= message.at), None)
        out.append(
            QuestionAnswer(
                float(message.at),
                message.from_,
                message.channel,
                message.text,
                message.expects,
                answer.t if answer else None,
                f"{answer.kind}: {_answer_text(answer.text)}" if answer else "",
            )
        )
    return out


def _answer_text(text: str) -> str:
    for prefix in ("status update posted: ", "note: "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def mitigation_effects(sim: FinishedSession) -> list[MitigationEffect]:
    """Each accepted mitigation with the moment it took effect.

    An operation it started (a rollout, a config push) gives ``finished_at``; otherwise the first
    system ``operation`` event after it that names the same target (a drain, a certificate) does.
    """
    operations = sim.operation_list()
    system_ops = [e for e in sim.timeline() if e.source == "system" and e.kind == "operation"]
    names = set(sim.service_names()) | set(sim.zones())
    used_ops: set[int] = set()
    used_events: set[int] = set()
    out = []
    for e in sim.timeline():
        if e.source == "system" or e.kind not in MITIGATION_ACTIONS:
            continue
        op = next(
            (o for o in operations if o.id not in used_ops and abs(o.started - e.t) < 1e-6 and o.service in e.text),
            None,
        )
        if op is not None:
            used_ops.add(op.id)
            done = f"{op.summary}: {op.done}/{op.total}" if op.finished_at is not None else ""
            out.append(MitigationEffect(e.t, e.kind, e.text, op.finished_at, done))
            continue
        target = _target_words(e.text, names)
        event_index = next(
            (
                i
                for i, s in enumerate(system_ops)
                if i not in used_events and s.t >= e.t and any(w in s.text.replace(":", " ").split() for w in target)
            ),
            None,
        )
        if event_index is not None:
            used_events.add(event_index)
            s = system_ops[event_index]
            out.append(MitigationEffect(e.t, e.kind, e.text, s.t, s.text))
        else:
            out.append(MitigationEffect(e.t, e.kind, e.text, None, ""))
    return out


def _target_words(text: str, names: set[str]) -> list[str]:
    """Service and zone names in an action's result text."""
    words = text.replace(":", " ").replace(",", " ").split()
    return [w for w in words if w in names]
