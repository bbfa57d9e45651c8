"""A fingerprint of every shipped scenario's run, to check that an optimisation changes nothing.

    python bench/fingerprint.py > before.json     # on main
    python bench/fingerprint.py > after.json      # on the branch; then: diff before.json after.json
    python bench/fingerprint.py retry-storm,az-outage

Per scenario (2 h, seed 1, no actions): SHA-256 of every series of both stores as ``float.hex`` read at
30, 60 and 120 minutes, then every log line, the traces and the timeline. Equal fingerprints mean the
same figures bit for bit (the report golden test compares reports only).
"""

from __future__ import annotations

import hashlib
import json
import sys

from scenarios.catalog import list_scenarios
from scenarios.loader import load_scenario
from simulator.session.simulation import Simulation

TWO_HOURS = 7200.0


def fingerprint(sim: Simulation) -> str:
    """Run ``sim`` to 2 h and hash what it recorded (series at three times, logs, traces, timeline)."""
    digest = hashlib.sha256()
    for t in (1800.0, 3600.0, TWO_HOURS):
        sim.run_until(t)
        for store in (sim.recorder.series, sim.recorder.instance_series):
            for name in store.names():
                digest.update(name.encode())
                digest.update(" ".join(v.hex() for v in store.window(name).values).encode())
    digest.update(repr(sim.log_store.since_index(0)[0]).encode())
    digest.update(repr(sim.traces(limit=5000)).encode())
    digest.update(repr(sim.timeline()).encode())
    return digest.hexdigest()[:16]


def main() -> None:
    only = set(sys.argv[1].split(",")) if len(sys.argv) > 1 else None
    out = {}
    for entry in list_scenarios():
        if entry.source != "shipped" or entry.error:
            continue
        scenario = load_scenario(entry.path)
        if only and scenario.id not in only:
            continue
        out[scenario.id] = fingerprint(Simulation(scenario.model_copy(update={"duration": TWO_HOURS}), 1))
    print(json.dumps(out, indent=0, sort_keys=True))


if __name__ == "__main__":
    main()
