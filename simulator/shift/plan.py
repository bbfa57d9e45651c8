"""The shift plan: which scenarios arrive when, and the noise, false positives and tickets between them.

The plan is drawn once from the seed (one named random stream per purpose) and recorded whole in the
journal header, so a replay plays the same shift even if the library grows. Incidents are spread over
the shift with quiet stretches between them; sometimes the next one arrives while the previous one is
still open (the trainee has to triage which comes first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator

from scenarios.language.actions import ACTION_ADAPTER
from scenarios.language.base import Model, Name
from scenarios.language.scenario import Scenario
from simulator.shift.difficulty import DIALS, Difficulty
from simulator.shift.noise import FALSE_POSITIVES, NOISE_ALERTS, TICKETS
from simulator.shift.policy import SEVERITY_TO_PRIORITY
from simulator.world.rng import RandomStreams

MAX_SHIFT_HOURS = 24.0
MAX_INCIDENTS = 6
QUIET_START = 20 * 60.0
"""No incident in the first 20 minutes: the trainee reads the handoff and the follow-ups first."""
OVERLAP_CHANCE = 0.35
"""Chance that an incident arrives while the previous one is still running."""
NOISE_ALERT_EVERY = 5400.0
FALSE_POSITIVE_EVERY = 6 * 3600.0
TICKET_EVERY = 3 * 3600.0
"""Mean gaps (seconds) between noise alerts, false-positive pages and tickets."""

Priority = Literal["P1", "P2", "P3"]
EventKind = Literal["noise_alert", "false_positive", "ticket"]


class PlannedIncident(Model):
    """A real incident of the shift: a shipped scenario started at ``at`` seconds into the shift."""

    number: int = Field(ge=1, le=MAX_INCIDENTS)
    """1-based, in arrival order; actions name it (``incident: 1``)."""
    scenario: Name
    """Scenario id."""
    at: float = Field(ge=0.0, le=MAX_SHIFT_HOURS * 3600.0)
    """Shift time at which the scenario's t=0 falls."""
    seed: int = Field(ge=0, le=2**31)
    """Seed of the incident's simulation."""
    priority: Priority
    """The priority its impact deserves (the scenario's expected severity)."""


MAX_CARRIED_ACTIONS = 2000
"""Actions a handed-over incident brings with it (its whole history so far) at most."""
MAX_CARRIED_AGE = 7 * 24 * 3600.0
"""How long before the shift began a handed-over incident may have started, at most."""


class CarriedAction(Model):
    """An action applied to a handed-over incident during an earlier shift (replayed to rebuild it)."""

    t: float = Field(ge=0.0, le=MAX_CARRIED_AGE)
    """The incident's own simulated time when it was applied."""
    seat: str = Field(min_length=1, max_length=80)
    action: dict[str, Any]
    """The action as the vocabulary spells it (validated against it)."""

    @field_validator("action")
    @classmethod
    def _an_action(cls, value: dict[str, Any]) -> dict[str, Any]:
        ACTION_ADAPTER.validate_python(value)
        return value


class CarriedIncident(PlannedIncident):
    """An incident still open when the previous shift handed over (follow-the-sun): it keeps running
    here from where it was, its clock, actions, pages and war room carried over."""

    at: float = Field(ge=-MAX_CARRIED_AGE, le=0.0)  # type: ignore[assignment]
    """Shift time at which its t=0 falls: before this shift began (0 or less)."""
    previous_number: int = Field(ge=1, le=MAX_INCIDENTS)
    """Its number in the shift that handed it over."""
    difficulty: Difficulty = "normal"
    """The difficulty it was tuned with when it arrived."""
    actions: list[CarriedAction] = Field(default_factory=list, max_length=MAX_CARRIED_ACTIONS)
    imoc_at: float | None = Field(default=None, ge=-MAX_CARRIED_AGE, le=0.0)
    secondary_at: float | None = Field(default=None, ge=-MAX_CARRIED_AGE, le=0.0)
    downgraded_at: float | None = Field(default=None, ge=-MAX_CARRIED_AGE, le=0.0)
    """War room and SEV3 downgrade times, in this shift's time (before it began)."""
    open_pages: list[str] = Field(default_factory=list, max_length=20)
    """Titles of its pages nobody had acknowledged at the handoff: they page this shift's on-call."""


class PlannedEvent(Model):
    """Something between incidents: a noise alert, a false-positive page or a low-urgency ticket."""

    number: int = Field(ge=1, le=1000)
    kind: EventKind
    at: float = Field(ge=0.0, le=MAX_SHIFT_HOURS * 3600.0)
    service: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    lasts: float = Field(default=900.0, ge=60.0, le=4 * 3600.0)
    """How long a noise alert or false positive keeps firing."""


