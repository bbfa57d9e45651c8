"""Solution steps' `why` and `looked_at`: validated with positions, left out of every dump, shipped."""

import pytest

from scenarios.catalog import library_dir, scenario_files
from scenarios.language.actions import ACTION_ADAPTER
from scenarios.language.scenario import Scenario
from scenarios.language.solution import LOOK_PANELS, Look, step_notes
from scenarios.loader import ScenarioError, load_scenario, load_scenario_text

NOTED = """\
  - {at: 9m, action: rollback_deploy, service: checkout,
     looked_at: [changes, {panel: logs, query: OOMKilled}],
     why: "memory climbs on every v2.0.0 pod"}
"""


def _noted(text: str) -> str:
    return text.replace("  - {at: 9m, action: rollback_deploy, service: checkout}\n", NOTED)


def test_step_keeps_its_reason_and_looks(minimal_text):
    scenario = load_scenario_text(_noted(minimal_text), "t.yaml")
    step = scenario.solution[1]
    why, looks = step_notes(step)
    assert why == "memory climbs on every v2.0.0 pod"
    assert looks == (Look(panel="changes"), Look(panel="logs", query="OOMKilled"))
    assert step_notes(scenario.solution[0]) == (None, ())


def test_notes_are_left_out_of_dumps_so_journals_do_not_change(minimal_text):
    step = load_scenario_text(_noted(minimal_text), "t.yaml").solution[1]
    body = step.model_dump(mode="json", exclude_none=True)
    assert body == {"at": "9m", "action": "rollback_deploy", "service": "checkout"}
    # what the journal writes still parses as a plain action of the vocabulary
    assert ACTION_ADAPTER.validate_python(body).action == "rollback_deploy"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("[changes,", "[change,", "t.yaml:26:18: solution[1].looked_at[0].panel: Input should be 'pager'"),
        (
            'why: "memory climbs on every v2.0.0 pod"',
            'why: ""',
            "t.yaml:27:11: solution[1].why: String should have at least 1 character",
        ),
        (
            "query: OOMKilled",
            "query: " + "x" * 201,
            "t.yaml:26:48: solution[1].looked_at[1].query: String should have at most 200",
        ),
    ],
)
def test_bad_notes_name_file_line_and_field(minimal_text, old, new, expected):
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(_noted(minimal_text).replace(old, new, 1), "t.yaml")
    assert str(err.value).startswith(expected), str(err.value)


def test_only_solution_steps_take_notes():
    with pytest.raises(ValueError, match="why"):
        ACTION_ADAPTER.validate_python({"action": "ack", "why": "because"})


def test_schema_documents_the_notes():
    defs = Scenario.model_json_schema(by_alias=True)["$defs"]
    step = defs["RollbackDeployStep"]["properties"]
    assert "telemetry" in step["why"]["description"]
    assert defs["Look"]["properties"]["panel"]["enum"] == list(LOOK_PANELS)


def test_every_shipped_step_says_why_and_what_was_looked_at():
    files = scenario_files(library_dir())
    assert len(files) >= 13  # the library was found (more scenarios are added over time)
    for path in files:
        scenario = load_scenario(path)
        for i, step in enumerate(scenario.solution):
            why, looks = step_notes(step)
            assert why and len(why) > 30, f"{scenario.id} solution[{i}] has no why"
            assert looks, f"{scenario.id} solution[{i}] has no looked_at"
