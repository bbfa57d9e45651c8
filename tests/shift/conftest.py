"""Fixtures for shift tests: the bench's 12-hour shift, played and unanswered (shared, read-only)."""

from __future__ import annotations

import pytest
from shiftkit import BENCH_ACTIONS

from simulator.shift.runner import run_shift
from simulator.shift.steps import load_steps


@pytest.fixture(scope="session")
def played_shift():
    """The bench's 12-hour shift (seed 2) played from its actions file: (shift, report)."""
    return run_shift(2, load_steps(BENCH_ACTIONS))


@pytest.fixture(scope="session")
def unanswered_shift():
    """The same shift with nobody answering the pager: (shift, report)."""
    return run_shift(2)
