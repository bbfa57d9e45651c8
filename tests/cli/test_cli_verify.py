"""misfortune verify and simulator.session.verify: baselines per scenario and seed, exit codes."""

from headless_kit import SHIPPED

from scenarios import load_by_ref
from simulator.session.verify import verify_scenarios
from simulator.session.verify_runs import trap_actions
from tui.cli import main


def test_verify_shipped_scenario_passes(capsys):
    assert main(["verify", SHIPPED, "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert "reference" in out and "nothing" in out and "trap 1" in out
    assert "0 failed" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    # The trap run stopped once decided: its row says so, and the note under the tables what that means.
    assert "trap 1      springs, hurts    still open " in out
    assert "still open: a trap run stops once its resolve was refused" in " ".join(out.split())


def test_trap_replaces_the_mitigations_and_keeps_the_process():
    scenario, _ = load_by_ref(SHIPPED)
    actions = trap_actions(scenario, scenario.traps[0])
    names = [(a.at, a.action) for a in actions]
    assert (540.0, "restart") in names
    assert "rollback_deploy" not in [a.action for a in actions]
    assert names[-1] == (1260.0, "resolve")
    assert names[0] == (300.0, "ack")


def test_verify_fails_a_scenario_whose_solution_does_not_fix_it(user_scenario, capsys):
    user_scenario(
        "no-fix",
        {
            "action: rollback_deploy, service: checkout}": "action: scale, service: checkout, replicas: 8}",
            "duration: 2h": "duration: 30m",
        },
    )
    assert main(["verify", "no-fix", "--seeds", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL no-fix seed 1 reference: the reference solution ends" in out


def test_verify_bad_input_exits_2(capsys):
    assert main(["verify"]) == 2
    assert "name the scenarios to verify, or use --all" in capsys.readouterr().err
    assert main(["verify", "nope", "--seeds", "0"]) == 2
    err = capsys.readouterr().err
    assert "--seeds: 0 must be 1 or more" in err and "unknown scenario 'nope'" in err


def test_parallel_and_serial_verify_agree():
    scenario, _ = load_by_ref(SHIPPED)
    short = scenario.model_copy(update={"duration": 900.0})
    assert verify_scenarios([short], [1, 2], workers=2) == verify_scenarios([short], [1, 2], workers=1)
