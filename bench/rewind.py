"""Rewind and resume benchmarks against the 1 s budget; prints figures and ratios, asserts nothing.

    python bench/rewind.py            # median of 5 of each
    python bench/rewind.py --quick    # 1 of each

- shift: a 12-hour shift (seed 2, the bench actions file: two incidents answered) interrupted at
  11h30m and resumed from its journal (``resume_shift``) and replayed whole (``replay_shift``), and the
  same shift with nobody answering replayed whole (both incidents run to their scenario's end: the
  most a 12-hour shift with two incidents simulates);
- session rewind: a game day's rewind (``JournalSession.branch``) of a 2-hour session of the slowest
  scenario to 1h55m, and ``replay_to`` that time;
- the same rewind and replay_to from the snapshots the live session kept (simulator/session/snapshots.py:
  one every 5 simulated minutes, 8 kept): restore the latest at or before the time, play on from there;
- snapshot: what taking one costs there (CPU), what it adds to memory (the series and the log store are
  not copied: a restore reads what they had appended from the live buffers), what restoring one costs;
- checkpoint: what capturing that session's whole state costs (simulator/session/checkpoint.py);
- memory: peak RSS of a fresh process playing an 8 h session read along as the console does (log tail
  every simulated minute), without and with snapshots kept (``--memory all``: every shipped scenario).

Shift resume and replay, and a rewind of a journal opened from disk, replay from zero: each incident from
its own start (never from the shift's), and an incident stops ticking once it is over, so the cost is the
simulated time of the incidents alone. Snapshots live in the memory of the session that took them (they
are not written to disk), so a resume in a new process has none.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from scenarios.catalog import list_scenarios, load_by_ref
from simulator.session.checkpoint import capture
from simulator.session.journal import Journal
from simulator.session.journal_session import JournalSession
from simulator.session.runner import run_session, session_header
from simulator.session.simulation import Simulation
from simulator.session.snapshots import SnapshotBook, restore, take
from simulator.shift.runner import replay_shift, resume_shift, run_shift, shipped_library
from simulator.shift.steps import load_steps

BUDGET_S = 1.0
SEED = 2
ACTIONS = Path(__file__).with_name("shift-seed2-actions.yaml")
CUT_AT = 11.5 * 3600.0
SESSION_SCENARIO = "retry-storm"
REWIND_TO = 6900.0


def interrupted(journal: Path, at: float, out: Path) -> Path:
    """A copy of a shift journal without the records after ``at`` and without its end record."""
    import json

    kept = []
    for line in journal.read_text(encoding="utf-8").splitlines(keepends=True):
        record = json.loads(line)
        if record.get("type") == "end" or float(record.get("t", 0.0)) > at:
            break
        kept.append(line)
    out.write_text("".join(kept), encoding="utf-8")
    return out


def timed(make: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of ``make()`` (single-threaded: wall time on a quiet machine)."""
    walls = []
    for _ in range(repeats):
        start = time.process_time()
        make()
        walls.append(time.process_time() - start)
    return statistics.median(walls)


def line(label: str, wall: float) -> None:
    print(f"  {label:<58} {wall:6.3f} s CPU  {wall / BUDGET_S:5.2f}x budget")


SNAPSHOT_BUDGET_MS = 50.0
"""A snapshot is taken between two frames of a live console: a pause longer than a frame (20 a second) shows."""
SNAPSHOT_BUDGET_MB = 4.0
"""What one snapshot may add: 8 kept plus a session's own ~65 MB stay within the 100 MB budget of an 8 h session."""


def played_live(scenario, path: Path, journal_path: Path) -> SnapshotBook:
    """Play ``scenario`` with its solution (resolve left out) as a live console does: the clock in one-minute
    steps, the log tail read every step (the logs panel), journalled, keeping snapshots; returns them."""
    sim = Simulation(scenario, 1, Journal(journal_path, session_header(scenario, 1, path)))
    sim.checkpoints = book = SnapshotBook()
    actions = [a for a in sim.scenario.solution if a.action != "resolve"]
    index = 0
    for t in range(60, int(REWIND_TO) + 61, 60):
        for action in actions[sim.applied :]:
            if action.at > t:
                break
            sim.run_until(float(action.at))
            sim.apply(action)
        sim.run_until(float(t))
        _, index = sim.log_store.since_index(index)
    sim.journal.close()
    return book


def snapshot_costs(at: Simulation, repeats: int) -> None:
    """CPU and memory of one snapshot, and of one restore."""
    cpu, added = [], []
    for _ in range(repeats):
        start = time.process_time()
        take(at)
        cpu.append(time.process_time() - start)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        snapshot = take(at)
        added.append(tracemalloc.get_traced_memory()[0] - before)
        tracemalloc.stop()
    ms, mb = statistics.median(cpu) * 1e3, statistics.median(added) / 1e6
    print(f"  {'take one snapshot (CPU)':<58} {ms:6.1f} ms    {ms / SNAPSHOT_BUDGET_MS:5.2f}x budget")
    label = "memory it adds (series and logs stay in the live buffers)"
    print(f"  {label:<58} {mb:6.2f} MB    {mb / SNAPSHOT_BUDGET_MB:5.2f}x budget")
    line("restore one (new environment, processes re-created)", timed(lambda: restore(snapshot), repeats))


