"""Follow-the-sun: hand a shift over to the next region's, its clock and open incidents carried over.

The previous shift's journal is replayed to its end (shifts are deterministic;
``simulator.shift.runner.handed_over``); every incident still running then becomes a
:class:`simulator.shift.plan.CarriedIncident` of the next shift's plan: its scenario, seed, arrival
(before the new shift began), every action applied to it so far (in its own time), its war-room and
downgrade times and the pages nobody had acknowledged. The next shift rebuilds each one by replaying
those actions (``Shift._carry_in``), so the incident's clock, timers and state go on exactly from the
handoff, and the whole plan sits in the new journal's header: replaying or resuming the next shift
needs nothing from the previous one's file.
"""

from __future__ import annotations

from simulator.shift.plan import CarriedAction, CarriedIncident
from simulator.shift.shift import IncidentRun, Shift


def carry(shift: Shift, end: float) -> list[CarriedIncident]:
    """The incidents of ``shift`` still running at shift time ``end``, as the next shift's carried ones."""
    carried = []
    for run in shift.runs:
        if run.over:
            continue  # resolved, or its scenario's time ran out: nothing left to run
        carried.append(_carried(shift, run, len(carried) + 1, end))
    return carried


def _carried(shift: Shift, run: IncidentRun, number: int, end: float) -> CarriedIncident:
    def since(t: float | None) -> float | None:
        return None if t is None else round(t - end, 3)

    plan = run.plan
    return CarriedIncident(
        number=number,
        previous_number=run.number,
        scenario=plan.scenario,
        at=round(run.offset - end, 3),
        seed=plan.seed,
        priority=plan.priority,
        difficulty=plan.difficulty if isinstance(plan, CarriedIncident) else shift.plan.difficulty,
        actions=[
            CarriedAction(
                t=a.t,
                seat=a.seat,
                action=a.action.model_dump(mode="json", exclude_none=True, exclude={"at"}, by_alias=True),
            )
            for a in run.applied
        ],
        imoc_at=since(run.imoc_at),
        secondary_at=since(run.secondary_at),
        downgraded_at=since(run.downgraded_at),
        open_pages=[p.title for p in shift.pages_of(run) if p.acked_at is None and p.stopped is None],
    )
