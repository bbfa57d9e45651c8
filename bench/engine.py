"""Engine benchmarks against DESIGN.md's performance budget; prints figures and ratios, asserts nothing.

Times are CPU seconds of this process (``time.process_time``): the engine is single-threaded, so on a
quiet machine they equal wall time, and on a shared one they do not count the neighbours' share.

    python bench/engine.py            # every shipped scenario
    python bench/engine.py --quick    # fewer repetitions, for a smoke check

- speed: simulated seconds per CPU second of a 2 h run with no actions (median of 5), vs the
  20,000x budget (aim 30,000x), beside the speed of a bare SimPy loop that ticks the same services
  with no model (the limit) measured in the same run, and our fraction of it;
- scaling: microseconds per instance-tick with ~50 and ~500 instances (replicas and traffic of one
  shipped scenario scaled together, so utilisation stays the same), median of 5, and the marginal
  cost of an instance (the difference between the two, per added instance);
- memory: peak RSS (VmHWM; see peak_rss_mb) of a fresh process that plays an 8 h session, vs the 100 MB budget:
  headless (nobody reads the logs), read along as the console does (the log tail and the trace list
  every simulated minute), and read along keeping the snapshots a live session keeps for rewinds
  (simulator/session/snapshots.py: one every 5 simulated minutes, at most 8).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import simpy

from scenarios.catalog import list_scenarios
from scenarios.language.scenario import Scenario
from scenarios.loader import load_scenario
from simulator.session.simulation import Simulation
from simulator.session.snapshots import SnapshotBook

SPEED_BUDGET = 20_000.0
SPEED_AIM = 30_000.0
RSS_BUDGET_MB = 100.0
TWO_HOURS = 7200.0
EIGHT_HOURS = 8 * 3600.0
SCALING_SIM_SECONDS = 600.0
SCALING_BASE = "checkout-oom-leak"


def shipped() -> list[tuple[str, Scenario]]:
    """(path, scenario) of every shipped scenario that loads."""
    return [(str(e.path), load_scenario(e.path)) for e in list_scenarios() if e.source == "shipped" and not e.error]


def lasting(scenario: Scenario, seconds: float) -> Scenario:
    """The scenario with its duration set to ``seconds``."""
    return scenario.model_copy(update={"duration": seconds})


def timed_run(scenario: Scenario, until: float, seed: int = 1, telemetry: bool = True) -> float:
    """CPU seconds to build a Simulation and run it to ``until`` (``telemetry``: keep the tape)."""
    start = time.process_time()
    Simulation(scenario, seed, telemetry=telemetry).run_until(until)
    return time.process_time() - start


def bare_loop(scenario: Scenario, until: float) -> float:
    """CPU seconds of the limit: a bare SimPy loop ticking the scenario's services, no model at all."""

    class Ticked:
        __slots__ = ("ticks",)

        def __init__(self) -> None:
            self.ticks = 0

    services = [Ticked() for _ in scenario.topology.services]
    dt = scenario.tick

    def tick_forever(env: simpy.Environment):
        while True:
            yield env.timeout(dt)
            for s in services:
                s.ticks += 1

    start = time.process_time()
    env = simpy.Environment()
    env.process(tick_forever(env))
    env.run(until=until)
    return time.process_time() - start


def scaled(scenario: Scenario, instances: int) -> tuple[Scenario, int]:
    """Replicas and base traffic multiplied so the topology has about ``instances`` instances."""
    services = scenario.topology.services
    factor = instances / sum(s.replicas for s in services)
    new_services = [s.model_copy(update={"replicas": max(1, round(s.replicas * factor))}) for s in services]
    total = sum(s.replicas for s in new_services)
    topology = scenario.topology.model_copy(update={"services": new_services})
    traffic = scenario.traffic.model_copy(update={"base_rps": scenario.traffic.base_rps * factor})
    return scenario.model_copy(update={"topology": topology, "traffic": traffic}), total


def rss_child(path: str, read: bool, checkpoints: bool = False) -> None:
    """In a fresh process: play 8 h of the scenario (reading the log tail and the traces every simulated
    minute when ``read``; keeping snapshots when ``checkpoints``) and print the peak RSS in MB."""
    sim = Simulation(lasting(load_scenario(path), EIGHT_HOURS), 1)
    if checkpoints:
        sim.checkpoints = SnapshotBook()
    if read:
        index = 0
        for t in range(60, int(EIGHT_HOURS) + 1, 60):
            sim.run_until(float(t))
            _, index = sim.log_store.since_index(index)
            sim.traces(limit=50)
    sim.run_until(EIGHT_HOURS)
    print(peak_rss_mb())


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's ``ru_maxrss`` survives ``exec``: a child started from a big parent reports at least the
    parent's peak (this bench's own process grows past 100 MB). ``VmHWM`` in /proc/self/status is the
    high-water mark of this process's own memory, so it is read where it exists.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux, bytes on macOS


