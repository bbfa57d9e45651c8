"""The tick model skips services whose inputs did not change; that must never change a result.

"Did not change" ignores last-bit wobble (a retry loop settling on its fixed point), so series agree to
within a millionth; reports and logs agree exactly.
"""

from __future__ import annotations

import math

import pytest

import simulator.world.model as model
from scenarios.catalog import load_by_ref
from simulator.session.simulation import Simulation


def _play(ref: str, monkeypatch, force: bool):
    if force:
        monkeypatch.setattr(model, "_inputs_changed", lambda s, edges: True)
    else:
        monkeypatch.undo()
    scenario, _ = load_by_ref(ref)
    sim = Simulation(scenario, 3)
    for action in scenario.solution[:-1]:
        sim.run_until(action.at)
        sim.apply(action)
    sim.run_until(min(scenario.duration, 1800.0))
    series = {name: sim.series.window(name).values for name in sim.series.names()}
    coarse = {name: sim.recorder.instance_series.window(name).values for name in sim.recorder.instance_series.names()}
    return sim.score().as_dict(), series, coarse, [(r.t, r.message) for r in sim.logs()]


def _same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize(
    "ref",
    [
        "retry-storm",
        "cache-stampede-db-overload",
        "db-pool-exhaustion",
        "az-outage",
        "db-failover-lost-writes",
        "reconnect-storm",
        "dns-resolver-storm",
    ],
)
def test_skipping_unchanged_services_gives_identical_results(ref, monkeypatch):
    skipped = _play(ref, monkeypatch, force=False)
    computed = _play(ref, monkeypatch, force=True)
    assert skipped[0] == computed[0]
    for store in (1, 2):
        assert skipped[store].keys() == computed[store].keys()
        assert all(_same(skipped[store][n], computed[store][n]) for n in skipped[store])
    assert skipped[3] == computed[3]


def _recomputing_on_every_callee_change(real):
    """The rule before ``ServiceState.moved``: any callee recomputed recomputes its callers."""

    def inputs_changed(s, node):
        return real(s, node) or any(d.changed for d in node.callees)

    return inputs_changed


def _exact_play(ref: str, seed: int, acting: bool, until: float = 3600.0):
    scenario, _ = load_by_ref(ref)
    sim = Simulation(scenario, seed)
    recomputes = walks = 0
    real, real_walk = model.TickModel._instances, model._dependencies_by_settings

    def counted(self, node, dt, deps, hang):
        nonlocal recomputes
        recomputes += 1
        return real(self, node, dt, deps, hang)

    def walked(node, *args):
        nonlocal walks
        walks += bool(node.edges)  # (a leaf's is no walk)
        return real_walk(node, *args)

    model.TickModel._instances = counted
    model._dependencies_by_settings = walked
    try:
        for action in scenario.solution[:-1] if acting else ():
            sim.run_until(action.at)
            sim.apply(action)
        sim.run_until(min(scenario.duration, until))
    finally:
        model.TickModel._instances = real
        model._dependencies_by_settings = real_walk
    series = {
        name: [v.hex() for v in store.window(name).values]
        for store in (sim.series, sim.recorder.instance_series)
        for name in store.names()
    }
    return sim.score().as_dict(), series, [(r.t, r.message) for r in sim.logs()], recomputes, walks


@pytest.mark.parametrize(
    ("ref", "seed", "acting", "until"),
    [("retry-storm", 2, True, 3600.0), ("backbone-withdrawn-dns-unreachable", 1, False, 7200.0)],
)
def test_a_callee_recomputed_to_the_same_figures_leaves_its_callers_be_bit_for_bit(
    ref, seed, acting, until, monkeypatch
):
    """Callers skip a callee that recomputed to what they read of it (a saturated service, a settling
    retry loop), a service recomputed for its own load keeps what its dependencies do to it, and every
    series, log line and the report stay bit for bit those of recomputing them and walking every time."""
    skipping = _exact_play(ref, seed, acting, until)
    monkeypatch.setattr(model, "_inputs_changed", _recomputing_on_every_callee_change(model._inputs_changed))
    monkeypatch.setattr(model, "_deps_stand", lambda node: False)
    recomputing = _exact_play(ref, seed, acting, until)
    assert skipping[0] == recomputing[0]
    assert skipping[1] == recomputing[1]
    assert skipping[2] == recomputing[2]
    assert skipping[3] < 0.95 * recomputing[3], "no recomputation was saved"
    assert skipping[4] < 0.95 * recomputing[4], "no walk of the dependencies was saved"
