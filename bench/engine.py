"""Engine benchmarks against DESIGN.md's performance budget; prints figures and ratios, asserts nothing.

    python bench/engine.py            # every shipped scenario
    python bench/engine.py --quick    # fewer repetitions, for a smoke check

- speed: simulated seconds per wall second of a 2 h run with no actions (median of 5), vs the
  10,000x budget;
- scaling: microseconds per instance-tick with ~50 and ~500 instances (replicas and traffic of one
  shipped scenario scaled together, so utilisation stays the same), median of 5, and the marginal
  cost of an instance (the difference between the two, per added instance);
- memory: peak RSS (ru_maxrss) of a fresh process that plays an 8 h session, vs the 150 MB budget.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

from scenarios.catalog import list_scenarios
from scenarios.language.scenario import Scenario
from scenarios.loader import load_scenario
from simulator.session.simulation import Simulation

SPEED_BUDGET = 10_000.0
RSS_BUDGET_MB = 150.0
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


def timed_run(scenario: Scenario, until: float, seed: int = 1) -> float:
    """Wall seconds to build a Simulation and run it to ``until``."""
    start = time.perf_counter()
    Simulation(scenario, seed).run_until(until)
    return time.perf_counter() - start


def scaled(scenario: Scenario, instances: int) -> tuple[Scenario, int]:
    """Replicas and base traffic multiplied so the topology has about ``instances`` instances."""
    services = scenario.topology.services
    factor = instances / sum(s.replicas for s in services)
    new_services = [s.model_copy(update={"replicas": max(1, round(s.replicas * factor))}) for s in services]
    total = sum(s.replicas for s in new_services)
    topology = scenario.topology.model_copy(update={"services": new_services})
    traffic = scenario.traffic.model_copy(update={"base_rps": scenario.traffic.base_rps * factor})
    return scenario.model_copy(update={"topology": topology, "traffic": traffic}), total


def rss_child(path: str) -> None:
    """In a fresh process: play 8 h of the scenario and print the peak RSS in MB."""
    Simulation(lasting(load_scenario(path), EIGHT_HOURS), 1).run_until(EIGHT_HOURS)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition instead of 5")
    parser.add_argument("--rss-child", metavar="SCENARIO_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return
    repeats = 1 if args.quick else 5
    scenarios = shipped()
    print(f"python {sys.version.split()[0]}, {repeats} repetitions, median reported")

    print(f"\nspeed: 2 h simulated, no actions (budget {SPEED_BUDGET:,.0f}x real time)")
    for _, scenario in scenarios:
        sc = lasting(scenario, TWO_HOURS)
        wall = statistics.median(timed_run(sc, TWO_HOURS) for _ in range(repeats))
        speed = TWO_HOURS / wall
        print(f"  {scenario.id:<24} {wall:6.3f} s wall  {speed:9,.0f}x real time  {speed / SPEED_BUDGET:5.2f}x budget")

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

    print(f"\nmemory: peak RSS of an 8 h session in a fresh process (budget {RSS_BUDGET_MB:.0f} MB)")
    for path, scenario in scenarios:
        done = subprocess.run(
            [sys.executable, __file__, "--rss-child", path], capture_output=True, text=True, check=True
        )
        rss = float(done.stdout.strip().splitlines()[-1])
        print(f"  {scenario.id:<24} {rss:6.1f} MB  {rss / RSS_BUDGET_MB:5.2f}x budget")


if __name__ == "__main__":
    main()
