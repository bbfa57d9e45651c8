"""Load scenario and actions files: safe YAML, source positions, every problem at once.

Every problem reads ``file:line:col: path.to.field: message``. The YAML is parsed with a
``yaml.SafeLoader`` subclass; positions of every mapping key, value and sequence item are kept beside
the plain data (the idea of dagster's ``source_position``), so pydantic errors and cross-check
problems map back to the place in the file an author has to fix.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_origin

import yaml
from pydantic import ValidationError

from scenarios.language.actions import ACTION_LIST_ADAPTER, Action
from scenarios.language.bounds import scenario_bound_problems
from scenarios.language.checks import cross_check
from scenarios.language.offer import unavailable_actions
from scenarios.language.scenario import Scenario
from scenarios.language.variants import combinations, placeholder_places, substitute
from scenarios.limits import (
    MAX_ACTIONS,
    MAX_FILE_BYTES,
    MAX_VARIANT_WORK,
    MAX_VARIANTS,
    MAX_YAML_DEPTH,
    yaml_shape_problem,
)
from scenarios.type_paths import Loc, data_path, discriminator_tags, field_names, unwrap

Pos = tuple[int, int]

EXCERPTS = 3
"""How many problems of an error message show their source line with a caret."""

_TOO_DEEP = f"nesting is deeper than {MAX_YAML_DEPTH} levels of lists and mappings"
_ACTIONS_EXAMPLE = "- {at: 9m, action: rollback_deploy, service: checkout}"
_TAG_NOUNS = {"type": "fault type", "action": "action"}


@dataclass(frozen=True)
class SourceProblem:
    """One problem of a file; ``line`` and ``col`` are 1-based, 0 when it concerns the whole file."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        return ": ".join(part for part in (where, self.path, self.message) if part)


