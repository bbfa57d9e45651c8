"""Fixtures for shift tests: hand-made plans over shipped scenarios, and the bench's played shift."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.shift.plan import PlannedIncident, ShiftPlan
from simulator.shift.policy import DEFAULT_POLICY, EscalationPolicy
from simulator.shift.runner import run_shift, shipped_library
from simulator.shift.shift import Shift
from simulator.shift.steps import load_steps

ROOT = Path(__file__).resolve().parents[2]
BENCH_ACTIONS = ROOT / "bench" / "shift-seed2-actions.yaml"


def small_shift(
    incidents: list[tuple[str, float, str]],
    hours: float = 2.0,
    policy: EscalationPolicy = DEFAULT_POLICY,
    events=(),
    journal=None,
) -> Shift:
    """A shift of ``hours`` with the given (scenario id, arrival seconds, priority) incidents and no noise."""
    library = shipped_library()
    plan = ShiftPlan(
        seed=1,
        hours=hours,
        max_incidents=len(incidents),
        incidents=[
            PlannedIncident(number=n, scenario=sid, at=at, seed=3, priority=priority)
            for n, (sid, at, priority) in enumerate(incidents, 1)
        ],
        events=list(events),
    )
    return Shift(plan, policy, {sid: library[sid][0] for sid, _, _ in incidents}, journal)


@pytest.fixture(scope="session")
def played_shift():
    """The bench's 12-hour shift (seed 2) played from its actions file: (shift, report)."""
    return run_shift(2, load_steps(BENCH_ACTIONS))


@pytest.fixture(scope="session")
def unanswered_shift():
    """The same shift with nobody answering the pager: (shift, report)."""
    return run_shift(2)
