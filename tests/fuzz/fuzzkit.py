"""What the file fuzzers share: hostile values, mutations of parsed data and of raw text, a per-case time
limit, and the tally each fuzzer reports (cases tried, clean errors, finished runs, tracebacks, hangs).

MISFORTUNE_FUZZ_LONG=1 multiplies the number of cases (the normal profile stays well under two minutes).
"""

from __future__ import annotations

import copy
import math
import os
import signal
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LONG = os.environ.get("MISFORTUNE_FUZZ_LONG") == "1"
CASE_SECONDS = 30.0
"""Per-case CPU limit: a case that has used more CPU seconds than this counts as a hang. CPU, not wall
time: on a loaded machine (CI beside verify, other jobs) a case waits for a core without hanging."""
CASE_WALL_SECONDS = 300.0
"""Per-case wall-time limit, for a hang that waits instead of spinning (a lock, a read that never ends)."""


def fuzz_settings(examples: int):
    """Seeded (derandomized) hypothesis settings; ten times the examples in the long profile."""
    return settings(
        max_examples=examples * (10 if LONG else 1),
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


def deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


HOSTILE_VALUES = [
    math.nan,
    math.inf,
    -math.inf,
    -1,
    -1e9,
    1e308,
    -1e308,
    10**30,
    0,
    0.0,
    "",
    None,
    True,
    [],
    {},
    "x" * 30_000,
    deep(60),
    {"nested": {"deeper": [1, {"a": None}]}},
    "[bold red]x[/",
    "[link=http://evil]click",
    "\x1b[31m\x1b]0;title\x07red\x00\x7f\x9b2J",
    "\u202etxt.exe",
    "${undefined_variable}",
    "-35m",
    "1e308",
    "99999999999999999999d",
    ".nan",
    "9" * 400 + "s",
    "/etc/passwd",
]
"""Values a hostile or careless file puts where a field was: not finite, negative, huge, the wrong type,
too deep, markup, control and escape characters."""

NOT_FINITE_OR_HUGE = [math.nan, math.inf, -math.inf, 1e308, -1e308, -1.0, 10**30]

hostile_values = st.one_of(
    st.sampled_from(NOT_FINITE_OR_HUGE),  # the values most likely to reach the engine: drawn most often
    st.sampled_from(HOSTILE_VALUES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.text(max_size=40),
)


def places(data: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into ``data`` (mappings and lists), the root included."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from places(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from places(value, (*prefix, i))


def numeric_places(data: Any) -> list[tuple]:
    """The paths of the numbers in ``data`` (times, rates, counts): where bounds matter most."""
    out = []
    for path in places(data):
        value = data
        for part in path:
            value = value[part]
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(path)
    return out


def replaced(data: Any, path: tuple, value: Any) -> Any:
    """A copy of ``data`` with the value at ``path`` replaced (the root itself when ``path`` is empty)."""
    if not path:
        return value
    out = copy.deepcopy(data)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


class CaseHang(BaseException):
    """A case ran past CASE_SECONDS (a BaseException so no ``except Exception`` in the code swallows it)."""


@contextmanager
def time_limit(seconds: float = CASE_SECONDS, wall_seconds: float = CASE_WALL_SECONDS) -> Iterator[None]:
    """Interrupt the case with CaseHang after ``seconds`` of this process's CPU time or ``wall_seconds`` of
    wall time, whichever comes first (SIGPROF / SIGALRM: tests run in the main thread)."""

    def expire(signum: int, frame: object) -> None:
        spent = f"{seconds:g} CPU seconds" if signum == signal.SIGPROF else f"{wall_seconds:g} s"
        raise CaseHang(f"case still running after {spent}")

    previous = {sig: signal.signal(sig, expire) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, wall_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Tally:
    """Outcomes of one fuzzer's cases; a traceback or a hang fails the case (hypothesis then shrinks it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: Counter[str] = Counter()

    @contextmanager
    def case(self) -> Iterator[Counter[str]]:
        """Run one case: count it, and turn an unexpected exception or a hang into a failure."""
        self.counts["cases"] += 1
        try:
            with time_limit():
                yield self.counts
        except CaseHang:
            self.counts["hangs"] += 1
            raise AssertionError(f"{self.name}: hang") from None
        except AssertionError:
            raise
        except Exception:
            self.counts["tracebacks"] += 1
            raise AssertionError(f"{self.name}: traceback\n{traceback.format_exc()}") from None

    def report(self) -> str:
        """One line for the log (run pytest with -s to see it)."""
        c = self.counts
        return (
            f"fuzz {self.name}: {c['cases']} cases, {c['clean_errors']} clean errors, {c['finished']} finished "
            f"runs, {c['tracebacks']} tracebacks, {c['hangs']} hangs"
        )
