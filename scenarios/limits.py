"""Bounds of every input: one place for the numbers, the checks that apply them, and why.

Scenario files, actions files and journals come from users (and, in a game day, from seats). Every
number in them must be finite and in a range the engine can play in bounded time and memory, and every
file must be small and shallow enough to parse quickly. The models of the scenario language use these
constants as field constraints; the loader checks the raw YAML (size, nesting, alias expansion) before
any of it is validated, and :func:`scenarios.language.bounds.scenario_bound_problems` checks what
spans fields (total replicas, calls per request, simulation steps). scenarios/README.md lists every
bound with the error it gives.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

# --- files -------------------------------------------------------------------------------------

MAX_FILE_BYTES = 1_000_000
"""Largest scenario or actions file read (checked on the file's size before it is read or parsed)."""
MAX_YAML_DEPTH = 32
"""Deepest nesting of mappings and lists in a YAML file (the shipped scenarios use 6)."""
MAX_YAML_NODES = 20_000
"""Most values (scalars, lists, mappings) a YAML file may stand for once every alias (``*name``) is
expanded: stops 'billion laughs'. The largest shipped scenario has 700."""
MAX_TEXT_CHARS = 20_000
"""Longest single string (a briefing, a runbook body, a note)."""
MAX_ITEMS = 1_000
"""Most items of one list or mapping in a scenario (faults, messages, routes, ...)."""
MAX_ACTIONS = 2_000
"""Most timed actions in an actions file or a scenario's solution."""

# --- numbers -----------------------------------------------------------------------------------

MAX_NUMBER = 1e9
"""Largest magnitude of any number of a scenario or action that has no tighter bound of its own."""
MAX_DURATION_S = 366 * 86400.0
"""Largest magnitude of any duration (a year and a day; an SLO window is usually 30 days)."""
MAX_SCENARIO_S = 24 * 3600.0
"""Longest exercise (``duration``)."""
MIN_TICK_S = 0.25
"""Shortest simulation step (``tick``)."""
MAX_TICKS = 86_400
"""Most simulation steps of one exercise (``duration / tick``): a day at one second."""

# --- the simulated system ----------------------------------------------------------------------

MAX_SERVICES = 40
"""Most services of a topology."""
MAX_ZONES = 12
"""Most zones of a topology."""
MAX_REPLICAS = 500
"""Most instances of one service, at t=0 or after a ``scale`` action."""
MAX_TOTAL_REPLICAS = 2_000
"""Most instances of all services together at t=0."""
MAX_FAN_OUT = 50.0
"""Most calls per request from one service to one dependency (``calls: {db: 3}``)."""
MAX_CALLS_PER_REQUEST = 10_000.0
"""Most dependency calls one user request may cause through the whole call graph, retries included."""
MAX_VARIANTS = 64
"""Most combinations of variable values (the loader validates each one)."""
MAX_VARIANT_WORK = 200_000
"""Most values validated over all variants (combinations x values of the file): bounds validate's time."""
MAX_MEMORY_MB = 1_048_576.0
"""Largest memory size in MB (1 TB): a service's memory limit or a ``set_memory_limit`` action."""
MAX_RPS = 10_000_000.0
"""Largest rate in requests per second (capacity, traffic, a rate limit)."""
MAX_POOL = 100_000
"""Largest connection pool or connection limit."""
MAX_SLOWDOWN = 100.0
"""Largest factor a named condition may slow a recovery by (scenarios.language.recovery.Slowdown)."""
MAX_PROCEDURE_STEPS = 50
"""Most steps of one manual recovery procedure."""
MAX_PROCEDURES = 20
"""Most manual recovery procedures of one scenario."""
MIN_COMPRESSION = 2.0
"""Slowest clock of a time-compressed recovery (x real time)."""
MAX_COMPRESSION = 600.0
"""Fastest clock of a time-compressed recovery: one wall second stands for ten simulated minutes."""
MAX_OS_RESOURCE = 10_000_000.0
"""Largest per-host OS resource count (threads, file descriptors, ephemeral ports) or its limit."""


def finite_in_range(value: float, low: float, high: float, what: str) -> float:
    """``value`` if finite and within [low, high]; otherwise ValueError naming the range."""
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value}")
    if not low <= value <= high:
        raise ValueError(f"{what} {value:g} is out of range: it must be between {low:g} and {high:g}")
    return value