class ScenarioError(Exception):
    """A scenario or actions file that cannot be used, with every problem found in it."""

    def __init__(self, problems: Iterable[SourceProblem], sources: Mapping[str, str] | None = None):
        self.problems: list[SourceProblem] = sorted(problems, key=lambda p: (p.line, p.col))
        self.sources: dict[str, str] = dict(sources or {})
        super().__init__(str(self))

    def __str__(self) -> str:
        lines: list[str] = []
        for n, problem in enumerate(self.problems):
            lines.append(str(problem))
            if n < EXCERPTS:
                lines.extend(_excerpt(self.sources.get(problem.file), problem.line, problem.col))
        return "\n".join(lines)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError listing every problem."""
    return load_scenario_text(_read_text(path), str(path))


# Validating a scenario parses it with positions and checks every variant (~50 ms each; the library is a
# second): the home screen re-checks the whole library each time it opens, and the tests and verify load
# the same files again and again. The result depends on the text and the name alone and a Scenario is
# frozen, so the same text gives back the same object; an invalid text raises anew each time.
@functools.lru_cache(maxsize=64)
def load_scenario_text(text: str, filename: str) -> Scenario:
    """Validate scenario YAML text; ``filename`` only names the source in messages.

    The same ``(text, filename)`` returns the same (frozen) Scenario: validated once per process.
    """
    data, positions, problems = _parse(text, filename)
    if not isinstance(data, dict):
        found = _kind_of(data)
        raise _error(
            filename, text, 1, 1, f"the top level must be a mapping of scenario fields (id, title, ...), not {found}"
        )
    variables = data.get("variables")
    _check_variants(variables, text, filename, positions)
    assignments = combinations(variables) if _variables_ok(variables) else [{}]
    declared = set(variables) if isinstance(variables, dict) else set()
    problems += _undeclared(data, declared, positions, text, filename)
    first: Scenario | None = None
    lines = text.splitlines()
    for n, values in enumerate(assignments):
        # Every variant must be valid: validate each combination of variable values. A problem names the
        # variant only when it depends on it: its line uses a variable, or earlier variants were fine.
        def noted(found: list[SourceProblem], n: int = n, values: dict[str, str] = values) -> list[SourceProblem]:
            return [_with_variant(p, values) if n or _uses_variable(lines, p.line) else p for p in found]

        try:
            scenario = Scenario.model_validate(substitute(data, values) if values else data)
        except ValidationError as exc:
            problems += noted(_validation_problems(exc, Scenario, positions, filename))
            raise ScenarioError(problems, {filename: text}) from None
        found = []
        for loc, message in [*cross_check(scenario), *scenario_bound_problems(scenario)]:
            line, col = positions.find(loc, at_key=_names_key(Scenario, loc, message))
            found.append(SourceProblem(filename, line, col, format_path(loc), message))
        problems += noted(found)
        if first is None:
            first = scenario.with_template(data, values) if values else scenario
        if problems:
            break
    if problems:
        raise ScenarioError(problems, {filename: text})
    assert first is not None
    return first


def _undeclared(
    data: Any, declared: set[str], positions: SourceMap, text: str, filename: str, where: str = "variables"
) -> list[SourceProblem]:
    """Each use of a ``${name}`` that is not among ``declared``, at the place it is written."""
    out = []
    for name, loc in placeholder_places(data):
        if name in declared:
            continue
        line, col = _placeholder_position(positions.find(loc), name, text)
        known = f"declared: {', '.join(sorted(declared))}" if declared else "there are none"
        message = f"${{{name}}} is not one of {where} ({known}); declare it or fix the name"
        out.append(SourceProblem(filename, line, col, format_path(loc), message))
    return out


def _placeholder_position(pos: Pos, name: str, text: str) -> Pos:
    """The column of ``${name}`` on the value's line (the value's start when it is not there)."""
    line, col = pos
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        found = lines[line - 1].find("${" + name + "}", col - 1)
        if found >= 0:
            return line, found + 1
    return pos


def _variables_ok(variables: Any) -> bool:
    """Whether ``variables`` is shaped right for substitution (the model reports it otherwise)."""
    return (
        isinstance(variables, dict)
        and bool(variables)
        and all(isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in variables.values())
    )


def _check_variants(variables: Any, text: str, filename: str, positions: SourceMap) -> None:
    """Refuse variables whose combinations (each validated in full) would take too long to check."""
    if not _variables_ok(variables):
        return
    count = math.prod(len(values) for values in variables.values())
    values = len(positions.values)  # values of one variant (each place in the file once)
    if count > MAX_VARIANTS or count * values > MAX_VARIANT_WORK:
        line, col = positions.find(("variables",))
        raise _error(
            filename,
            text,
            line,
            col,
            f"variables: {count:,} combinations of values are too many to check (at most {MAX_VARIANTS}, "
            f"and fewer for a long file); use fewer variables or fewer values",
        )


def _with_variant(problem: SourceProblem, values: dict[str, str]) -> SourceProblem:
    if not values:
        return problem
    shown = ", ".join(f"{k}={v}" for k, v in values.items())
    return SourceProblem(problem.file, problem.line, problem.col, problem.path, f"{problem.message} (with {shown})")


def _uses_variable(lines: list[str], line: int) -> bool:
    return 1 <= line <= len(lines) and "${" in lines[line - 1]


def load_actions(
    path: str | Path, values: Mapping[str, str] | None = None, scenario: Scenario | None = None
) -> list[Action]:
    """Read an actions file (a YAML list of timed actions); raise ScenarioError listing every problem.

    ``values`` are the scenario's variables as the seed chose them: ``${name}`` in the file takes them;
    with ``scenario``, an action that cannot apply to its system (a data action where no database keeps
    data) is a problem too."""
    return load_actions_text(_read_text(path), str(path), values, scenario)


def load_actions_text(
    text: str, filename: str, values: Mapping[str, str] | None = None, scenario: Scenario | None = None
) -> list[Action]:
    """Validate actions YAML text such as ``- {at: 9m, action: rollback_deploy, service: checkout}``, with
    ``${name}`` replaced by ``values`` (the scenario's variables for the seed played), and, given the
    ``scenario``, refuse actions its system has nothing for."""
    data, positions, problems = _parse(text, filename)
    if not isinstance(data, list):
        found = _kind_of(data)
        raise _error(filename, text, 1, 1, f"an actions file is a YAML list like '{_ACTIONS_EXAMPLE}', not {found}")
    if len(data) > MAX_ACTIONS:
        raise _error(filename, text, 1, 1, f"{len(data):,} actions are too many for one file (at most {MAX_ACTIONS:,})")
    values = dict(values or {})
    problems += _undeclared(data, set(values), positions, text, filename, "the scenario's variables")
    data = substitute(data, values) if values else data
    try:
        actions = ACTION_LIST_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems += _validation_problems(exc, list[Action], positions, filename)
        raise ScenarioError(problems, {filename: text}) from None
    for i, act in enumerate(actions):
        message = None
        if act.at is None:
            message = "every action in an actions file needs an 'at' time"
        elif act.at < 0:
            message = "an action cannot happen before the incident starts (at must be 0 or later)"
        if message:
            line, col = positions.find((i, "at"))
            problems.append(SourceProblem(filename, line, col, format_path((i, "at")), message))
    unavailable = unavailable_actions(scenario) if scenario is not None else {}
    for i, act in enumerate(actions):
        why = unavailable.get(act.action)
        if why is not None:
            line, col = positions.find((i, "action"))
            message = f"{act.action!r} cannot apply in scenario {scenario.id!r}: {why}; remove this action"
            problems.append(SourceProblem(filename, line, col, format_path((i, "action")), message))
    if problems:
        raise ScenarioError(problems, {filename: text})
    return actions


def format_path(loc: Loc) -> str:
    """``("topology", "services", 1, "calls", "payments")`` -> ``topology.services[1].calls.payments``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out


# --- reading and parsing -----------------------------------------------------------------------


def _read_text(path: str | Path) -> str:
    """The file's text, refusing before reading what is not a regular file or is over the size limit."""
    name, file = str(path), Path(path)
    try:
        info = file.stat()
    except FileNotFoundError:
        raise _error(name, None, 0, 0, "no such file") from None
    except OSError as exc:
        raise _error(name, None, 0, 0, f"cannot read the file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise _error(name, None, 0, 0, "is a directory, not a YAML file")
    if not stat.S_ISREG(info.st_mode):  # a device or a pipe could block or never end
        raise _error(name, None, 0, 0, "is not a regular file (a device, pipe or socket); give a YAML file")
    if info.st_size > MAX_FILE_BYTES:
        raise _error(name, None, 0, 0, _too_big(info.st_size))
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    except OSError as exc:
        raise _error(name, None, 0, 0, f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _error(name, None, 0, 0, _too_big(len(raw)))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded); save the file as UTF-8"
        raise _error(name, None, line, col, message) from None


def _too_big(size: int) -> str:
    return f"the file is {size:,} bytes, more than the limit of {MAX_FILE_BYTES:,}; a scenario is far smaller"


@dataclass
class SourceMap:
    """Where each part of the parsed data came from: paths of keys, values and items -> (line, col)."""

    values: dict[Loc, Pos] = field(default_factory=dict)
    keys: dict[Loc, Pos] = field(default_factory=dict)

    def find(self, loc: Loc, at_key: bool = False) -> Pos:
        """Position of ``loc``, or of its nearest ancestor present in the file (defaults have none)."""
        if at_key and loc in self.keys:
            return self.keys[loc]
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.values:
                return self.values[loc[:end]]
        return (1, 1)


class _PositionLoader(yaml.SafeLoader):
    """SafeLoader that also reports duplicate keys, which plain PyYAML silently lets the last one win."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[tuple[yaml.Node, str]] = []
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        # The composer recurses once per level: refuse deep nesting before Python's stack runs out.
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH + 1:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, _TOO_DEEP, mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # Checked before merge keys (<<) are flattened in: overriding a merged key is not a duplicate.
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                ident = (key_node.tag, key_node.value)
                if ident in seen:
                    self.duplicates.append((key_node, key_node.value))
                seen.add(ident)
        super().flatten_mapping(node)


def _parse(text: str, filename: str) -> tuple[Any, SourceMap, list[SourceProblem]]:
    """Plain data, its source map and the problems that do not stop validation (duplicate keys)."""
    if len(text) > MAX_FILE_BYTES:  # text handed over directly, not read by _read_text
        raise _error(filename, None, 0, 0, _too_big(len(text.encode("utf-8", "replace"))))
    loader = None
    try:
        shape = yaml_shape_problem(text)
        if shape is not None:
            raise _error(filename, text, *shape)
        loader = _PositionLoader(text)  # the reader rejects control characters right here
        node = loader.get_single_node()
        if node is None:
            raise _error(filename, text, 0, 0, "the file is empty")
        data = loader.construct_document(node)
        positions = SourceMap()
        _record(loader, node, (), positions, set())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise _error(filename, text, line, col, _yaml_message(exc)) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"control character U+{code:04X} is not allowed in YAML; remove it"
        raise _error(filename, text, line, col, message) from None
    finally:
        if loader is not None:
            loader.dispose()
    problems = [
        SourceProblem(filename, key.start_mark.line + 1, key.start_mark.column + 1, "", f"duplicate key {name!r}")
        for key, name in loader.duplicates
    ]
    return data, positions, problems


def _record(loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, positions: SourceMap, seen: set[int]) -> None:
    positions.values.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
    if id(node) in seen:  # an alias: its content is recorded where the anchor is; also stops cycles
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record(loader, item, (*loc, i), positions, seen)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = (*loc, key)
            positions.keys.setdefault(child, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            _record(loader, value_node, child, positions, seen)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem:
        return "tab character in indentation; YAML is indented with spaces only"
    constructor = re.match(r"could not determine a constructor for the tag '(.*)'", problem)
    if constructor:
        tag = constructor.group(1).replace("tag:yaml.org,2002:", "!!")
        return f"YAML tag '{tag}' is not allowed: scenario files hold plain data (mappings, lists, text, numbers)"
    if problem == "mapping values are not allowed here":
        return f"{problem}: a ': ' inside a value starts a mapping; put the value in quotes"
    if problem == "but found another document":
        return "found a second YAML document (after ---); a file holds exactly one"
    if exc.context and exc.context_mark and exc.context_mark.line != getattr(exc.problem_mark, "line", None):
        where = f"line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
        return f"{problem} ({exc.context} at {where})"
    return problem


def _kind_of(data: Any) -> str:
    if isinstance(data, dict):
        return "a mapping"
    if isinstance(data, list):
        return "a list"
    shown = repr(data)
    return f"a single value ({shown if len(shown) <= 60 else shown[:57] + '...'})"


def _error(filename: str, text: str | None, line: int, col: int, message: str) -> ScenarioError:
    return ScenarioError([SourceProblem(filename, line, col, "", message)], {filename: text} if text else None)


def _excerpt(text: str | None, line: int, col: int) -> list[str]:
    if not text or line < 1:
        return []
    source = text.splitlines()
    if line > len(source):
        return []
    shown = source[line - 1].replace("\t", " ")  # YAML counts a tab as one column
    gutter = f"{line:>5} | "
    return [gutter + shown, " " * (len(gutter) - 2) + "| " + " " * (col - 1) + "^"]


# --- pydantic errors -> source problems --------------------------------------------------------


def _validation_problems(exc: ValidationError, root: Any, positions: SourceMap, filename: str) -> list[SourceProblem]:
    return [_problem(error, root, positions, filename) for error in exc.errors(include_url=False)]


def _problem(error: Any, root: Any, positions: SourceMap, filename: str) -> SourceProblem:
    kind, ctx = error["type"], error.get("ctx") or {}
    loc, at_key, target = data_path(root, error["loc"])
    point = loc  # where the caret goes; ``loc`` is the path shown
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        at_key = True
        message = _unknown(f"field {loc[-1]!r}", str(loc[-1]), field_names(data_path(root, error["loc"][:-1])[2]))
    elif kind == "missing":
        message = f"missing required field {loc[-1]!r}"
        loc = point = loc[:-1]
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(ctx.get("discriminator", "")).strip("'")
        noun = _TAG_NOUNS.get(disc, disc)
        tags = discriminator_tags(target, disc)
        if kind == "union_tag_invalid":
            message = _unknown(f"{noun} {ctx.get('tag')!r}", str(ctx.get("tag")), tags, list_valid=True)
            loc = point = (*loc, disc)
        else:
            message = f"missing {disc!r}: the {noun}, one of {', '.join(tags)}"
    elif kind == "invalid_key":  # loc ends with the key itself, e.g. True for an unquoted `on:`
        noun = "a boolean" if isinstance(error["input"], bool) else "a number"
        message = f"key {error['input']!r} is read by YAML as {noun}, not text; put it in quotes"
        at_key, loc = True, loc[:-1]
    elif kind in ("model_attributes_type", "model_type", "dict_type"):
        message = f"expected a mapping of fields (key: value), not {_kind_of(error['input'])}"
    elif kind == "string_type" and isinstance(error["input"], dict) and len(error["input"]) == 1:
        key, value = next(iter(error["input"].items()))
        message = (
            f"expected text, but YAML read '{key}: {value}' as a mapping because of the ': ' in it; "
            "put the whole text in quotes"
        )
    elif kind == "string_type" and isinstance(error["input"], bool | int | float):
        message += "; put the value in quotes so YAML does not read it as a number or a boolean"
    line, col = positions.find(point, at_key=at_key)
    return SourceProblem(filename, line, col, format_path(loc), message)


def _unknown(what: str, given: str, valid: list[str], list_valid: bool = False) -> str:
    """``unknown field 'replica'; did you mean 'replicas'?``, listing the valid names when none is close."""
    message = f"unknown {what}"
    close = difflib.get_close_matches(given, valid, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    if valid and close and list_valid:
        message += f" (valid: {', '.join(valid)})"
    elif valid and not close:
        message += f"; valid: {', '.join(valid)}"
    return message


def _names_key(root: Any, loc: Loc, message: str) -> bool:
    """A cross-check message about a key of a free-form mapping (``calls: {payments: 1}``) points at the key."""
    if not loc or not isinstance(loc[-1], str) or repr(loc[-1]) not in message:
        return False
    return get_origin(unwrap(data_path(root, loc[:-1])[2])) is dict


# --- the loader's parts, for other YAML inputs --------------------------------------------------
# Shift actions files and escalation policies (simulator/shift) are read like scenarios: the same size
# and shape limits, the safe loader with its source map, and file:line:col messages. These are the
# public names they use (the private helpers above may change shape; these keep their signatures).


def read_yaml_file(path: str | Path) -> str:
    """The text of a YAML input file: refuses a directory, a device, a file over the size limit or one
    that is not UTF-8, each as a ScenarioError naming the file (and the line for bad bytes)."""
    return _read_text(path)


def parse_yaml(text: str, filename: str) -> tuple[Any, SourceMap, list[SourceProblem]]:
    """Parse YAML text with the safe loader: the plain data, where each value and key sits
    (:class:`SourceMap`), and problems that do not stop validation (duplicate keys). Raises
    ScenarioError for text that is not YAML, too deep, too large, empty or has control characters."""
    return _parse(text, filename)


def file_error(filename: str, text: str | None, line: int, col: int, message: str) -> ScenarioError:
    """A ScenarioError with one problem at ``filename:line:col`` (0, 0: the whole file), showing the
    line of ``text`` when given."""
    return _error(filename, text, line, col, message)


def validation_problems(exc: ValidationError, root: Any, positions: SourceMap, filename: str) -> list[SourceProblem]:
    """A pydantic ValidationError of data parsed by :func:`parse_yaml` as source problems, each with
    its file:line:col from ``positions`` and a message in the scenario language's words; ``root`` is
    the model (or type) the data was validated as."""
    return _validation_problems(exc, root, positions, filename)
