"""Shift benchmark: a 12-hour shift with two incidents and noise, played headless from an actions file.

    python bench/shift.py            # median of 3 in-process runs, plus the whole command once

Budget (issue 16): the whole `misfortune shift --actions FILE --json` under 10 s. Prints figures,
asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from simulator.shift.runner import run_shift, shipped_library
from simulator.shift.steps import load_steps

BUDGET_S = 10.0
SEED = 2
ACTIONS = Path(__file__).with_name("shift-seed2-actions.yaml")


def main() -> None:
    """Print the in-process time of the shift and the wall time of the command."""
    steps = load_steps(ACTIONS)
    shipped_library()  # loading the library is timed by the command figure below, not here
    times = []
    for _ in range(3):
        start = time.perf_counter()
        shift, report = run_shift(SEED, steps)
        times.append(time.perf_counter() - start)
    incidents = len(report["incidents"])
    pages = report["pages"]["count"]
    print(f"12 h shift, seed {SEED}: {incidents} incidents, {pages} pages, {len(report['tickets'])} tickets")
    print(f"in-process run (median of 3): {statistics.median(times):.2f} s")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tui.cli", "shift", "--seed", str(SEED), "--actions", str(ACTIONS), "--json"],
        check=True,
        capture_output=True,
    )
    whole = time.perf_counter() - start
    print(
        f"whole command (misfortune shift --actions FILE --json): {whole:.2f} s, "
        f"{whole / BUDGET_S:.0%} of the 10 s budget"
    )


if __name__ == "__main__":
    main()
