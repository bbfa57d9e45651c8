"""Helpers for shift tests: hand-made plans over shipped scenarios, the bench's actions file.

Not a conftest.py: ``from conftest import`` in other test directories must keep finding their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.shift import runner
from simulator.shift.plan import PlannedIncident, ShiftPlan
from simulator.shift.policy import DEFAULT_POLICY, EscalationPolicy
from simulator.shift.runner import SHIFT_ROTA, shipped_library
from simulator.shift.shift import Shift

ROOT = Path(__file__).resolve().parents[2]
BENCH_ACTIONS = ROOT / "bench" / "shift-seed2-actions.yaml"
BENCH_LIBRARY = SHIFT_ROTA
"""The shipped scenarios the bench's seed-2 shift was drawn from (a plan depends on the whole library)."""


@pytest.fixture(scope="module", autouse=True)
def bench_library():
    """Plans drawn in these tests come from :data:`BENCH_LIBRARY`, so that scenarios added to the library
    later do not reshuffle the bench's shift its actions file was written for. Import it into a module
    (``from shiftkit import bench_library``) to pin that module's plans."""
    pinned = {k: v for k, v in runner.shipped_library().items() if k in BENCH_LIBRARY}
    assert len(pinned) == len(BENCH_LIBRARY), "a bench scenario is missing from the library"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "shipped_library", lambda: pinned)
        yield


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
