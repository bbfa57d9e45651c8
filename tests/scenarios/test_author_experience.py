"""What an author sees when a file is wrong: variables where they are used, quoting hints, variant notes,
variables in actions files, and ``run --solution``."""

from __future__ import annotations

import json

import pytest

from scenarios.catalog import load_by_ref
from scenarios.loader import ScenarioError, load_actions_text, load_scenario_text
from tui.cli import main


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "t.yaml")
    return [str(p) for p in caught.value.problems]


def test_an_undeclared_variable_is_reported_where_it_is_used(minimal_text):
    text = minimal_text.replace("    version: v2.0.0\n    mb_per_min", '    version: "v${ver}"\n    mb_per_min')
    assert problems(text) == [
        "t.yaml:20:16: faults[0].version: ${ver} is not one of variables (there are none); declare it or fix the name"
    ]


def test_a_misspelt_variable_names_the_declared_ones(minimal_text):
    text = minimal_text.replace("title: Mini leak", "title: Mini leak in ${zonne}") + "variables: {zone: [a, b]}\n"
    assert problems(text) == [
        "t.yaml:2:21: title: ${zonne} is not one of variables (declared: zone); declare it or fix the name"
    ]


def test_an_unquoted_colon_in_a_list_item_gets_a_hint_to_quote_it(minimal_text):
    text = minimal_text.replace(
        "root_cause: {service: checkout, category: memory_leak}",
        "root_cause:\n  service: checkout\n  category: memory_leak\n  five_whys:\n    - Pods died: OOMKilled\n",
    )
    assert problems(text) == [
        "t.yaml:26:7: root_cause.five_whys[0]: expected text, but YAML read 'Pods died: OOMKilled' as a mapping "
        "because of the ': ' in it; put the whole text in quotes"
    ]


def test_a_colon_inside_a_value_gets_the_same_hint(minimal_text):
    text = minimal_text.replace("briefing: Checkout pods keep restarting.", "briefing: Checkout: pods: restart")
    assert problems(text) == [
        "t.yaml:4:19: mapping values are not allowed here: a ': ' inside a value starts a mapping; "
        "put the value in quotes"
    ]


def test_a_problem_names_the_variant_only_when_it_depends_on_it(minimal_text):
    text = (
        minimal_text.replace("title: Mini leak", "title: Mini leak in ${zone}").replace(
            "    - name: checkout\n", "    - name: checkout\n      calls: {nowhere: 1}\n"
        )
        + "variables: {zone: [zone-a, zone-b]}\n"
    )
    found = problems(text)
    assert len(found) == 1 and "unknown service 'nowhere'" in found[0]
    assert "(with zone=" not in found[0]  # the broken line uses no variable: the note would be noise
    broken = text.replace("calls: {nowhere: 1}", "calls: {'${zone}': 1}")
    assert any("unknown service 'zone-a'" in p and "(with zone=zone-a)" in p for p in problems(broken))


ACTIONS = "- {at: 1m, action: ack}\n- {at: 9m, action: feature_flag, flag: '${flag}', enabled: false}\n"


def test_an_actions_file_takes_the_scenarios_variables():
    actions = load_actions_text(ACTIONS, "a.yaml", {"flag": "smart-pricing"})
    assert actions[1].flag == "smart-pricing"


def test_an_actions_file_with_an_unknown_variable_is_an_error_where_it_is_used():
    with pytest.raises(ScenarioError) as caught:
        load_actions_text(ACTIONS, "a.yaml", {"cohort": "x"})
    assert str(caught.value.problems[1]) == (
        "a.yaml:2:41: [1].flag: ${flag} is not one of the scenario's variables (declared: cohort); "
        "declare it or fix the name"
    )


def test_run_substitutes_the_seeds_values_in_an_actions_file(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text(ACTIONS, encoding="utf-8")
    scenario, _ = load_by_ref("bad-flag-cohort")
    for seed in (1, 2, 3, 4):
        assert main(["run", "bad-flag-cohort", "--seed", str(seed), "--actions", str(path), "-v"]) == 0
        out = capsys.readouterr().out
        flag = scenario.for_seed(seed).chosen["flag"]
        assert f"flag {flag} -> off" in out


def test_run_solution_plays_the_reference(capsys):
    assert main(["run", "gray-zone-failure", "--seed", "3", "--solution", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "resolved"
    assert main(["run", "gray-zone-failure", "--solution", "--actions", "x.yaml"]) == 2
    assert "give --actions FILE or --solution, not both" in capsys.readouterr().err


def test_run_verbose_names_the_variant_the_seed_plays(capsys):
    scenario, _ = load_by_ref("bad-flag-cohort")
    chosen = scenario.for_seed(2).chosen
    assert main(["run", "bad-flag-cohort", "--seed", "2", "-v"]) == 0
    out = capsys.readouterr().out
    assert f"variant: cohort={chosen['cohort']}, flag={chosen['flag']}" in out
    assert "timeline" in out