def bounded_value(value: Any) -> Any:
    """Check a field's value (recursively in lists and mappings): numbers finite and within
    :data:`MAX_NUMBER`, strings within :data:`MAX_TEXT_CHARS`, collections within :data:`MAX_ITEMS`."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise ValueError(f"{value:g} is out of range: numbers must be finite and within ±{MAX_NUMBER:g}")
    elif isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"text of {len(value):,} characters is too long (at most {MAX_TEXT_CHARS:,})")
    elif isinstance(value, list | tuple | dict):
        if len(value) > MAX_ITEMS:
            raise ValueError(f"{len(value):,} items are too many (at most {MAX_ITEMS:,})")
        for item in value.values() if isinstance(value, dict) else value:
            bounded_value(item)
    return value


# --- across fields -----------------------------------------------------------------------------

Problem = tuple[tuple[str | int, ...], str]
"""A problem across fields: the path to point at and the message (see scenarios.language.bounds)."""


# --- YAML shape, before the real parse --------------------------------------------------------

_EventLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 40x faster


def yaml_shape_problem(text: str) -> tuple[int, int, str] | None:
    """(line, col, message) when ``text`` nests deeper than :data:`MAX_YAML_DEPTH`, stands for more than
    :data:`MAX_YAML_NODES` values once aliases are expanded, or has an alias inside its own anchor.

    Walks the YAML events (no nodes are built, no recursion), so it is cheap for any file under
    :data:`MAX_FILE_BYTES`; a syntax error ends the walk quietly (the real parse reports it, with a
    better message) unless the file is already over a bound where it stops.
    """
    loader = _EventLoader(text)
    frames: list[list[Any]] = []  # open lists and mappings: [anchor, values they stand for so far]
    sizes: dict[str, int] = {}  # closed anchors -> values they stand for
    total = 0
    try:
        while not isinstance(event := loader.get_event(), yaml.StreamEndEvent):
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1)
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size = frames.pop()
                if anchor:
                    sizes[anchor] = size
                if frames:
                    frames[-1][1] += size
                continue
            if isinstance(event, yaml.CollectionStartEvent):
                if len(frames) >= MAX_YAML_DEPTH:
                    return (*where, f"nesting is deeper than {MAX_YAML_DEPTH} levels of lists and mappings")
                frames.append([event.anchor, 1])
                total += 1
                continue
            if isinstance(event, yaml.AliasEvent):
                if any(frame[0] == event.anchor for frame in frames):
                    return (
                        *where,
                        f"alias *{event.anchor} is inside its own anchor (a structure that contains itself)",
                    )
                size = sizes.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor:
                    sizes[event.anchor] = 1
            else:
                continue
            total += size
            if total > MAX_YAML_NODES:
                return (
                    *where,
                    f"the file stands for more than {MAX_YAML_NODES:,} values (aliases expanded); "
                    "split it or use fewer aliases",
                )
            if frames:
                frames[-1][1] += size
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and "nesting depth" in str(exc):  # libyaml's own limit (1000 flow levels)
            return (
                mark.line + 1,
                mark.column + 1,
                f"nesting is deeper than {MAX_YAML_DEPTH} levels of lists and mappings",
            )
        return None
    finally:
        loader.dispose()


# --- one session -------------------------------------------------------------------------------

MAX_SESSION_ACTIONS = 5_000
"""Most actions the engine accepts in one session (every seat together); later ones are refused."""
MAX_NOTES = 1_000
"""Most notes in one session."""
MAX_HYPOTHESES = 200
"""Most hypotheses in one session."""
MAX_EVIDENCE = 50
"""Most pieces of evidence attached to one hypothesis."""
MAX_STATUS_UPDATES = 500
"""Most status updates in one session."""
MAX_ESCALATIONS = 200
"""Most escalations in one session."""
MAX_INCIDENT_NUMBER = 999
"""Highest incident number an action may name (a session opens far fewer: alerts group into incidents)."""
MAX_INJECTED_MESSAGES = 500
"""Most messages in one session: a facilitator's message inject is refused once this many have arrived."""

# --- service settings (scenarios/language/settings.py) -----------------------------------------

MAX_RETRIES = 5
"""Most retries of a failed dependency call a setting may ask for."""
MAX_BACKOFF_S = 60.0
"""Longest back-off before one retry."""
MAX_TIMEOUT_S = 600.0
"""Longest timeout of a dependency call."""
MAX_CACHE_TTL_S = 30 * 86400.0
"""Longest time a cache keeps an entry."""
MAX_CACHE_KEYS = 1_000_000_000
"""Most distinct hot keys a cache serves (the share of requests per key sets the TTL's hit ratio)."""
MAX_COLLAPSE = 0.9
"""Largest share of its capacity a saturated service loses to thrashing (a full queue's overhead)."""
MAX_ROLLOUT_STOP = 500
"""Most instances a rollout may replace before it stops part-way (``stop_after``)."""

# --- data, traffic classes, asynchronous calls (scenario language v3) -------------------------

MAX_DATA_GB = 1_000_000.0
"""Largest data set of one database (``data.size_gb``): a petabyte."""
MAX_GB_PER_HOUR = 1_000_000.0
"""Fastest resync or restore throughput (``data.resync_gb_per_hour``, ``restore_gb_per_hour``)."""
MIN_GB_PER_HOUR = 0.01
"""Slowest throughput: a restore of the largest data set still ends within bounded simulated time."""
MAX_BACKUPS = 50
"""Most backups listed for one database."""
MAX_TRAFFIC_CLASSES = 12
"""Most traffic classes at the entry."""
MAX_BUFFER = 100_000_000.0
"""Largest fire-and-forget buffer of an asynchronous call (messages)."""
