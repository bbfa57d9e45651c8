"""Rewind and resume benchmarks against the 1 s budget; prints figures and ratios, asserts nothing.

    python bench/rewind.py            # median of 5 of each
    python bench/rewind.py --quick    # 1 of each

- shift: a 12-hour shift (seed 2, the bench actions file: two incidents answered) interrupted at
  11h30m and resumed from its journal (``resume_shift``) and replayed whole (``replay_shift``), and the
  same shift with nobody answering replayed whole (both incidents run to their scenario's end: the
  most a 12-hour shift with two incidents simulates);
- session rewind: a game day's rewind (``JournalSession.branch``) of a 2-hour session of the slowest
  scenario to 1h55m, and ``replay_to`` that time;
- checkpoint: what capturing that session's whole state costs (simulator/session/checkpoint.py).

Resume and rewind replay the journal: each incident from its own start (never from the shift's), and
an incident stops ticking once it is over, so the cost is the simulated time of the incidents alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from scenarios.catalog import load_by_ref
from simulator.session.checkpoint import capture
from simulator.session.journal_session import JournalSession
from simulator.session.runner import run_session
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition instead of 5")
    args = parser.parse_args()
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

        line("game-day rewind (JournalSession.branch)", timed(branch, repeats))
        line("replay_to (inspect --journal, the history rebuild)", timed(lambda: opened.replay_to(REWIND_TO), repeats))
        at = opened.replay_to(REWIND_TO)
        line("checkpoint capture there (the first half of a rewind", timed(lambda: capture(at), repeats))
        print("  without replay; restore is not written yet: simulator/session/checkpoint.py)")


if __name__ == "__main__":
    main()