RSS_BUDGET_MB = 100.0
MEMORY_SCENARIOS = ("retry-storm", "az-outage")


def rss_child(ref: str, checkpoints: bool) -> None:
    """In a fresh process: an 8 h session of ``ref`` read along (the log tail every simulated minute), with a
    SnapshotBook when ``checkpoints``; prints the peak RSS in MB and how many snapshots it holds."""
    from engine import EIGHT_HOURS, lasting, peak_rss_mb

    scenario, _ = load_by_ref(ref)
    sim = Simulation(lasting(scenario, EIGHT_HOURS), 1)
    if checkpoints:
        sim.checkpoints = SnapshotBook()
    index = 0
    for t in range(60, int(EIGHT_HOURS) + 1, 60):
        sim.run_until(float(t))
        _, index = sim.log_store.since_index(index)
    print(peak_rss_mb(), len(sim.checkpoints.snapshots) if checkpoints else 0)


def memory_section(refs: list[str]) -> None:
    """Peak RSS of an 8 h read-along session per scenario, without and with snapshots, each in a fresh process."""
    print(f"\nmemory: peak RSS of an 8 h session read along, fresh process (budget {RSS_BUDGET_MB:.0f} MB)")
    for ref in refs:
        figures = []
        for checkpoints in (False, True):
            command = [sys.executable, __file__, "--rss-child", ref] + (["--checkpoints"] if checkpoints else [])
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
            figures.append((float(out[-2]), int(out[-1])))
        (without, _), (with_, kept) = figures
        print(
            f"  {ref:<36} without {without:6.1f} MB   with {kept} snapshots {with_:6.1f} MB  "
            f"{with_ / RSS_BUDGET_MB:5.2f}x budget  (+{with_ - without:.1f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition instead of 5")
    parser.add_argument("--memory", choices=("some", "all", "none"), default="some", help="which scenarios' RSS")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoints", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child, args.checkpoints)
        return
    repeats = 1 if args.quick else 5
    shipped_library()  # scenario loading is the command's startup, not the rewind
    print(f"{repeats} repetitions, median reported, load average {os.getloadavg()[0]:.2f}; budget {BUDGET_S:g} s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        answered = folder / "answered.jsonl"
        run_shift(SEED, load_steps(ACTIONS), journal_path=answered)
        unanswered = folder / "unanswered.jsonl"
        shift, _ = run_shift(SEED, journal_path=unanswered)
        simulated = sum(r.sim.now for r in shift.runs)

        print("\nshift (12 h): resume of the journal cut at 11h30m, and a replay of the whole journal")
        cut = interrupted(answered, CUT_AT, folder / "cut.jsonl")

        def resume() -> None:
            resume_shift(cut).journal.close()

        line("answered (bench actions file): resume at 11h30m", timed(resume, repeats))
        line("answered: whole replay (replay_shift)", timed(lambda: replay_shift(answered), repeats))
        line("nobody answers: whole replay (replay_shift)", timed(lambda: replay_shift(unanswered), repeats))
        print(f"  (nobody answers: its incidents simulate {simulated / 3600.0:.2f} h in all)")

        scenario, path = load_by_ref(SESSION_SCENARIO)
        actions = [a for a in scenario.solution if a.action != "resolve"]
        session = folder / "session.jsonl"
        run_session(scenario, 1, actions, journal_path=session, scenario_path=path)
        opened = JournalSession.open(session)
        print(f"\nsession rewind ({SESSION_SCENARIO}, 2 h, to {REWIND_TO / 60:.0f} min)")

        def branch() -> None:
            opened.branch(REWIND_TO, folder / "branch.jsonl").journal.close()

        line("game-day rewind (JournalSession.branch), replay from zero", timed(branch, repeats))
        line("replay_to (inspect --journal, the history rebuild)", timed(lambda: opened.replay_to(REWIND_TO), repeats))

        live = folder / "live.jsonl"
        book = played_live(scenario, path, live)
        kept = JournalSession.open(live)
        latest = book.at_or_before(REWIND_TO)
        assert latest is not None, f"no snapshot kept ({book.last_reason})"
        print(f"\nsession rewind from snapshots ({len(book.snapshots)} kept, latest at {latest.t / 60:.0f} min)")

        def branch_restored() -> None:
            kept.branch(REWIND_TO, folder / "branch.jsonl", checkpoints=book).journal.close()

        line("game-day rewind (branch from the latest snapshot)", timed(branch_restored, repeats))
        line("replay_to from the latest snapshot", timed(lambda: kept.replay_to(REWIND_TO, checkpoints=book), repeats))
        at = kept.replay_to(REWIND_TO)
        at.log_store.since_index(0)  # read along, as the live session was
        snapshot_costs(at, repeats)
        at = opened.replay_to(REWIND_TO)
        line("checkpoint capture there (the oracle a restore is proved by)", timed(lambda: capture(at), repeats))
    if args.memory != "none":
        everything = [e.id for e in list_scenarios(validate=False) if e.path.parent.name == "library"]
        memory_section(everything if args.memory == "all" else list(MEMORY_SCENARIOS))


if __name__ == "__main__":
    main()
