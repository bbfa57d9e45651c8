"""Fuzzing the files a user hands over: scenarios, actions files and journals, mutated from real ones.

Every case must end in a clean error (exit 2, the message starting with the file's name, then line and
column where there is one) or a finished run: no traceback, no hang. Seeded; see fuzzkit for the long
profile. Each fuzzer prints its tally (run with -s): cases, clean errors, finished runs, tracebacks, hangs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fuzzkit import Tally, fuzz_settings, hostile_values, numeric_places, places, replaced
from hypothesis import given
from hypothesis import strategies as st

from scenarios.catalog import library_dir, load_by_ref
from scenarios.loader import load_scenario
from simulator.session.impact import shared_baselines
from simulator.session.runner import SessionError, run_session
from tui.cli import main

LIBRARY = {path.stem: path.read_text(encoding="utf-8") for path in sorted(library_dir().glob("*.yaml"))}
# libyaml when present (0.04 s instead of 0.39 s at every worker's collection): the same data as the pure
# Python safe loader for every shipped file (compared), so hypothesis draws the same cases.
PARSED = {name: yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) for name, text in LIBRARY.items()}
PLACES = {name: list(places(data)) for name, data in PARSED.items()}
ACTIONS_BASE = "checkout-oom-leak"
ACTIONS_DATA = PARSED[ACTIONS_BASE]["solution"]
ACTIONS_TEXT = yaml.safe_dump(ACTIONS_DATA, sort_keys=False)
TALLIES = {name: Tally(name) for name in ("scenarios", "actions files", "journals")}


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    for tally in TALLIES.values():
        if tally.counts["cases"]:
            print("\n" + tally.report())


@st.composite
def text_mutation(draw, text: str) -> str:
    """The text cut at a random byte offset, or a random slice of it replaced by random characters."""
    offset = draw(st.integers(0, len(text)))
    if draw(st.booleans()):
        return text[:offset]
    cut = draw(st.integers(0, 40))
    return text[:offset] + draw(st.text(max_size=20)) + text[offset + cut :]


@st.composite
def field_mutation(draw, data, paths: list[tuple]) -> object:
    """``data`` with one to three of its fields (at any depth, a number half the time) replaced by hostile
    values."""
    for _ in range(draw(st.integers(1, 3))):
        numbers = numeric_places(data)
        path = draw(st.sampled_from(numbers if numbers and draw(st.booleans()) else paths))
        data = replaced(data, path, draw(hostile_values))
        paths = list(places(data))
    return data


@st.composite
def mutated_scenario(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(LIBRARY)))
    if draw(st.integers(0, 3)) == 0:
        return name, draw(text_mutation(LIBRARY[name]))
    data = draw(field_mutation(PARSED[name], PLACES[name]))
    return name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def clean_error(code: int, err: str, path: Path) -> bool:
    """Exit 2 with every message naming the file first; exit 0 is a finished run."""
    assert code in (0, 2), (code, err[-3000:])
    if code == 2:
        assert err.startswith(str(path)), err[:3000]
        assert "Traceback" not in err
    return code == 2


@fuzz_settings(examples=250)
@given(case=mutated_scenario(), seed=st.integers(0, 2**32), with_solution=st.booleans())
def test_fuzz_mutated_scenarios(tmp_path, capsys, case, seed, with_solution):
    _, text = case
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    with TALLIES["scenarios"].case() as counts:
        code = main(["validate", str(path)])
        if clean_error(code, capsys.readouterr().err, path):
            counts["clean_errors"] += 1
            return
        scenario = load_scenario(path)
        try:
            _, report = run_session(scenario, seed, scenario.solution if with_solution else [], until=900.0)
        except SessionError:
            counts["clean_errors"] += 1  # the solution of a mutated scenario may not be playable
            return
        json.dumps(report.as_dict())
        counts["finished"] += 1


@st.composite
def mutated_actions(draw) -> str:
    if draw(st.integers(0, 2)) == 0:
        return draw(text_mutation(ACTIONS_TEXT))
    data = draw(field_mutation(ACTIONS_DATA, list(places(ACTIONS_DATA))))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@fuzz_settings(examples=100)
@given(text=mutated_actions())
def test_fuzz_mutated_actions_files(tmp_path, capsys, text):
    path = tmp_path / "actions.yaml"
    path.write_text(text, encoding="utf-8")
    with TALLIES["actions files"].case() as counts:
        code = main(["run", ACTIONS_BASE, "--actions", str(path), "--until", "20m", "--json"])
        captured = capsys.readouterr()
        if clean_error(code, captured.err, path):
            counts["clean_errors"] += 1
        else:
            json.loads(captured.out)
            counts["finished"] += 1


def _journal(tmp_path_factory, name: str) -> bytes:
    scenario, path = load_by_ref(name)
    journal = tmp_path_factory.mktemp("journals") / f"{name}.jsonl"
    run_session(scenario, 2, scenario.solution, journal_path=journal, scenario_path=path)
    return journal.read_bytes()


@pytest.fixture(scope="module")
def journals(tmp_path_factory) -> dict[str, bytes]:
    return {name: _journal(tmp_path_factory, name) for name in ("checkout-oom-leak", "retry-storm")}


@st.composite
def journal_mutation(draw, raw: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "field", "field", "field", "line"]))
    if kind == "truncate":  # at any byte, also inside a UTF-8 sequence or a record
        return raw[: draw(st.integers(0, len(raw)))]
    lines = raw.decode("utf-8").splitlines()
    if kind == "line":
        at = draw(st.integers(0, len(lines)))
        junk = draw(st.one_of(st.text(max_size=60), st.sampled_from(['{"type":"header"}', "[]", "null", "{}"])))
        return "\n".join([*lines[:at], junk, *lines[at:]]).encode("utf-8", "surrogatepass") + b"\n"
    index = draw(st.integers(0, len(lines) - 1))
    record = json.loads(lines[index])
    record = draw(field_mutation(record, list(places(record))))
    lines[index] = json.dumps(record)  # NaN and Infinity as JSON writes them
    return ("\n".join(lines) + "\n").encode("utf-8")


@st.composite
def mutated_journal(draw, journals: dict[str, bytes]) -> bytes:
    return draw(journal_mutation(journals[draw(st.sampled_from(sorted(journals)))]))


@pytest.fixture(scope="module")
def journal_strategy(journals):
    return mutated_journal(journals)


@pytest.fixture(autouse=True)
def _shared_journal_baselines(request):
    """The journal cases share their replays with nobody acting: most mutations leave the scenario and
    seed as they were, and every replay and postmortem scores against that same baseline (CI time; a
    mutated scenario or seed gets a replay of its own). A fixture, not a line in the test: hypothesis
    seeds its derandomized cases from the test's source, and the cases stay the ones they were."""
    if request.node.originalname != "test_fuzz_mutated_journals":
        yield
        return
    with shared_baselines():
        yield