class ShiftPlan(Model):
    """Everything that will arrive during one shift."""

    seed: int = Field(ge=0, le=2**63)
    hours: float = Field(gt=0.0, le=MAX_SHIFT_HOURS)
    max_incidents: int = Field(ge=0, le=MAX_INCIDENTS)
    """At most this many real incidents per 12 hours."""
    difficulty: Difficulty = "normal"
    """easy, normal or hard: noise, hints, alert quality (simulator.shift.difficulty)."""
    incidents: list[PlannedIncident] = Field(max_length=MAX_INCIDENTS)
    events: list[PlannedEvent] = Field(max_length=1000)
    carried: list[CarriedIncident] = Field(default_factory=list, max_length=MAX_INCIDENTS)
    """Incidents handed over open by the previous shift (follow-the-sun), numbered before the new ones."""
    starts_at: float = Field(default=0.0, ge=0.0, le=100 * MAX_SHIFT_HOURS * 3600.0)
    """On-call clock at the start of this shift: 0, or where the shift it continues stopped."""

    @property
    def seconds(self) -> float:
        """Length of the shift in seconds."""
        return self.hours * 3600.0

    def continuing(self, carried: Sequence[CarriedIncident], starts_at: float) -> ShiftPlan:
        """This plan as the next region's shift: ``carried`` incidents first (#1..#k), the new ones
        numbered after them (only as many as leave the shift at most MAX_INCIDENTS in all)."""
        k = len(carried)
        fresh = [i.model_copy(update={"number": i.number + k}) for i in self.incidents[: MAX_INCIDENTS - k]]
        return self.model_copy(update={"carried": list(carried), "incidents": fresh, "starts_at": starts_at})


def incident_count(hours: float, max_per_12h: int) -> int:
    """How many real incidents a shift of ``hours`` gets: the pace target scaled to its length."""
    if max_per_12h <= 0:
        return 0
    return min(MAX_INCIDENTS, max(1, round(max_per_12h * hours / 12.0)))


def generate_plan(
    seed: int, hours: float, max_incidents: int, library: Sequence[Scenario], difficulty: Difficulty = "normal"
) -> ShiftPlan:
    """Draw a shift from the seed: incidents from ``library`` at seeded times, noise, false positives, tickets."""
    rng = RandomStreams(seed)
    end = hours * 3600.0
    count = min(incident_count(hours, max_incidents), len(library))
    pick = rng["shift-scenarios"]
    chosen = pick.sample(sorted(library, key=lambda s: s.id), count)
    times = _arrival_times(rng, count, end, [s.duration for s in chosen])
    incidents = [
        PlannedIncident(
            number=n,
            scenario=scenario.id,
            at=at,
            seed=pick.randrange(1, 10_000),
            priority=SEVERITY_TO_PRIORITY[scenario.postmortem.expected_severity],
        )
        for n, (scenario, at) in enumerate(zip(chosen, times, strict=True), 1)
    ]
    events: list[PlannedEvent] = []
    noise = DIALS[difficulty].noise
    for kind, every, texts in (
        ("noise_alert", NOISE_ALERT_EVERY / noise, NOISE_ALERTS),
        ("false_positive", FALSE_POSITIVE_EVERY / noise, FALSE_POSITIVES),
        ("ticket", TICKET_EVERY, TICKETS),
    ):
        stream = rng[f"shift-{kind}"]
        t = stream.expovariate(1.0 / every)
        while t < end - 60.0 and len(events) < 900:
            service, title = texts[int(stream.random() * len(texts))]
            lasts = round(stream.uniform(300.0, 1800.0), 1)
            events.append(PlannedEvent(number=1, kind=kind, at=round(t, 1), service=service, title=title, lasts=lasts))
            t += stream.expovariate(1.0 / every)
    events.sort(key=lambda e: (e.at, e.kind))
    events = [e.model_copy(update={"number": n}) for n, e in enumerate(events, 1)]
    return ShiftPlan(
        seed=seed, hours=hours, max_incidents=max_incidents, difficulty=difficulty, incidents=incidents, events=events
    )


def _arrival_times(rng: RandomStreams, count: int, end: float, durations: Sequence[float]) -> list[float]:
    """Sorted arrival times: spread over the shift, sometimes overlapping the previous incident."""
    if count == 0:
        return []
    stream = rng["shift-arrivals"]
    latest = max(QUIET_START, end - 3600.0)
    times = sorted(round(stream.uniform(QUIET_START, latest), 1) for _ in range(count))
    for k in range(1, count):
        if stream.random() < OVERLAP_CHANCE:
            # The next page comes while the previous incident is still being worked.
            overlap = times[k - 1] + stream.uniform(600.0, min(2700.0, durations[k - 1] * 0.5))
            times[k] = round(min(overlap, latest), 1)
    return sorted(times)
