"""A small valid scenario that tests break one field at a time."""

import pytest

MINIMAL_SCENARIO = """\
id: mini-leak
title: Mini leak
difficulty: 1
briefing: Checkout pods keep restarting.
duration: 1h
slo: {service: frontend, availability: 99.9}
topology:
  zones: [zone-a, zone-b]
  services:
    - name: frontend
      replicas: 2
      calls: {checkout: 1.0}
    - name: checkout
      replicas: 2
      version: v2.0.0
faults:
  - type: memory_leak
    at: 0s
    service: checkout
    version: v2.0.0
    mb_per_min: 8
root_cause: {service: checkout, category: memory_leak}
solution:
  - {at: 2m, action: ack}
  - {at: 9m, action: rollback_deploy, service: checkout}
  - {at: 20m, action: resolve}
"""


@pytest.fixture
def minimal_text() -> str:
    """The text of a valid two-service memory-leak scenario (line numbers are relied on)."""
    return MINIMAL_SCENARIO


@pytest.fixture
def user_scenarios(monkeypatch, tmp_path):
    """An empty user scenarios directory under a MISFORTUNE_HOME of its own."""
    monkeypatch.setenv("MISFORTUNE_HOME", str(tmp_path / "home"))
    directory = tmp_path / "home" / "scenarios"
    directory.mkdir(parents=True)
    return directory
