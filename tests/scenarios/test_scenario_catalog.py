"""The catalog: shipped library plus the user's scenarios under MISFORTUNE_HOME."""

from pathlib import Path

import platformdirs
import pytest

from scenarios import catalog
from scenarios.catalog import (
    UnknownScenario,
    library_dir,
    list_scenarios,
    load_by_ref,
    resolve_scenario,
    user_data_dir,
)
from scenarios.loader import ScenarioError, load_scenario


def test_user_data_dir_follows_misfortune_home(monkeypatch, tmp_path):
    monkeypatch.setenv("MISFORTUNE_HOME", str(tmp_path / "home"))
    assert user_data_dir() == tmp_path / "home"
    monkeypatch.delenv("MISFORTUNE_HOME")
    assert user_data_dir() == Path(platformdirs.user_data_dir("misfortune"))


def test_user_scenario_is_listed(user_scenarios, minimal_text):
    (user_scenarios / "mini.yaml").write_text(minimal_text, encoding="utf-8")
    mine = [e for e in list_scenarios() if e.source == "user"]
    assert len(mine) == 1
    entry = mine[0]
    assert (entry.id, entry.title, entry.difficulty, entry.tags, entry.error) == ("mini-leak", "Mini leak", 1, (), None)
    assert entry.path == user_scenarios / "mini.yaml"


def test_broken_file_is_an_entry_with_its_error(user_scenarios):
    (user_scenarios / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    (entry,) = [e for e in list_scenarios() if e.source == "user"]
    assert entry.id == "broken"
    assert entry.error.startswith(f"{user_scenarios / 'broken.yaml'}:2:1: ")


def test_duplicate_id_is_an_error_not_a_shadow(user_scenarios, minimal_text):
    (user_scenarios / "a.yaml").write_text(minimal_text, encoding="utf-8")
    (user_scenarios / "b.yaml").write_text(minimal_text, encoding="utf-8")
    first, second = [e for e in list_scenarios() if e.source == "user"]
    assert first.error is None
    assert "already used by" in second.error
    assert resolve_scenario("mini-leak") == user_scenarios / "a.yaml"


def test_resolve_by_id_and_by_path(user_scenarios, minimal_text, tmp_path):
    (user_scenarios / "mini.yaml").write_text(minimal_text, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(minimal_text.replace("id: mini-leak", "id: other"), encoding="utf-8")
    assert resolve_scenario("mini-leak") == user_scenarios / "mini.yaml"
    assert resolve_scenario(str(elsewhere)) == elsewhere
    scenario, path = load_by_ref("mini-leak")
    assert (scenario.id, path) == ("mini-leak", user_scenarios / "mini.yaml")


def test_unknown_reference_suggests_and_lists_ids(user_scenarios, minimal_text):
    (user_scenarios / "mini.yaml").write_text(minimal_text, encoding="utf-8")
    with pytest.raises(UnknownScenario) as caught:
        resolve_scenario("mini-leek")
    message = str(caught.value)
    assert message.startswith("unknown scenario 'mini-leek'; did you mean 'mini-leak'? (known: ")
    assert "mini-leak" in message
    assert isinstance(caught.value, ScenarioError)


def test_missing_path_reference(tmp_path):
    with pytest.raises(UnknownScenario) as caught:
        resolve_scenario(str(tmp_path / "nope.yaml"))
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: no such file"


def test_broken_reference_loads_with_its_problems(user_scenarios):
    (user_scenarios / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_by_ref("broken")
    assert not isinstance(caught.value, UnknownScenario)


def test_library_is_package_data():
    assert library_dir() == Path(catalog.__file__).parent / "library"


@pytest.mark.parametrize("path", catalog.scenario_files(library_dir()), ids=lambda p: p.name)
def test_every_shipped_scenario_loads(path):
    assert load_scenario(path).id


def test_headers_are_parsed_once_per_text_and_an_edited_file_again(user_scenarios, minimal_text, monkeypatch):
    """Resolving an id reads every file's header: each text is parsed once per process (CI time: 40 ms a
    resolve before), but a file edited in place is read anew, also when it breaks."""
    probe = f"probe-{id(object())}"  # a text no earlier test in this process has cached
    path = user_scenarios / "probe.yaml"
    path.write_text(minimal_text.replace("id: mini-leak", f"id: {probe}"), encoding="utf-8")
    parsed: list[str] = []
    real_load = catalog.yaml.load

    def counting_load(text, *args, **kwargs):
        if probe in text:
            parsed.append(text)
        return real_load(text, *args, **kwargs)

    monkeypatch.setattr(catalog.yaml, "load", counting_load)
    assert resolve_scenario(probe) == path
    assert resolve_scenario(probe) == path
    assert [e.title for e in list_scenarios(validate=False) if e.id == probe] == ["Mini leak"]
    assert len(parsed) == 1, "the same text was parsed again"
    path.write_text(path.read_text(encoding="utf-8").replace("title: Mini leak", "title: Edited"), encoding="utf-8")
    assert [e.title for e in list_scenarios(validate=False) if e.id == probe] == ["Edited"]
    assert len(parsed) == 2
    path.write_text(f"id: [{probe}\n", encoding="utf-8")  # edited into a broken file: no stale header
    with pytest.raises(UnknownScenario):
        resolve_scenario(probe)
