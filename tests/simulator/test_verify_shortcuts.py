"""verify's two shortcuts change no check (simulator/session/verify.py, verify_runs.py).

- A trap run started from the reference's snapshot at the first mitigation is the run replayed from zero:
  the same report, bit for bit (every float of it), at the time it stops.
- A trap run stopped after its last step, its check decided, shows what the whole run shows: the same
  verdict, problem, grade and TTR, and ``still open`` only where the whole run ends unresolved or
  mitigated; its failed requests, as of its stop, are already more than the reference's and no more than
  the whole run's.

The cases: one trap (checkout-oom-leak), a trap the engine refuses at the first mitigation (its run
there stops at the refusal) and takes at the next (az-outage: played from zero, not from the
snapshot), and two traps on another seed (cert-expiry).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest
from verify_kit import scenario_for, verified

from scenarios.language.actions import ACTION_ADAPTER
from simulator.session import verify, verify_runs
from simulator.session.verify import NOTHING, STILL_OPEN
from simulator.session.verify_runs import play_trap

CASES = [
    ("checkout-oom-leak", 1),
    ("az-outage", 1),
    ("cert-expiry", 3),
]
NO_SNAPSHOT = ("bad-flag-cohort", 1)
"""A session that cannot be snapshotted at the trap's time (a fault's onset is pending inside a rollout):
its trap runs replay from zero, the path the shortcuts leave as it was, so it is not replayed twice here."""


@cache
def reference_run(ref: str, seed: int):
    """The reference played with its snapshot for the traps (a snapshot restores any number of times)."""
    return verify_runs.play_reference(scenario_for(ref, seed), seed)


@cache
def plain(ref: str, seed: int) -> tuple:
    """The checks played without the shortcuts: every trap from zero to the scenario's end (doing nothing
    takes none: it is left out)."""
    scenario = scenario_for(ref, seed)
    reference, sim, start = verify._check_reference(scenario, seed, share=False)
    assert start is None
    checks = [reference]
    for number, trap in enumerate(scenario.traps, 1):
        checks.append(verify._check_trap(scenario, seed, number, trap, reference, None, stop_early=False))
    if any(m.claims for m in scenario.messages):
        checks.append(verify._check_claims(scenario, seed, reference, sim))
    return tuple(checks)


@pytest.mark.parametrize(("ref", "seed"), CASES)
def test_verify_shows_what_the_plain_replay_shows(ref, seed):
    shown = [c for c in verified(ref, seed) if c.baseline != NOTHING]
    whole_runs = plain(ref, seed)
    assert [c.baseline for c in shown] == [c.baseline for c in whole_runs]
    reference = whole_runs[0]
    for quick, whole in zip(shown, whole_runs, strict=True):
        assert whole.stopped_at_s is None
        if quick.stopped_at_s is None:
            assert quick == whole
            continue
        assert quick.baseline.startswith("trap ") and quick.passed
        assert quick.outcome == STILL_OPEN and whole.outcome in ("unresolved", "mitigated")
        assert reference.failed_requests < quick.failed_requests <= whole.failed_requests
        as_whole = replace(quick, outcome=whole.outcome, stopped_at_s=None)
        assert replace(as_whole, failed_requests=whole.failed_requests, data_lost=whole.data_lost) == whole


def test_every_case_shares_or_falls_back_as_described():
    shared = {ref: reference_run(ref, seed)[2] is not None for ref, seed in [*CASES, NO_SNAPSHOT]}
    assert shared == {"checkout-oom-leak": True, "az-outage": True, "cert-expiry": True, "bad-flag-cohort": False}
    stopped = [c.baseline for ref, seed in CASES for c in verified(ref, seed) if c.stopped_at_s is not None]
    assert len(stopped) >= 5


@pytest.mark.parametrize(("ref", "seed"), CASES)
def test_a_trap_run_from_the_snapshot_is_the_run_from_zero(ref, seed):
    # Each run as verify plays it at the first mitigation: stopped once decided, or at a refusal.
    scenario = scenario_for(ref, seed)
    _, report, start = reference_run(ref, seed)
    for trap in scenario.traps:
        from_snapshot = play_trap(scenario, seed, trap, 0, start, report.failed_requests, retried=True)
        from_zero = play_trap(scenario, seed, trap, 0, None, report.failed_requests, retried=True)
        assert from_snapshot == from_zero


def test_a_trap_run_that_has_not_yet_failed_more_requests_plays_to_the_end():
    # Asked to beat exactly what it has failed by its last step, the run is not decided there: it plays
    # on, to the report of the whole run.
    scenario = scenario_for("checkout-oom-leak", 1)
    quick, whole = verified("checkout-oom-leak", 1)[2], plain("checkout-oom-leak", 1)[1]
    assert quick.stopped_at_s is not None
    run = play_trap(scenario, 1, scenario.traps[0], 0, reference_run("checkout-oom-leak", 1)[2], quick.failed_requests)
    assert run.stopped_at is None
    assert (run.report.outcome, run.report.failed_requests) == (whole.outcome, whole.failed_requests)


def test_a_trap_run_with_a_refused_move_plays_to_the_end(monkeypatch):
    # The trap's own move springs, then an undrain of a zone nobody drained is refused: the run is not
    # decided (every move must be taken), so it plays on to the (shortened) end.
    scenario = scenario_for("checkout-oom-leak", 1).model_copy(update={"duration": 1500.0})
    undrain = ACTION_ADAPTER.validate_python({"action": "undrain_zone", "zone": "eu-west-1a"})
    moves = verify_runs.trap_moves
    monkeypatch.setattr(verify_runs, "trap_moves", lambda trap, sim: [*moves(trap, sim), (0.0, undrain)])
    run = play_trap(scenario, 1, scenario.traps[0], 0, None, 0)
    assert run.sprung and "is not drained" in run.refused
    assert run.stopped_at is None and run.report.ended_at_s == 1500.0
