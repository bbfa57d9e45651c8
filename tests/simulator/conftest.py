"""Fixtures for engine tests: the shipped OOM-leak scenario and an hour of it, shared read-only."""

from __future__ import annotations

import pytest
from simkit import load_oom

from scenarios.language.scenario import Scenario
from simulator.session.simulation import Simulation


@pytest.fixture(scope="session")
def oom_scenario() -> Scenario:
    """The shipped checkout-oom-leak scenario."""
    return load_oom()


@pytest.fixture(scope="session")
def oom_hour(oom_scenario) -> Simulation:
    """checkout-oom-leak run untouched for one simulated hour (shared, read-only)."""
    sim = Simulation(oom_scenario, seed=7)
    sim.run_until(3600)
    return sim
