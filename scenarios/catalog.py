"""Where scenarios live: the shipped library and the user's own scenarios directory.

Ids are unique across both: a user scenario reusing a shipped id is listed with an error rather than
silently shadowing (or being shadowed by) the shipped one.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
import yaml

from scenarios.language.scenario import Scenario
from scenarios.loader import ScenarioError, SourceProblem, load_scenario

HOME_ENV = "MISFORTUNE_HOME"
"""Environment variable that replaces the whole user data directory (scenarios, journals, history)."""

Source = Literal["shipped", "user"]
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: headers are read without positions."""


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


def list_scenarios(validate: bool = True) -> list[CatalogEntry]:
    """Every shipped then every user scenario, each group sorted by id.

    ``validate=False`` reads only each file's header (id, title, difficulty, tags) with the C YAML parser:
    a few milliseconds for the whole library instead of a second, for screens that must draw at once. Its
    entries carry an error only for files that are not YAML mappings with an id; :func:`validate_entry`
    checks one fully (every combination of its variables) later.
    """
    entries: list[CatalogEntry] = []
    taken: dict[str, CatalogEntry] = {}
    for group in _groups(_entry if validate else _header_entry):
        for entry in group:
            first = taken.get(entry.id) if entry.error is None else None
            if first is not None:
                entry = _failed(
                    entry.path, entry.source, f"id {entry.id!r} is already used by {first.path}; rename one"
                )
            elif entry.error is None:
                taken[entry.id] = entry
            entries.append(entry)
    return entries


def _groups(read: Callable[[Path, Source], CatalogEntry]) -> list[list[CatalogEntry]]:
    """The shipped then the user files read by ``read``, each group sorted by id (duplicates kept)."""
    return [
        sorted((read(path, source) for path in scenario_files(directory)), key=lambda e: e.id)
        for source, directory in (("shipped", library_dir()), ("user", user_scenarios_dir()))
    ]


def validate_entry(entry: CatalogEntry) -> CatalogEntry:
    """``entry`` after full validation: unchanged if its file loads, else an entry with the problems."""
    if entry.error is not None:
        return entry
    checked = _entry(entry.path, entry.source)
    return checked if checked.error is not None or checked.id != entry.id else entry


def resolve_scenario(ref: str) -> Path:
    """The file a reference names: a path to a file, or the id of a shipped or user scenario."""
    return _candidates(ref)[0]


def _candidates(ref: str) -> list[Path]:
    """Files ``ref`` may name, best first (shipped before user); raises UnknownScenario if none."""
    candidate = Path(ref).expanduser()
    if candidate.is_file():
        return [candidate]
    # Headers only: resolving one id must not validate the whole library (a second at start-up).
    entries = [entry for group in _groups(_header_entry) for entry in group]
    named = [entry for entry in entries if entry.id == ref]
    if named:
        # A file whose header reads wins over one that does not, whose errors show when it is loaded.
        return [entry.path for entry in sorted(named, key=lambda e: e.error is not None)]
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
    """Load the scenario a reference names (see resolve_scenario), with the file it came from.

    When several files claim the id, the first that validates wins; if none does, the first one's problems
    are raised.
    """
    paths = _candidates(ref)
    first_error: ScenarioError | None = None
    for path in paths:
        try:
            return load_scenario(path), path
        except ScenarioError as err:
            first_error = first_error or err
    assert first_error is not None
    raise first_error


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


def _header_entry(path: Path, source: Source) -> CatalogEntry:
    try:
        header = _header(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        header = None
    if header is None:
        return _entry(path, source)  # the full loader words the problem, with its place in the file
    return CatalogEntry(*header, path, source)


@functools.lru_cache(maxsize=256)
def _header(text: str) -> tuple[str, str, int | None, tuple[str, ...]] | None:
    """A file's id, title, difficulty and tags, or None when it is not a YAML mapping with an id.

    Cached by the text itself (an edited file is parsed again): resolving an id reads every file's
    header, and a process resolves many (each session start, command and test), 40 ms a time for the
    shipped library before the cache. Immutable, so callers cannot change what the next one gets.
    """
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    difficulty = data.get("difficulty")
    tags = data.get("tags")
    return (
        data["id"],
        str(data.get("title", "")),
        difficulty if isinstance(difficulty, int) else None,
        tuple(str(t) for t in tags) if isinstance(tags, list) else (),
    )


def _failed(path: Path, source: Source, error: str) -> CatalogEntry:
    return CatalogEntry(path.stem, "", None, (), path, source, error)
