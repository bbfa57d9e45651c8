"""The Shift: a clock of its own, one Simulation per incident offset in shift time, pages, tickets, noise.

Shift time runs from 0 to ``plan.hours``. Incident N's simulation starts at ``plan.incidents[N].at``:
its simulated time is shift time minus that offset, and it stops at its scenario's end or when it is
resolved. Incidents do not affect each other; the shift routes what they produce: an incident's page
goes through the escalation policy (P1 and P2), or becomes a ticket (P3). Between incidents, the plan's
noise alerts, false-positive pages and tickets arrive on the shift's own SimPy environment.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field

import simpy

from scenarios.language.actions import ACTION_ADAPTER, Ack, Action
from scenarios.language.scenario import Scenario
from simulator.session.simulation import Simulation
from simulator.session.timed import play_timed
from simulator.shift.difficulty import tune
from simulator.shift.journal import ShiftJournal
from simulator.shift.pager import Pager, ShiftPage
from simulator.shift.plan import CarriedIncident, PlannedEvent, PlannedIncident, ShiftPlan
from simulator.shift.policy import PRIORITIES, SEVERITY_TO_PRIORITY, EscalationPolicy
from simulator.shift.steps import FACILITATOR_ONLY, CloseTicket, HandoffNote, ShiftStep
from simulator.telemetry.alerts import Page
from simulator.views import ActionResult, TimelineEvent

END_SHIFT_OVER = "shift_over"
END_INTERRUPTED = "interrupted"


@dataclass
class Ticket:
    """A low-urgency ticket: P3 work for the next business day. Mutable inside the shift."""

    number: int
    t: float
    title: str
    service: str
    source: str
    """``noise`` (between incidents) or ``incident`` (an incident declared or planned P3)."""
    incident: int | None = None
    closed_at: float | None = None
    note: str = ""


@dataclass
class NoiseAlert:
    """A warning that shows on the alert list and pages nobody."""

    number: int
    t: float
    title: str
    service: str
    lasts: float


@dataclass(frozen=True)
class AppliedAction:
    """An action applied to an incident's simulation: its time there, the seat, the action."""

    t: float
    seat: str
    action: Action


@dataclass
class IncidentRun:
    """A real incident of the shift: its plan, its simulation, and what the shift routed for it."""

    plan: PlannedIncident
    scenario: Scenario
    sim: Simulation
    routed: int = 0
    """How many of the simulation's pages the shift has routed so far."""
    pages: list[int] = field(default_factory=list)
    """Shift page numbers of its pages."""
    tickets: list[int] = field(default_factory=list)
    imoc_at: float | None = None
    secondary_at: float | None = None
    downgraded_at: float | None = None
    """When a declared SEV3 turned its pages into a ticket."""
    applied: list[AppliedAction] = field(default_factory=list)
    """Every action applied to its simulation, in its own time (what a handover replays)."""
    _seen: bool = field(default=False, repr=False)

    @property
    def detected(self) -> bool:
        """Something the on-call can see shows it: one of its alerts has fired (a ticket's too), or it was
        handed over open. What the on-call is shown and judged on goes by this, never by the plan's
        arrival time, which no on-call knows."""
        if not self._seen:
            self._seen = self.handed_over or bool(self.sim.incidents())
        return self._seen

    @property
    def handed_over(self) -> bool:
        """It arrived open from the previous shift (follow-the-sun)."""
        return isinstance(self.plan, CarriedIncident)

    def apply(self, action: Action, seat: str) -> ActionResult:
        """Apply an action to its simulation now, remembering it for a handover."""
        self.applied.append(AppliedAction(self.sim.now, seat, action))
        return self.sim.apply(action, seat)

    @property
    def number(self) -> int:
        """1-based incident number."""
        return self.plan.number

    @property
    def offset(self) -> float:
        """Shift time of the simulation's t=0."""
        return self.plan.at

    @property
    def priority(self) -> str:
        """The priority the incident deserves (the scenario's expected severity)."""
        return self.plan.priority

    @property
    def over(self) -> bool:
        """Resolved, or its scenario's time is up."""
        return self.sim.finished

    @property
    def resolved(self) -> bool:
        """Declared resolved and judged so on the simulated system."""
        return self.sim.incident.state == "resolved"

    def shift_time(self, sim_t: float) -> float:
        """A simulation time as shift time."""
        return self.offset + sim_t


