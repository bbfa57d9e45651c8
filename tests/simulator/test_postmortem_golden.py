"""Golden files of the postmortem: each shipped scenario's reference solution, seed 1, replayed from its journal.

Regenerate after a deliberate change (and read the diff before committing):
``MISFORTUNE_UPDATE_GOLDEN=1 pytest tests/simulator/test_postmortem_golden.py``. Scenarios without a
golden file yet get one written in that mode; the test over every shipped scenario runs either way.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from simkit import GOLDEN_BASELINES

from scenarios.catalog import list_scenarios, load_by_ref
from simulator.reports.postmortem import postmortem_for_journal
from simulator.session.impact import shared_baselines
from simulator.session.runner import run_session

GOLDEN = Path(__file__).parents[1] / "golden"
UPDATE = os.environ.get("MISFORTUNE_UPDATE_GOLDEN") == "1"
SEED = 1
SECTIONS = (
    "# Postmortem (training drill):",
    "TRAINING DRILL",
    "## Summary",
    "## Impact",
    "## Timeline",
    "## Root cause analysis",
    "## What went well",
    "## What went wrong",
    "## Action items",
    "## Lessons learned",
    "## Investigation path",
)


def shipped() -> list[str]:
    return [e.id for e in list_scenarios() if e.source == "shipped" and e.error is None]


_RENDERED: dict[str, tuple[str, Path]] = {}


def render(scenario_id: str, folder: Path) -> str:
    scenario, path = load_by_ref(scenario_id)
    journal = folder / f"{scenario_id}.jsonl"
    # The solution of the variant seed 1 plays (a variable may name the flag or version to undo). The
    # baseline with nobody acting is the one test_report_golden replayed, when it ran in this process first.
    with shared_baselines(GOLDEN_BASELINES):
        run_session(scenario, SEED, scenario.for_seed(SEED).solution, journal_path=journal, scenario_path=path)
        return postmortem_for_journal(journal)


def rendered(scenario_id: str, tmp_path_factory) -> tuple[str, Path]:
    """The draft of a scenario's reference run and its journal, rendered once for both tests (CI time)."""
    if scenario_id not in _RENDERED:
        folder = tmp_path_factory.mktemp(scenario_id)
        _RENDERED[scenario_id] = (render(scenario_id, folder), folder / f"{scenario_id}.jsonl")
    return _RENDERED[scenario_id]


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.md")), ids=lambda p: p.stem)
def test_postmortem_matches_its_golden_file(golden, tmp_path_factory):
    assert golden.stem in shipped(), f"{golden} has no shipped scenario any more; delete it"
    text, _ = rendered(golden.stem, tmp_path_factory)
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"postmortem of {golden.stem} changed; if deliberate: MISFORTUNE_UPDATE_GOLDEN=1 pytest {__file__}"
    )


@pytest.mark.parametrize("scenario_id", shipped())
def test_every_shipped_scenario_renders_a_complete_identical_draft(scenario_id, tmp_path_factory):
    text, journal = rendered(scenario_id, tmp_path_factory)
    for heading in SECTIONS:
        assert heading in text, f"{scenario_id}: missing {heading!r}"
    assert "| Date | undated |" in text  # headless journals have no wall-clock start
    # Same journal, same bytes (the replay with nobody acting shared with the first render: it reads no
    # journal, and the golden file already pins its figures).
    with shared_baselines(GOLDEN_BASELINES):
        assert postmortem_for_journal(journal) == text
    golden = GOLDEN / f"{scenario_id}.md"
    if UPDATE and not golden.exists():
        golden.write_text(text, encoding="utf-8")
