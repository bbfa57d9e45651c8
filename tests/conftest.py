"""Shared test setup: no test reads or writes the real user data directory.

With ``MISFORTUNE_TEST_CPU=DIR`` set, every test's CPU seconds (setup + call + teardown, this process's
and its reaped children's) are appended to ``DIR/cpu-<pid>.jsonl``, one JSON line per test: what
``scripts/test_cpu.py`` sums by file to find where CI's time goes (wall time on a shared machine says more
about the neighbours than about the test).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

from simulator.session.impact import shared_baselines

# Every property test draws the same cases on every run (seeded from the test's source), so CI passes or
# fails on the code, not on the draw: a debrief fuzz once drew, in one CI run of twenty, an incident
# without its number. A test's own @settings adds to this profile; HYPOTHESIS_PROFILE=explore draws anew.
settings.register_profile("misfortune", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "misfortune"))

_CPU_DIR = os.environ.get("MISFORTUNE_TEST_CPU")


@pytest.fixture(autouse=True)
def _heap_as_found():
    """No test leaves the console's heap settling behind (tui.heap): after a settle each full collection
    freezes its survivors, and frozen objects are out of ``gc.get_objects()``, which other tests read."""
    yield
    heap = sys.modules.get("tui.heap")
    if heap is not None and heap._refreeze in gc.callbacks:  # noqa: SLF001 (settling: stop it)
        heap.stop()


_FROZEN_DIRS = frozenset({"simulator", "fuzz", "scenarios", "cli", "shift"})
"""Test folders whose tests start with what the process holds frozen (see _collector_skips_the_imports)."""


@pytest.fixture(autouse=True)
def _collector_skips_the_imports(request):
    """In the folders above, a test starts with everything the process already holds frozen (``gc.freeze``),
    unless something is frozen already. A full collection walks every object it tracks: in a worker that
    is the imported modules and the collected tests (~65-200 ms a collection), while a simulation's
    reads (a log query, a snapshot's copy) set off one every few hundred thousand objects made. Frozen,
    those are out of its walk; what the tests make is collected as before. tui.heap's settle unfreezes
    everything first and its stop unfreezes it (a console test), so what was garbage when frozen is freed
    then; nothing else here freezes or reads frozen objects (gc.get_objects() skips them: tests look up
    only objects they made). CPU, not behaviour: about a tenth of these folders' CPU in CI."""
    folder = request.node.path.relative_to(Path(__file__).parent).parts[0]
    if folder in _FROZEN_DIRS and gc.get_freeze_count() == 0:
        gc.freeze()
    yield


@pytest.fixture(autouse=True)
def _isolated_misfortune_home(tmp_path_factory, monkeypatch):
    """Point MISFORTUNE_HOME at a fresh empty directory for every test."""
    monkeypatch.setenv("MISFORTUNE_HOME", str(tmp_path_factory.mktemp("misfortune-home")))


_SHARED_BASELINE_DIRS = frozenset({"tui", "gameday", "shift", "cli", "exports"})
"""Test folders whose sessions share replays with nobody acting (see _one_replay_per_baseline)."""
_BASELINES: dict = {}


@pytest.fixture(autouse=True)
def _one_replay_per_baseline(request):
    """In the folders above, a debrief, report or live score of a scenario and seed that an earlier test
    of this process already replayed with nobody acting reuses that replay's answer (CI time: most of
    them score checkout-oom-leak, seed 1, 0.5-1 CPU-s a replay). Replays are deterministic, and no test
    there patches the engine; tests/simulator (which does, and counts replays) opts in file by file."""
    folder = request.node.path.relative_to(Path(__file__).parent).parts[0]
    if folder not in _SHARED_BASELINE_DIRS:
        yield
        return
    with shared_baselines(_BASELINES):
        yield


EARLY = (
    # (nodeid prefix): wall / CPU seconds in a quiet CI run (scripts/test_cpu.py), longest wait first.
    "tests/gameday/test_fuzz_live.py",  # ~16-28 s / 6-8: a live game day, waits on its seats
    "tests/gameday/test_room_tmux.py",  # 23 s / 0.4: three seats in tmux
    "tests/simulator/test_shadow_playback.py::test_every_shipped_reference_run_plays_to_its_end_in_shadow",
    "tests/fuzz/test_fuzz_files.py::test_fuzz_mutated_scenarios",  # 26 s / 13
    "tests/exports/test_prometheus_export.py::test_a_real_prometheus",  # 9.5 s / 0.2: a real Prometheus
    "tests/gameday/test_web.py",  # ~13 s / 5: headless Chromium, a websocket
    "tests/cli/test_lazy_imports.py",  # 12 s / 6: fresh interpreters
    "tests/gameday/test_trust.py::test_a_seat_that_never_reads",  # ~11 s / 1.4: a send timeout
    "tests/exports/test_otlp_export.py",  # 4.7 s / 0.9: a collector that is not there
)
"""Tests that run before all others: those that mostly wait on wall-clock time (subprocesses, sockets,
timers), and the few longest ones. CI runs ``misfortune verify --all`` beside the tests (nice 10): early,
their waits overlap verify's CPU instead of leaving a core idle at the end of the run, and the run does
not end on one long test. Only the order changes (pytest-xdist's worksteal hands each worker a
contiguous half of it and balances the rest); every test still runs."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core the process may use, plus one. A good part of the suite waits on
    wall-clock time (subprocesses, sockets, a real Prometheus, tmux, Textual's timers): on a 2-core
    machine two workers left ~0.35 of a core idle over a CI run; a third fills those waits."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)  # macOS
    return len(usable) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the EARLY tests to the front, in EARLY's order; the rest keep theirs."""

    def rank(item: pytest.Item) -> int:
        return next((i for i, prefix in enumerate(EARLY) if item.nodeid.startswith(prefix)), len(EARLY))

    items.sort(key=rank)  # stable


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if _CPU_DIR:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        """Record the CPU seconds of one test, all three phases, in this worker's file."""
        cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
        started = time.time()
        yield
        record = {
            "test": item.nodeid,
            "start": round(started, 3),
            "cpu": round(time.process_time() - cpu, 4),
            "children": round(_children_cpu() - children, 4),
            "wall": round(time.perf_counter() - wall, 4),
        }
        directory = Path(_CPU_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / f"cpu-{os.getpid()}.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")

    def pytest_collection_finish(session):
        """Record what collecting the suite cost this process (each xdist worker collects it)."""
        directory = Path(_CPU_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / f"cpu-{os.getpid()}.jsonl").open("a", encoding="utf-8") as out:
            out.write(
                json.dumps({"test": "<collection>", "cpu": round(time.process_time(), 4), "end": round(time.time(), 3)})
                + "\n"
            )
