"""Where scenarios live: the shipped library and the user's own scenarios directory.

Ids are unique across both: a user scenario reusing a shipped id is listed with an error rather than
silently shadowing (or being shadowed by) the shipped one.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

from scenarios.language.scenario import Scenario
from scenarios.loader import ScenarioError, SourceProblem, load_scenario

HOME_ENV = "MISFORTUNE_HOME"
"""Environment variable that replaces the whole user data directory (scenarios, journals, history)."""

Source = Literal["shipped", "user"]


def user_data_dir() -> Path:
    """The directory misfortune keeps user data in: ``$MISFORTUNE_HOME`` or the platform's data dir."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("misfortune"))


def user_scenarios_dir() -> Path:
    """Where users put their own scenario files (may not exist yet)."""
    return user_data_dir() / "scenarios"


def library_dir() -> Path:
    """The shipped scenario library (package data)."""
    return Path(__file__).parent / "library"


@dataclass(frozen=True)
class CatalogEntry:
    """A scenario file found in the library or the user directory.

    A file that fails to load is still listed: its id is the file name, and ``error`` holds the problems.
    """

    id: str
    title: str
    difficulty: int | None
    tags: tuple[str, ...]
    path: Path
    source: Source
    error: str | None = None


class UnknownScenario(ScenarioError):
    """A scenario reference that is neither a known id nor a file."""


def list_scenarios() -> list[CatalogEntry]:
    """Every shipped then every user scenario, each group sorted by id."""
    entries: list[CatalogEntry] = []
    taken: dict[str, CatalogEntry] = {}
    for source, directory in (("shipped", library_dir()), ("user", user_scenarios_dir())):
        group = [_entry(path, source) for path in scenario_files(directory)]
        for entry in sorted(group, key=lambda e: e.id):
            first = taken.get(entry.id) if entry.error is None else None
            if first is not None:
                entry = _failed(entry.path, source, f"id {entry.id!r} is already used by {first.path}; rename one")
            elif entry.error is None:
                taken[entry.id] = entry
            entries.append(entry)
    return entries


def resolve_scenario(ref: str) -> Path:
    """The file a reference names: a path to a file, or the id of a shipped or user scenario."""
    candidate = Path(ref).expanduser()
    if candidate.is_file():
        return candidate
    entries = list_scenarios()
    # A scenario that loads wins over a broken file of the same name, whose errors show when it is loaded.
    for entry in sorted(entries, key=lambda e: e.error is not None):
        if entry.id == ref:
            return entry.path
    if candidate.exists() or _looks_like_path(ref):
        what = "is a directory, not a scenario file" if candidate.is_dir() else "no such file"
        raise UnknownScenario([SourceProblem(ref, 0, 0, "", what)])
    ids = [entry.id for entry in entries]
    message = f"unknown scenario {ref!r}"
    close = difflib.get_close_matches(ref, ids, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    if ids:
        message += f" (known: {', '.join(ids)})"
    else:
        message += f"; no scenarios found (yours go in {user_scenarios_dir()})"
    raise UnknownScenario([SourceProblem("", 0, 0, "", message)])


def load_by_ref(ref: str) -> tuple[Scenario, Path]:
    """Load the scenario a reference names (see resolve_scenario), with the file it came from."""
    path = resolve_scenario(ref)
    return load_scenario(path), path


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or os.sep in ref or ref.endswith((".yaml", ".yml"))


def scenario_files(directory: Path) -> list[Path]:
    """The *.yaml and *.yml files directly inside ``directory`` (none if it does not exist), sorted."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _entry(path: Path, source: Source) -> CatalogEntry:
    try:
        sc = load_scenario(path)
    except ScenarioError as err:
        return _failed(path, source, "\n".join(str(problem) for problem in err.problems))
    return CatalogEntry(sc.id, sc.title, sc.difficulty, tuple(sc.tags), path, source)


def _failed(path: Path, source: Source, error: str) -> CatalogEntry:
    return CatalogEntry(path.stem, "", None, (), path, source, error)
