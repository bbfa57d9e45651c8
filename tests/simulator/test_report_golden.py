"""Every shipped scenario's report, pinned: its reference solution at two seeds and doing nothing at one.

Speed work (telemetry on demand, checkpoints) must leave what a session scores exactly as it was; so
must any change that is not meant to change the model. Regenerate after a deliberate change, and read
the diff before committing: ``MISFORTUNE_UPDATE_GOLDEN=1 pytest tests/simulator/test_report_golden.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from simkit import GOLDEN_BASELINES

from scenarios.catalog import list_scenarios, load_by_ref
from simulator.session.impact import shared_baselines
from simulator.session.runner import run_session

GOLDEN = Path(__file__).parents[1] / "golden" / "reports.json"
UPDATE = os.environ.get("MISFORTUNE_UPDATE_GOLDEN") == "1"
RUNS = (("nothing", 1), ("solution", 1), ("solution", 2))
"""Doing nothing first: inside shared_baselines its own count is the baseline of the solution of its seed
(Simulation.score), so seed 1 needs no replay with nobody acting (CI time; the order of a dict's keys
does not matter to the comparison)."""


def shipped() -> list[str]:
    return sorted(e.id for e in list_scenarios() if e.source == "shipped" and e.error is None)


def reports(scenario_id: str) -> dict[str, dict]:
    scenario, _ = load_by_ref(scenario_id)
    out = {}
    # One replay with nobody acting per seed, not one per report (CI time): replays are deterministic;
    # seed 1's is the session of doing nothing itself.
    with shared_baselines(GOLDEN_BASELINES):
        for mode, seed in RUNS:
            _, report = run_session(scenario, seed, scenario.solution if mode == "solution" else ())
            out[f"{mode}/{seed}"] = {k: v for k, v in report.as_dict().items() if k != "tool_version"}
    return out


def test_every_shipped_scenario_has_pinned_reports():
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
    if UPDATE:
        pinned = {sid: reports(sid) for sid in shipped()}
        GOLDEN.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert sorted(pinned) == shipped(), f"scenarios added or removed: MISFORTUNE_UPDATE_GOLDEN=1 pytest {__file__}"


@pytest.mark.parametrize("scenario_id", shipped())
def test_reports_are_the_pinned_ones(scenario_id):
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert scenario_id in pinned, (
        f"{scenario_id} has no pinned reports yet: MISFORTUNE_UPDATE_GOLDEN=1 pytest {__file__}"
    )
    assert reports(scenario_id) == pinned[scenario_id], (
        f"{scenario_id}'s report changed; if deliberate: MISFORTUNE_UPDATE_GOLDEN=1 pytest {__file__}"
    )
