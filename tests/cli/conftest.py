"""Fixtures for the headless commands: the shipped scenario, an actions file, a user copy of a scenario."""

from pathlib import Path

import pytest
from headless_kit import SHIPPED, SOLUTION_ACTIONS

from scenarios.catalog import library_dir


@pytest.fixture
def actions_file(tmp_path) -> Path:
    """An actions file that resolves the shipped leak (one action of it is rejected)."""
    path = tmp_path / "actions.yaml"
    path.write_text(SOLUTION_ACTIONS, encoding="utf-8")
    return path


@pytest.fixture
def user_scenario(monkeypatch, tmp_path):
    """A factory: copy the shipped scenario into the user directory under a new id, with text replaced."""
    home = tmp_path / "home"
    monkeypatch.setenv("MISFORTUNE_HOME", str(home))
    directory = home / "scenarios"
    directory.mkdir(parents=True)

    def make(new_id: str, replacements: dict[str, str] | None = None) -> Path:
        text = (library_dir() / f"{SHIPPED}.yaml").read_text(encoding="utf-8")
        text = text.replace(f"id: {SHIPPED}", f"id: {new_id}", 1)
        for old, new in (replacements or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        path = directory / f"{new_id}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return make
