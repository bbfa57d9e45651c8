"""The README's walkthrough stays true: its additions to checkout-oom-leak validate and pass verify."""

from __future__ import annotations

import re
from pathlib import Path

from scenarios.catalog import library_dir
from scenarios.loader import load_scenario_text
from simulator.session.runner import run_session
from simulator.session.verify import verify_seed

README = Path(__file__).parents[2] / "scenarios" / "README.md"


def walkthrough_scenario():
    readme = README.read_text(encoding="utf-8")
    block = re.search(
        r"<!-- walkthrough:additions -->\n```yaml\n(.*?)```\n<!-- /walkthrough:additions -->", readme, re.S
    )
    assert block, "the walkthrough's additions block is missing from scenarios/README.md"
    text = (library_dir() / "checkout-oom-leak.yaml").read_text(encoding="utf-8")
    start, end = text.index("\ntraps:\n"), text.index("\npar:")
    return load_scenario_text(text[:start] + "\n" + block.group(1) + text[end:], "walkthrough.yaml")


def test_the_walkthrough_additions_pass_verify():
    scenario = walkthrough_scenario()
    assert len(scenario.traps) == 2 and len(scenario.messages) == 2
    checks = verify_seed(scenario, 1)
    assert [c.baseline for c in checks] == ["reference", "nothing", "trap 1", "trap 2", "claims"]
    assert all(c.passed for c in checks), [c.problem for c in checks if not c.passed]


def test_the_stakeholder_asks_only_when_nobody_posted_an_update():
    scenario = walkthrough_scenario()
    asked = "Customers say payment fails now and then. What do I tell them?"
    sim, _ = run_session(scenario, 1, scenario.solution)  # updates at 7m and 20m: the 16m question is moot
    assert asked not in [m.text for m in sim.messages()]
    sim, _ = run_session(scenario, 1, [])
    assert asked in [m.text for m in sim.messages()]
