"""Where `misfortune verify` spends its CPU: each baseline of each shipped scenario, in this process.

    python bench/verify_cost.py            # seed 1
    python bench/verify_cost.py 1,2,3,4,5  # what verify --all plays

Prints, heaviest first, the CPU seconds of the reference, doing nothing, the traps (all of them) and the
claims per scenario and seed, then the totals by baseline. The reference includes the snapshot its trap
runs start from; a trap run stops after its last step once its check is decided (simulator/session/verify_runs.py),
and one that is not plays the whole scenario.

    python bench/verify_cost.py 1 --plain  # without those two shortcuts (every run from zero, to its end)
"""

from __future__ import annotations

import sys
import time

from scenarios.catalog import list_scenarios, load_by_ref
from simulator.session import verify


def timed(call, *args):
    """``call(*args)``'s result and the CPU seconds it took."""
    start = time.process_time()
    result = call(*args)
    return result, time.process_time() - start


def all_traps(scenario, seed, reference, start, shortcuts):
    """Every trap check of ``scenario`` with ``seed``."""
    return [
        verify._check_trap(scenario, seed, i, trap, reference, start, stop_early=shortcuts)
        for i, trap in enumerate(scenario.traps, 1)
    ]


def claims(scenario, seed, reference, sim):
    """The claims check, when a message makes claims."""
    return any(m.claims for m in scenario.messages) and verify._check_claims(scenario, seed, reference, sim)


def main() -> None:
    """Time every baseline of every shipped scenario for the seeds given (default 1)."""
    args = [a for a in sys.argv[1:] if a != "--plain"]
    shortcuts = "--plain" not in sys.argv[1:]
    seeds = [int(s) for s in args[0].split(",")] if args else [1]
    totals = {"reference": 0.0, "nothing": 0.0, "traps": 0.0, "claims": 0.0}
    rows = []
    for entry in sorted(list_scenarios(), key=lambda e: e.id):
        if entry.source != "shipped" or entry.error:
            continue
        base, _ = load_by_ref(entry.id)
        for seed in seeds:
            scenario = base.for_seed(seed)
            (reference, sim, start), ref_s = timed(verify._check_reference, scenario, seed, shortcuts)
            _, nothing_s = timed(verify._check_nothing, scenario, seed)
            _, traps_s = timed(all_traps, scenario, seed, reference, start, shortcuts)
            _, claims_s = timed(claims, scenario, seed, reference, sim)
            count = len(scenario.traps)
            for key, value in zip(totals, (ref_s, nothing_s, traps_s, claims_s), strict=True):
                totals[key] += value
            rows.append((entry.id, seed, ref_s, nothing_s, traps_s, count, claims_s, scenario.duration))
    for sid, seed, ref_s, nothing_s, traps_s, count, claims_s, duration in sorted(rows, key=lambda r: -sum(r[2:5])):
        print(
            f"{sid:40s} seed {seed}  reference {ref_s:5.2f}  nothing {nothing_s:5.2f}  traps ({count}) {traps_s:5.2f}"
            f"  claims {claims_s:4.2f}  ({duration / 3600:.1f} h)"
        )
    print("CPU s by baseline:", {k: round(v, 1) for k, v in totals.items()}, "total", round(sum(totals.values()), 1))


if __name__ == "__main__":
    main()