@fuzz_settings(examples=150)
@given(data=st.data(), command=st.sampled_from([["replay", "--json"], ["postmortem"]]))
def test_fuzz_mutated_journals(tmp_path, capsys, journal_strategy, data, command):
    raw = data.draw(journal_strategy)
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(raw)
    with TALLIES["journals"].case() as counts:
        code = main([command[0], str(path), *command[1:]])
        if clean_error(code, capsys.readouterr().err, path):
            counts["clean_errors"] += 1
        else:
            counts["finished"] += 1


FOUND = [
    # (record, field, value): what the long journal fuzz found; each crashed replay with a traceback.
    (1, "type", []),  # TypeError: unhashable type: 'list' (the record kind looked up in a dict)
    (1, "type", {"a": 1}),
    (0, "scenario_sha256", float("nan")),  # TypeError slicing a float (before the journal-session schema)
]


@pytest.mark.parametrize(("record", "field", "value"), FOUND)
def test_what_the_fuzzers_found_stays_fixed(tmp_path, capsys, journals, record, field, value):
    lines = journals["checkout-oom-leak"].decode("utf-8").splitlines()
    changed = json.loads(lines[record])
    changed[field] = value
    lines[record] = json.dumps(changed)
    path = tmp_path / "found.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["replay", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"{path}:{record + 1}: ")