def rss_of(path: str, read: bool, checkpoints: bool = False) -> float:
    """Peak RSS in MB of a fresh process playing an 8 h session of the scenario file."""
    command = [sys.executable, __file__, "--rss-child", path] + (["--read"] if read else [])
    command += ["--checkpoints"] if checkpoints else []
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def speed_section(scenarios: list[tuple[str, Scenario]], repeats: int) -> None:
    """Speed of every scenario, headless and live, beside the bare SimPy loop's, interleaved run by run."""
    print(
        f"\nspeed: 2 h simulated, no actions (budget {SPEED_BUDGET:,.0f}x real time, aim {SPEED_AIM:,.0f}x); "
        "headless: as run, replay, verify and the history's rebuild play it (no logs or traces kept); "
        "live: the tape kept, as a session on screen plays it; limit: a bare SimPy loop ticking the same "
        "services, no model"
    )
    slowest = {"headless": math.inf, "live": math.inf}
    for _, scenario in scenarios:
        sc = lasting(scenario, TWO_HOURS)
        headless, live, bare = [], [], []
        for _ in range(repeats):  # interleaved, so all three see the same machine
            headless.append(timed_run(sc, TWO_HOURS, telemetry=False))
            live.append(timed_run(sc, TWO_HOURS))
            bare.append(bare_loop(sc, TWO_HOURS))
        speeds = {"headless": TWO_HOURS / statistics.median(headless), "live": TWO_HOURS / statistics.median(live)}
        limit = TWO_HOURS / statistics.median(bare)
        for kind, speed in speeds.items():
            slowest[kind] = min(slowest[kind], speed)
        head, kept = speeds["headless"], speeds["live"]
        print(
            f"  {scenario.id:<36} headless {head:8,.0f}x  {head / SPEED_BUDGET:4.2f}x budget  "
            f"{head / SPEED_AIM:4.2f}x aim   live {kept:8,.0f}x  {kept / SPEED_BUDGET:4.2f}x budget   "
            f"limit {limit:9,.0f}x  ours {head / limit:5.1%} / {kept / limit:5.1%} of it"
        )
    for kind, speed in slowest.items():
        print(f"  slowest, {kind}: {speed:,.0f}x, {speed / SPEED_BUDGET:.2f}x the {SPEED_BUDGET:,.0f}x budget")


def scaling_section(scenarios: list[tuple[str, Scenario]], repeats: int) -> None:
    """Cost per instance-tick at ~50 and ~500 instances, and whether it grows linearly."""
    base = next((sc for _, sc in scenarios if sc.id == SCALING_BASE), scenarios[0][1])
    print(f"\nscaling: {base.id} with replicas and traffic scaled, {SCALING_SIM_SECONDS:.0f} s simulated")
    walls = {}
    for wanted in (50, 500):
        sc, instances = scaled(lasting(base, SCALING_SIM_SECONDS), wanted)
        ticks = SCALING_SIM_SECONDS / sc.tick
        walls[instances] = wall = statistics.median(timed_run(sc, SCALING_SIM_SECONDS) for _ in range(repeats))
        print(
            f"  {instances:4d} instances  {wall * 1e6 / (ticks * instances):7.1f} us per instance-tick  "
            f"({wall * 1e6 / ticks:8.1f} us per tick)"
        )
    (small, small_wall), (large, large_wall) = sorted(walls.items())
    marginal = (large_wall - small_wall) * 1e6 / (ticks * (large - small))
    print(f"  marginal cost of one more instance: {marginal:.2f} us per tick")
    per_small, per_large = small_wall / small, large_wall / large
    print(
        f"  linear in instances: 10x the instances costs {large_wall / small_wall:.1f}x the time "
        f"({per_large / per_small:.2f}x per instance; linear or better is <= 1.00x)"
    )


def memory_section(scenarios: list[tuple[str, Scenario]]) -> None:
    """Peak RSS of an 8 h session per scenario, headless, read along, and read along with snapshots, each in
    a fresh process."""
    print(
        f"\nmemory: peak RSS of an 8 h session in a fresh process (budget {RSS_BUDGET_MB:.0f} MB): headless, "
        "read along (log tail and traces every simulated minute), and read along with snapshots (8 kept)"
    )
    worst = 0.0
    for path, scenario in scenarios:
        headless, read, snapshots = rss_of(path, False), rss_of(path, True), rss_of(path, True, True)
        worst = max(worst, headless, read, snapshots)
        print(
            f"  {scenario.id:<36} {headless:6.1f} MB {headless / RSS_BUDGET_MB:5.2f}x   "
            f"read along {read:6.1f} MB {read / RSS_BUDGET_MB:5.2f}x   "
            f"with snapshots {snapshots:6.1f} MB {snapshots / RSS_BUDGET_MB:5.2f}x budget"
        )
    print(f"  heaviest: {worst:.1f} MB, {worst / RSS_BUDGET_MB:.2f}x the {RSS_BUDGET_MB:.0f} MB budget")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition instead of 5")
    parser.add_argument("--rss-child", metavar="SCENARIO_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--read", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoints", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", metavar="ID", action="append", help="only this scenario (repeatable)")
    parser.add_argument(
        "--section", choices=("speed", "scaling", "memory"), action="append", help="only this part (repeatable)"
    )
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child, args.read, args.checkpoints)
        return
    repeats = 1 if args.quick else 5
    sections = args.section or ["speed", "scaling", "memory"]
    scenarios = [(p, s) for p, s in shipped() if not args.only or s.id in args.only]
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {repeats} repetitions, median reported, load average {load:.2f}")
    if "speed" in sections:
        speed_section(scenarios, repeats)
    if "scaling" in sections:
        scaling_section(scenarios, repeats)
    if "memory" in sections:
        memory_section(scenarios)


if __name__ == "__main__":
    main()
