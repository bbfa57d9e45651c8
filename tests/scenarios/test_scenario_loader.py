"""The loader: safe YAML, every problem at once, each as file:line:col: path: message."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from scenarios.loader import ScenarioError, SourceProblem, load_actions, load_scenario, load_scenario_text

# (case, text replaced in the minimal scenario, replacement, the problem line expected to start with)
BROKEN = [
    ("yaml syntax", "title: Mini leak", "title: Mini: leak", "t.yaml:2:12: mapping values are not allowed here"),
    (
        "tab indentation",
        "    - name: checkout",
        "\t- name: checkout",
        "t.yaml:13:1: tab character in indentation; YAML is indented with spaces only",
    ),
    (
        "unknown top-level field",
        "difficulty: 1\n",
        "difficulty: 1\ntag: [memory]\n",
        "t.yaml:4:1: tag: unknown field 'tag'; did you mean 'tags'?",
    ),
    (
        "unknown field, nothing close",
        "difficulty: 1\n",
        "difficulty: 1\nzzz: 1\n",
        "t.yaml:4:1: zzz: unknown field 'zzz'; valid: id, title, difficulty, tags,",
    ),
    (
        "unknown nested field",
        "replicas: 2\n      calls",
        "replica: 2\n      calls",
        "t.yaml:11:7: topology.services[0].replica: unknown field 'replica'; did you mean 'replicas'?",
    ),
    (
        "wrong type",
        "replicas: 2\n      version",
        "replicas: two\n      version",
        "t.yaml:14:17: topology.services[1].replicas: Input should be a valid integer, "
        "unable to parse string as an integer",
    ),
    (
        "bad duration",
        "duration: 1h",
        "duration: 5 minutes",
        "t.yaml:5:11: duration: '5 minutes' is not a duration; write it like 90s, 5m, 1h30m or -35m",
    ),
    (
        "negative replicas",
        "replicas: 2\n      version",
        "replicas: -1\n      version",
        "t.yaml:14:17: topology.services[1].replicas: Input should be greater than or equal to 1",
    ),
    (
        "leak rate not positive",
        "mb_per_min: 8",
        "mb_per_min: 0",
        "t.yaml:21:17: faults[0].mb_per_min: Input should be greater than 0",
    ),
    (
        "unknown fault type",
        "type: memory_leak",
        "type: memory_leek",
        "t.yaml:17:11: faults[0].type: unknown fault type 'memory_leek'; did you mean 'memory_leak'? "
        "(valid: memory_leak, bad_deploy, bad_config, zone_outage, latency, bad_flag, traffic_surge, cache_failure, "
        "disk_fill, cert_expiry, pool_leak",  # later fault types follow in the list
    ),
    (
        "fault without type",
        "  - type: memory_leak\n    at: 0s",
        "  - at: 0s",
        "t.yaml:17:5: faults[0]: missing 'type': the fault type, "
        "one of memory_leak, bad_deploy, bad_config, zone_outage",
    ),
    (
        "fault not a mapping",
        "faults:\n",
        "faults:\n  - memory_leak\n",
        "t.yaml:17:5: faults[0]: expected a mapping of fields (key: value), not a single value ('memory_leak')",
    ),
    (
        "unknown action in solution",
        "action: resolve",
        "action: fix",
        "t.yaml:26:23: solution[2].action: unknown action 'fix'; valid: ack, set_severity, escalate,",
    ),
    (
        "unknown service in calls",
        "{checkout: 1.0}",
        "{checkout: 1.0, payments: 0.5}",
        "t.yaml:12:30: topology.services[0].calls.payments: unknown service 'payments'; "
        "known services: checkout, frontend",
    ),
    (
        "service name not kebab-case in calls",
        "{checkout: 1.0}",
        "{Checkout: 1.0}",
        "t.yaml:12:15: topology.services[0].calls.Checkout: 'Checkout' must be kebab-case",
    ),
    (
        "cyclic calls",
        "      version: v2.0.0\n",
        "      version: v2.0.0\n      calls: {frontend: 1}\n",
        "t.yaml:12:14: topology.services[0].calls: cyclic call graph: frontend -> checkout -> frontend",
    ),
    (
        "fault after the end",
        "at: 0s",
        "at: 2h",
        "t.yaml:18:9: faults[0].at: time 7200s is outside the scenario (0 to duration 3600s)",
    ),
    (
        "solution not ending with resolve",
        "  - {at: 20m, action: resolve}\n",
        "",
        "t.yaml:25:5: solution[1]: the solution must end with a resolve action",
    ),
    (
        "solution step the scenario cannot offer",
        "  - {at: 20m, action: resolve}\n",
        "  - {at: 19m, action: restore_backup, service: checkout, backup: nightly}\n  - {at: 20m, action: resolve}\n",
        "t.yaml:26:23: solution[2].action: 'restore_backup' cannot apply in this scenario: no database",
    ),
    (
        "trap nobody can fall into",
        "solution:\n",
        "traps:\n  - {match: {action: shed_class}, why: shedding hurts}\nsolution:\n",
        "t.yaml:24:22: traps[0].match.action: a trap nobody can fall into: 'shed_class' cannot apply here",
    ),
    (
        "missing required field",
        "briefing: Checkout pods keep restarting.\n",
        "",
        "t.yaml:1:1: missing required field 'briefing'",
    ),
    (
        "missing nested field",
        "    service: checkout\n",
        "",
        "t.yaml:17:5: faults[0]: missing required field 'service'",
    ),
    (
        "duplicate service",
        "      version: v2.0.0\n",
        "      version: v2.0.0\n    - {name: frontend}\n",
        "t.yaml:16:14: topology.services[2].name: duplicate service name 'frontend'",
    ),
    (
        "unknown zone",
        "root_cause",
        "  - {type: zone_outage, zone: zone-c}\nroot_cause",
        "t.yaml:22:31: faults[1].zone: unknown zone 'zone-c'; zones: zone-a, zone-b",
    ),
    (
        "unknown slo service",
        "{service: frontend, availability",
        "{service: front, availability",
        "t.yaml:6:16: slo.service: unknown service 'front'",
    ),
    (
        "id not kebab-case",
        "id: mini-leak",
        "id: Mini_Leak",
        "t.yaml:1:5: id: 'Mini_Leak' must be kebab-case (lowercase letters, digits and dashes)",
    ),
    (
        "memory base above limit",
        "      version: v2.0.0\n",
        "      version: v2.0.0\n      memory: {base: 2000}\n",
        "t.yaml:16:15: topology.services[1].memory: base (2000.0 MB) must be below limit (1024.0 MB)",
    ),
    (
        "version read as a number",
        "      version: v2.0.0",
        "      version: 1.10",
        "t.yaml:15:16: topology.services[1].version: Input should be a valid string; put the value in quotes",
    ),
    ("duplicate key", "difficulty: 1\n", "difficulty: 1\ndifficulty: 2\n", "t.yaml:4:1: duplicate key 'difficulty'"),
    (
        "key read as a boolean",
        "difficulty: 1\n",
        "difficulty: 1\non: 1\n",
        "t.yaml:4:1: key True is read by YAML as a boolean, not text; put it in quotes",
    ),
    (
        "control character",
        "title: Mini leak",
        "title: Mini\x07leak",
        "t.yaml:2:12: control character U+0007 is not allowed in YAML; remove it",
    ),
]


def problems_of(text: str, filename: str = "t.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, filename)
    return caught.value


def test_minimal_scenario_is_valid(minimal_text):
    scenario = load_scenario_text(minimal_text, "t.yaml")
    assert scenario.id == "mini-leak"
    assert scenario.duration == 3600.0
    assert [s.name for s in scenario.topology.services] == ["frontend", "checkout"]


def test_the_same_text_is_validated_once_and_a_broken_one_every_time(minimal_text):
    first = load_scenario_text(minimal_text, "t.yaml")
    assert load_scenario_text(minimal_text, "t.yaml") is first  # the library is not re-validated per screen
    with pytest.raises(ValidationError):
        first.title = "shared by every caller, so it must be frozen"
    edited = load_scenario_text(minimal_text.replace("title: Mini leak", "title: Mini leak, edited"), "t.yaml")
    assert edited is not first and edited.title == "Mini leak, edited" and first.title == "Mini leak"
    assert load_scenario_text(minimal_text, "other.yaml") is not first  # the name is in its messages
    broken = minimal_text.replace("difficulty: 1", "difficulty: 99")
    for _ in range(2):
        with pytest.raises(ScenarioError) as err:
            load_scenario_text(broken, "t.yaml")
        assert str(err.value).startswith("t.yaml:3:13: difficulty:"), str(err.value)


@pytest.mark.parametrize(("old", "new", "expected"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_file_reports_position_path_and_message(minimal_text, old, new, expected):
    assert old in minimal_text
    err = problems_of(minimal_text.replace(old, new, 1))
    lines = [str(problem) for problem in err.problems]
    assert any(line.startswith(expected) for line in lines), lines


def test_every_problem_is_reported_at_once(minimal_text):
    text = (
        minimal_text.replace("difficulty: 1", "difficulty: 9")
        .replace("replicas: 2\n      calls", "replica: 2\n      calls")
        .replace("mb_per_min: 8", "mb_per_min: -1")
        .replace("action: resolve", "action: resolv")
    )
    err = problems_of(text)
    assert [str(p) for p in err.problems] == [
        "t.yaml:3:13: difficulty: Input should be less than or equal to 5",
        "t.yaml:11:7: topology.services[0].replica: unknown field 'replica'; did you mean 'replicas'?",
        "t.yaml:21:17: faults[0].mb_per_min: Input should be greater than 0",
        "t.yaml:26:23: solution[2].action: unknown action 'resolv'; did you mean 'resolve'? (valid: "
        + err.problems[3].message.split("(valid: ")[1],
    ]


def test_cross_checks_are_all_reported(minimal_text):
    text = minimal_text.replace("{service: frontend, avail", "{service: front, avail").replace("at: 0s", "at: 3h")
    err = problems_of(text)
    assert [(p.line, p.path) for p in err.problems] == [(6, "slo.service"), (18, "faults[0].at")]


def test_message_shows_source_line_with_caret(minimal_text):
    err = problems_of(minimal_text.replace("mb_per_min: 8", "mb_per_min: 0"), "scenarios/x.yaml")
    assert str(err).splitlines() == [
        "scenarios/x.yaml:21:17: faults[0].mb_per_min: Input should be greater than 0",
        "   21 |     mb_per_min: 0",
        "      |                 ^",
    ]


def test_only_the_first_problems_show_source(minimal_text):
    text = minimal_text.replace(
        "version: v2.0.0\n", "version: v2.0.0\n      a: 1\n      b: 2\n      c: 3\n      d: 4\n", 1
    )
    err = problems_of(text)
    assert len(err.problems) == 4
    assert sum(line.lstrip().startswith("|") for line in str(err).splitlines()) == 3


def test_problem_is_a_frozen_record():
    problem = SourceProblem("a.yaml", 3, 5, "faults[0].at", "bad")
    assert str(problem) == "a.yaml:3:5: faults[0].at: bad"
    assert str(SourceProblem("a.yaml", 0, 0, "", "no such file")) == "a.yaml: no such file"
    with pytest.raises(AttributeError):
        problem.line = 4


def test_safe_loader_rejects_python_objects(minimal_text):
    err = problems_of(minimal_text.replace("title: Mini leak", "title: !!python/object/apply:os.system [echo hi]"))
    assert str(err.problems[0]) == (
        "t.yaml:2:8: YAML tag '!!python/object/apply:os.system' is not allowed: "
        "scenario files hold plain data (mappings, lists, text, numbers)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "t.yaml: the file is empty"),
        ("# only a comment\n", "t.yaml: the file is empty"),
        ("- id: x\n", "t.yaml:1:1: the top level must be a mapping of scenario fields (id, title, ...), not a list"),
        (
            "just text\n",
            "t.yaml:1:1: the top level must be a mapping of scenario fields (id, title, ...), not a single",
        ),
        ("id: a\n---\nid: b\n", "t.yaml:2:1: found a second YAML document (after ---); a file holds exactly one"),
    ],
)
def test_file_level_problems(text, expected):
    err = problems_of(text)
    assert len(err.problems) == 1
    assert str(err.problems[0]).startswith(expected)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: no such file"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, not a YAML file"


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: x\ntitle: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}:2:11: not UTF-8 text (byte 0xe9 cannot be decoded); save the file as UTF-8"


def test_load_scenario_from_file(tmp_path, minimal_text):
    path = tmp_path / "mini.yaml"
    path.write_text(minimal_text, encoding="utf-8")
    assert load_scenario(path).title == "Mini leak"
    assert load_scenario(str(path)).title == "Mini leak"


def test_yaml_anchors_and_merge_keys_are_plain_data(minimal_text):
    text = minimal_text.replace(
        "    - name: checkout\n      replicas: 2\n",
        "    - &svc\n      name: checkout\n      replicas: 2\n",
    )
    assert load_scenario_text(text, "t.yaml").service("checkout").replicas == 2


# --- actions files -----------------------------------------------------------------------------


def write(tmp_path, text, name="actions.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_actions(tmp_path):
    path = write(tmp_path, "- {at: 2m, action: ack}\n- {at: 9m, action: rollback_deploy, service: checkout}\n")
    actions = load_actions(path)
    assert [(a.at, a.action) for a in actions] == [(120.0, "ack"), (540.0, "rollback_deploy")]
    assert actions[1].service == "checkout"


def test_load_actions_reports_every_problem(tmp_path):
    path = write(
        tmp_path,
        "- {at: 2m, action: ak}\n- {action: note, text: hi}\n- {at: 5m, action: scale, service: checkout}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_actions(path)
    lines = [str(p) for p in caught.value.problems]
    assert lines[0].startswith(f"{path}:1:20: [0].action: unknown action 'ak'; did you mean 'ack'?")
    assert lines[1] == f"{path}:3:3: [2]: missing required field 'replicas'"
    assert len(lines) == 2


def test_actions_need_a_time(tmp_path):
    path = write(tmp_path, "- {at: 2m, action: ack}\n- {action: resolve}\n- {at: -1m, action: ack}\n")
    with pytest.raises(ScenarioError) as caught:
        load_actions(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2:3: [1].at: every action in an actions file needs an 'at' time",
        f"{path}:3:8: [2].at: an action cannot happen before the incident starts (at must be 0 or later)",
    ]


def test_actions_file_must_be_a_list(tmp_path):
    path = write(tmp_path, "actions:\n  - {at: 2m, action: ack}\n")
    with pytest.raises(ScenarioError) as caught:
        load_actions(path)
    assert str(caught.value.problems[0]).startswith(f"{path}:1:1: an actions file is a YAML list like")
    assert str(caught.value.problems[0]).endswith("not a mapping")


def test_scenarios_package_imports_neither_simulator_nor_textual():
    code = "import sys, scenarios; assert not {'simulator', 'textual'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
