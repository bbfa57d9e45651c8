"""verify's checks: a trap must be taken, spring and hurt; doing nothing must hurt; messages' claims hold."""

from __future__ import annotations

from simkit import build, load_oom, tiny
from verify_kit import verified

from scenarios.language.messages import Claim
from scenarios.language.scenario import Message
from scenarios.language.traps import Trap
from simulator.session.verify import NOTHING, verify_seed

CRASH_ALERT = "KubePodCrashLooping checkout"
"""The rule that fires in checkout-oom-leak's reference run (seed 1)."""


def check(scenario, baseline, seed=1):
    return next(c for c in verify_seed(scenario, seed) if c.baseline == baseline)


def with_trap(**trap):
    oom = load_oom()
    return oom.model_copy(update={"traps": [Trap(why="a trap", **trap)]})


def test_a_shipped_trap_is_taken_springs_and_fails_more_requests_than_the_reference():
    reference, _, trap = verified("checkout-oom-leak", 1)
    assert trap.passed, trap.problem
    assert trap.failed_requests > reference.failed_requests


def test_a_trap_the_engine_refuses_everywhere_fails_verify():
    trap = check(with_trap(match={"action": "undrain_zone", "zone": "eu-west-1a"}), "trap 1")
    assert not trap.passed
    assert "cannot be taken at any point of the solution: the engine refuses it" in trap.problem
    assert "is not drained" in trap.problem
    assert trap.stopped_at_s is None  # a run with a refused move is played to its end


def test_a_trap_that_never_springs_fails_verify():
    trap = check(with_trap(match={"action": "restart", "service": "checkout", "mode": "all"}, version="v9*"), "trap 1")
    assert not trap.passed
    assert "never sprang" in trap.problem
    assert trap.stopped_at_s is None  # a run that did not spring is played to its end


def test_a_trap_that_does_no_harm_fails_verify():
    # The expert's own fix as a "trap" (validate refuses this; built here without the loader): it resolves
    # as well as the reference, so it cannot be shown to hurt.
    trap = check(with_trap(match={"action": "rollback_deploy", "service": "checkout"}), "trap 1")
    assert not trap.passed
    assert "does no measurable harm" in trap.problem


def test_a_pattern_trap_is_played_on_the_first_service_that_fits():
    trap = check(with_trap(match={"action": "restart", "service": "check*", "mode": "all"}), "trap 1")
    assert trap.passed, trap.problem


def test_doing_nothing_must_hurt_users():
    calm = build(tiny())  # its only fault never happens
    nothing = check(calm, NOTHING)
    assert not nothing.passed
    assert nothing.problem == "doing nothing hurts nobody: the user-facing SLI never breaks its objective"
    assert next(c for c in verified("checkout-oom-leak", 1) if c.baseline == NOTHING).passed


def claiming(fires: bool):
    oom = load_oom()
    message = Message(at=300.0, **{"from": "@lee"}, text="that alert", claims=[Claim(alert=CRASH_ALERT, fires=fires)])
    return oom.model_copy(update={"messages": [message]})


def test_a_true_claim_passes_and_a_false_one_fails_with_what_happened():
    assert check(claiming(True), "claims").passed
    false = check(claiming(False), "claims")
    assert not false.passed
    assert false.problem == f"messages[0] from @lee says {CRASH_ALERT} never fires, but it does"


def test_no_claims_no_claims_row():
    assert "claims" not in [c.baseline for c in verified("checkout-oom-leak", 1)]


def test_a_trap_that_spares_users_but_loses_data_still_hurts():
    # The split-brain scenario's wipe of the old primary: its play loses the writes only that copy held,
    # which the reference (reconcile, then rebuild) keeps; verify counts that as harm.
    from scenarios.catalog import load_by_ref
    from simulator.session.verify import _check_reference
    from simulator.session.verify_runs import play_trap

    scenario, _ = load_by_ref("partition-split-brain-failover")
    scenario = scenario.for_seed(1)
    wipe = next(t for t in scenario.traps if t.match.get("action") == "resync_replica" and "0" in t.match["host"])
    run = play_trap(scenario, 1, wipe)
    assert run.sprung and run.report.data_lost > 100_000
    # The reference's check as verify makes it (doing nothing and the other traps, 4 h each, are not read).
    reference = _check_reference(scenario, 1)[0]
    assert reference.passed and reference.data_lost == 0
    # Measured by data alone: give the trap run fewer failed requests than the reference.
    from dataclasses import replace

    from simulator.session.verify import _hurts

    spared = replace(run.report, failed_requests=0)
    assert _hurts(spared, reference)
    assert not _hurts(replace(spared, data_lost=0), reference)