class Shift:
    """A deterministic on-call shift: the plan, the policy in force, and the incidents that arrived."""

    def __init__(
        self,
        plan: ShiftPlan,
        policy: EscalationPolicy,
        scenarios: Mapping[str, Scenario],
        journal: ShiftJournal | None = None,
    ) -> None:
        missing = sorted({i.scenario for i in plan.incidents} - set(scenarios))
        assert not missing, f"scenarios of the plan not given: {missing}"
        self.plan = plan
        self.policy = policy
        self.scenarios = dict(scenarios)
        self.journal = journal
        self.env = simpy.Environment()
        self.timeline: list[TimelineEvent] = []
        self.pager = Pager(self.env, self._log)
        self.runs: list[IncidentRun] = []
        self.tickets: list[Ticket] = []
        self.noise_alerts: list[NoiseAlert] = []
        self.handoff: HandoffNote | None = None
        self.handoff_at: float | None = None
        self.steps: list[tuple[ShiftStep, ActionResult]] = []
        self.ended_at: float | None = None
        self.end_reason: str | None = None
        for carried in plan.carried:
            self._carry_in(carried)
        for event in plan.events:
            self.env.process(self._arrive(event))

    # --- the clock ---------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Shift time in seconds."""
        return self.env.now

    @property
    def length(self) -> float:
        """Length of the shift in seconds."""
        return self.plan.seconds

    @property
    def finished(self) -> bool:
        """True once the shift's time is up or it was ended."""
        return self.ended_at is not None or self.env.now >= self.length

    def advance(self, dt: float) -> None:
        """Move shift time forward by ``dt`` seconds."""
        self.run_until(self.env.now + dt)

    def run_until(self, t: float) -> None:
        """Run the shift (and every incident that has arrived) up to shift time ``t``."""
        target = min(t, self.length)
        if target <= self.env.now or self.ended_at is not None:
            return
        for planned in self.plan.incidents:
            if planned.at <= target and not any(r.plan.number == planned.number for r in self.runs):
                self._start(planned)
        # Incidents never depend on the shift's own events, so each runs to the target first; the pages
        # they sent meanwhile start their escalation walks at the exact times they fired.
        for run in self.runs:
            if not run.over:
                run.sim.run_until(target - run.offset)
            self._route_pages(run)
            if run.over and run.sim.ended_at is None:
                run.sim.end("resolved" if run.sim.incident.state == "resolved" else "time_up")
        self.env.run(until=target)

    def _start(self, planned: PlannedIncident) -> None:
        scenario = tune(self.scenarios[planned.scenario], planned.seed, self.plan.difficulty)
        run = IncidentRun(planned, scenario, Simulation(scenario, planned.seed))
        self.runs.append(run)
        self._log(planned.at, "incident", f"incident #{planned.number} begins: {run.sim.scenario.title}")

    def _carry_in(self, carried: CarriedIncident) -> None:
        """An incident handed over open: rebuilt by replaying its actions to where the previous shift
        stopped (simulations are deterministic), so its clock, state and timers go on from there."""
        scenario = tune(self.scenarios[carried.scenario], carried.seed, carried.difficulty)
        run = IncidentRun(carried, scenario, Simulation(scenario, carried.seed))
        history = [AppliedAction(a.t, a.seat, ACTION_ADAPTER.validate_python(a.action)) for a in carried.actions]
        play_timed(run.sim, history, -carried.at)
        run.applied = history
        run.routed = len(run.sim.alerts.pages)  # the previous shift routed those
        run.imoc_at, run.secondary_at, run.downgraded_at = carried.imoc_at, carried.secondary_at, carried.downgraded_at
        self.runs.append(run)
        self._log(
            0.0,
            "incident",
            f"incident #{carried.number} handed over open (#{carried.previous_number} of the previous shift, "
            f"running since {-carried.at / 60:.0f} min): {run.sim.scenario.title}",
        )
        service = run.scenario.slo.service
        for title in carried.open_pages:
            # Nobody acknowledged it before the handoff: it pages this shift's on-call from the start.
            page = self.pager.page(
                0.0,
                self.policy,
                title=title,
                service=service,
                priority=run.priority,
                source="incident",
                incident=run.number,
            )
            run.pages.append(page.number)

    def _route_pages(self, run: IncidentRun) -> None:
        pages = run.sim.alerts.pages
        for page in pages[run.routed :]:
            self.env.process(self._route_at(run, page))
        run.routed = len(pages)

    def _route_at(self, run: IncidentRun, page: Page) -> Generator:
        # Routed on the shift's clock at the time it fired, so pages and tickets are numbered in time order.
        at = run.shift_time(page.t)
        if at > self.env.now:
            yield self.env.timeout(at - self.env.now)
        self._route(run, page, at)

    def _route(self, run: IncidentRun, page: Page, at: float) -> None:
        noise = {n.alert.name for n in run.scenario.noise if n.alert}
        priority = run.priority
        service = next((r.service for r in run.sim.alerts.rules if r.name == page.alert), run.scenario.slo.service)
        if run.downgraded_at is not None or not PRIORITIES[priority].pages:
            self._ticket(at, page.alert, service, "incident", run)
            return
        earlier = next((p for p in self.pages_of(run) if p.title == page.alert), None)
        if earlier is not None:
            # The same alert firing again for the same incident is grouped into its page, as pagers
            # deduplicate by alert key: the on-call is not woken twice for one problem.
            earlier.repeats += 1
            return
        shift_page = self.pager.page(
            at,
            self.policy,
            title=page.alert,
            service=service,
            priority=priority if page.alert not in noise else "P2",
            source="incident-noise" if page.alert in noise else "incident",
            incident=run.number,
            sim_page=page.number,
        )
        run.pages.append(shift_page.number)

    def _arrive(self, event: PlannedEvent) -> Generator:
        yield self.env.timeout(event.at)
        if event.kind == "ticket":
            self._ticket(self.env.now, event.title, event.service, "noise", None)
        elif event.kind == "false_positive":
            self.pager.page(
                self.env.now,
                self.policy,
                title=event.title,
                service=event.service,
                priority="P2",
                source="false_positive",
            )
        else:
            self.noise_alerts.append(
                NoiseAlert(len(self.noise_alerts) + 1, self.env.now, event.title, event.service, event.lasts)
            )
            self._log(self.env.now, "alert", f"{event.service}: {event.title}")

    def _ticket(self, t: float, title: str, service: str, source: str, run: IncidentRun | None) -> Ticket:
        ticket = Ticket(len(self.tickets) + 1, t, title, service, source, run.number if run else None)
        self.tickets.append(ticket)
        if run is not None:
            run.tickets.append(ticket.number)
        self._log(t, "ticket", f"ticket #{ticket.number} (P3) {service}: {title}")
        return ticket

    def _log(self, t: float, kind: str, text: str) -> None:
        self.timeline.append(TimelineEvent(t, "shift", kind, text))

    # --- actions -----------------------------------------------------------------------------

    def set_policy(self, policy: EscalationPolicy) -> None:
        """Put a new policy in force; pages already sent keep the one they fired with."""
        self.policy = policy
        self._log(self.env.now, "policy", f"escalation policy {policy.name!r} in force")
        if self.journal is not None:
            self.journal.policy(self.env.now, policy)

    def apply(self, step: ShiftStep, seat: str = "trainee") -> ActionResult:
        """Apply a step now; rejected steps change nothing. Journalled either way."""
        result = self._dispatch(step, seat)
        self.steps.append((step, result))
        if self.journal is not None:
            self.journal.step(self.env.now, seat, step, result)
        return result

    def _dispatch(self, step: ShiftStep, seat: str) -> ActionResult:
        action, now = step.action, self.env.now
        if self.finished:
            return ActionResult(False, "the shift is over", action.action, now)
        if isinstance(action, HandoffNote):
            self.handoff, self.handoff_at = action, now
            self._log(now, "handoff", f"handoff note written ({len(action.lines())} lines)")
            return ActionResult(True, "handoff note saved for the next shift", action.action, now)
        if isinstance(action, CloseTicket):
            return self._close_ticket(action, now)
        if action.action in FACILITATOR_ONLY:
            return ActionResult(False, "inject is a facilitator's action, not a responder's", action.action, now)
        if step.incident is None:
            if action.action == "ack":
                return self._ack_pages(action.page, seat, now)
            return ActionResult(
                False, f"say which incident this is for (incident: N); {self._open_incidents()}", action.action, now
            )
        run = self.run_of(step.incident)
        if run is None:
            return ActionResult(
                False, f"incident #{step.incident} has not arrived; {self._open_incidents()}", action.action, now
            )
        if run.over:
            return ActionResult(False, f"incident #{run.number} is over", action.action, now)
        result = run.apply(action, seat)
        if result.accepted:
            self._follow(run, action, seat, now)
        return result

    def _follow(self, run: IncidentRun, action, seat: str, now: float) -> None:
        """What an accepted incident action means for the shift: acks, war room, downgrades, the end."""
        if action.action == "ack":
            for page in self.pages_of(run):
                if page.acked_at is None and page.stopped is None:
                    self.pager.ack(page, seat)
        elif action.action == "assign_role" and action.role == "imoc" and run.imoc_at is None:
            run.imoc_at = now
        elif action.action == "escalate" and action.to == "secondary" and run.secondary_at is None:
            run.secondary_at = now
        elif action.action == "set_severity" and SEVERITY_TO_PRIORITY[action.severity] == "P3":
            if run.downgraded_at is None:
                run.downgraded_at = now
                for page in self.pages_of(run):
                    if page.open:
                        page.stopped = "declared SEV3: downgraded to a ticket"
                self._ticket(now, f"incident #{run.number} declared SEV3", run.scenario.slo.service, "incident", run)
        if run.over and run.sim.ended_at is None:
            run.sim.end("resolved")
            for page in self.pages_of(run):
                if page.open:
                    page.stopped = "the incident was resolved"

    def _ack_pages(self, number: int | None, seat: str, now: float) -> ActionResult:
        pages = [p for p in self.pager.pages if p.acked_at is None and p.stopped is None]
        if number is not None:
            pages = [p for p in pages if p.number == number]
        if not pages:
            which = f"no open page #{number}" if number is not None else "no open page to acknowledge"
            return ActionResult(False, which, "ack", now)
        for page in pages:
            self.pager.ack(page, seat)
            run = self.run_of(page.incident) if page.incident is not None else None
            if run is not None and not run.over:
                # The incident's own pages (repeats grouped into this one included) are acknowledged
                # too, so its TTA counts; nothing left to acknowledge there is fine.
                run.apply(Ack(action="ack"), seat)
        return ActionResult(True, "acknowledged " + ", ".join(f"page #{p.number}" for p in pages), "ack", now)

    def _close_ticket(self, action: CloseTicket, now: float) -> ActionResult:
        ticket = next((t for t in self.tickets if t.number == action.ticket), None)
        if ticket is None or ticket.closed_at is not None:
            open_ = ", ".join(f"#{t.number}" for t in self.tickets if t.closed_at is None) or "none"
            return ActionResult(False, f"no open ticket #{action.ticket}; open tickets: {open_}", action.action, now)
        ticket.closed_at, ticket.note = now, action.note
        self._log(now, "ticket", f"ticket #{ticket.number} closed")
        return ActionResult(True, f"ticket #{ticket.number} closed", action.action, now)

    def _open_incidents(self) -> str:
        open_ = [f"#{r.number}" for r in self.runs if not r.over and r.detected]
        return f"open incidents: {', '.join(open_) or 'none'}"

    def end(self, reason: str = END_SHIFT_OVER) -> None:
        """End the shift (journalled); incidents still running end with it."""
        if self.ended_at is not None:
            return
        self.ended_at, self.end_reason = self.env.now, reason
        for run in self.runs:
            run.sim.end("resolved" if run.sim.incident.state == "resolved" else reason)
        if self.journal is not None:
            self.journal.end(self.env.now, reason)

    # --- queries -----------------------------------------------------------------------------

    def run_of(self, number: int | None) -> IncidentRun | None:
        """The incident with this number, if it has arrived."""
        return next((r for r in self.runs if r.number == number), None)

    def pages_of(self, run: IncidentRun) -> list[ShiftPage]:
        """The shift pages an incident sent."""
        return [self.pager.pages[n - 1] for n in run.pages]

    @property
    def pages(self) -> list[ShiftPage]:
        """Every page of the shift so far."""
        return list(self.pager.pages)

    def open_incidents(self) -> list[IncidentRun]:
        """Incidents that arrived and are not resolved (one whose scenario time ran out is still open)."""
        return [r for r in self.runs if not r.resolved]

    def known_incidents(self) -> list[IncidentRun]:
        """Open incidents the on-call can know of (see :attr:`IncidentRun.detected`)."""
        return [r for r in self.open_incidents() if r.detected]

    def events(self) -> list[TimelineEvent]:
        """The shift's timeline and every incident's, in shift time and order."""
        out = list(self.timeline)
        for run in self.runs:
            out += [
                TimelineEvent(run.shift_time(e.t), f"#{run.number} {e.source}", e.kind, e.text)
                for e in run.sim.timeline()
            ]
        return sorted(out, key=lambda e: e.t)
