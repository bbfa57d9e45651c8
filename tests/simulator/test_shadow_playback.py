"""Shadow playback, headless: the expert's moves, the pauses before them, predictions, rewind, journals."""

from __future__ import annotations

import random

import pytest

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.journal import Journal, read_journal
from simulator.session.playback import ShadowPlayback
from simulator.session.predictions import choices_for, judge, move_key
from simulator.session.shadow import ShadowRun, moves_from_journal
from simulator.session.simulation import Simulation


@pytest.fixture(scope="module")
def oom():
    return load_by_ref("checkout-oom-leak")[0]


def until_asked(playback: ShadowPlayback, step: float = 30.0) -> None:
    for _ in range(10_000):
        if playback.state != "watching":
            return
        playback.step(step)
    raise AssertionError("the playback never asked")


def test_reference_run_becomes_moves_with_reasons(oom):
    run = ShadowRun.from_scenario(oom, 1)
    assert [m.body["action"] for m in run.moves] == [s.action for s in oom.solution]
    rollback = run.moves[4]
    assert rollback.t == 540.0 and rollback.body == {"action": "rollback_deploy", "service": "checkout"}
    assert "slope" in rollback.why and [look.panel for look in rollback.looks] == ["changes", "dashboards"]


def test_playback_holds_before_each_move_until_answered(oom):
    playback = ShadowPlayback(ShadowRun.from_scenario(oom, 1))
    until_asked(playback)
    assert playback.state == "asking" and playback.run.now == 300.0
    assert [e for e in playback.run.sim.incident.timeline if e.source == "expert"] == []  # not played yet
    playback.step(600.0)  # the clock stays put while a question is open
    assert playback.run.now == 300.0
    reveal = playback.answer(None)
    assert reveal.result.accepted and reveal.move.body == {"action": "ack"}
    assert playback.state == "revealed" and reveal.prediction.picked == "(skipped)"


def test_prediction_matching_the_expert_and_one_picking_the_trap(oom):
    playback = ShadowPlayback(ShadowRun.from_scenario(oom, 1))
    verdicts = []
    while playback.state != "ended":
        until_asked(playback)
        if playback.state == "ended":
            break
        move = playback.move
        labels = [c.key for c in playback.choices]
        if move.body["action"] == "rollback_deploy":
            pick = next(i for i, c in enumerate(playback.choices, 1) if c.trap)  # restart all at once
        else:
            pick = labels.index(move_key(move.body)) + 1
        verdicts.append(playback.answer(pick).prediction.verdict)
        playback.proceed()
    summary = playback.summary()
    assert verdicts == ["match"] * 4 + ["trap"] + ["match"] * 2
    assert summary.matched == 6 and [p.expert for p in summary.traps] == ["rollback deploy checkout"]
    assert "leak brings the kills back" in summary.traps[0].trap
    assert playback.run.sim.incident.state == "resolved"  # the expert's run, not the trainee's picks, was played


def test_choices_are_the_expert_traps_and_visible_targets_shuffled_by_seed(oom):
    playback = ShadowPlayback(ShadowRun.from_scenario(oom, 1))
    until_asked(playback)
    for _ in range(4):
        playback.answer(1)
        playback.proceed()
        until_asked(playback)
    move = playback.move
    keys = [c.key for c in playback.choices]
    assert move_key(move.body) in keys and len(keys) == len(set(keys)) <= 6
    assert [c.label for c in playback.choices if c.trap] == ["restart checkout (all at once)"]
    sim = playback.run.sim
    args = (move.body, oom.traps, sim.services(), sim.change_log(), sim.zones(), list(sim.flags()), sim.now)
    again = choices_for(*args, random.Random("1:shadow:4"))
    assert again == playback.choices
    assert choices_for(*args, random.Random("2:shadow:4")) != again


def test_free_prediction_is_judged_on_kind_and_target(oom):
    restart_all = {"action": "restart", "service": "checkout", "mode": "all"}
    assert judge(restart_all, {"action": "rollback_deploy", "service": "checkout"}, oom.traps)[0] == "trap"
    assert (
        judge(
            {"action": "rollback_deploy", "service": "checkout", "to": "v2.4.1"},
            {"action": "rollback_deploy", "service": "checkout"},
            oom.traps,
        )[0]
        == "match"
    )
    assert judge(
        {"action": "rollback_deploy", "service": "catalog"},
        {"action": "rollback_deploy", "service": "checkout"},
        oom.traps,
    ) == ("other", None)


def test_rewind_replays_to_the_previous_question_exactly(oom):
    playback = ShadowPlayback(ShadowRun.from_scenario(oom, 1))
    for _ in range(5):
        until_asked(playback)
        first = playback.answer(2).prediction
        playback.proceed()
    until_asked(playback)  # the status update at 20m, after the rollback
    target = playback.rewind()
    assert target.index == 4 and playback.state == "asking" and playback.run.now == 540.0
    assert playback.move.index == 4
    straight = Simulation(playback.run.scenario, 1)
    for move in playback.run.moves[:4]:
        straight.run_until(move.t)
        straight.apply(move.action, move.seat)
    straight.run_until(540.0)
    assert (
        straight.metric("checkout", "memory_ratio").values == playback.run.sim.metric("checkout", "memory_ratio").values
    )
    assert playback.answer(1).prediction == first  # the first answer counts


def test_a_journal_plays_with_the_seniors_notes_as_reasons(oom, tmp_path):
    path = tmp_path / "senior.jsonl"
    sim = Simulation(oom, 3, Journal(path, {"scenario": oom.id, "seed": 3}))

    def act(t, seat, **body):
        sim.run_until(t)
        sim.apply(ACTION_ADAPTER.validate_python(body), seat)

    act(200, "tloc:senior", action="note", text="pods keep dying, memory climbs")
    sim.run_until(250)
    sim.look("panel", "tloc:senior", name="dashboards")
    sim.look("log_query", "tloc:senior", text="OOMKilled\x1b[31m", service=None)
    act(300, "tloc:senior", action="ack")
    act(320, "tloc:senior", action="rollback_deploy", service="checkout")
    act(330, "tloc:senior", action="note", text="rolled back\nwatching")
    sim.end("gave_up")
    sim.journal.close()
    moves = moves_from_journal(read_journal(path))
    assert [(m.body["action"], m.asked) for m in moves] == [
        ("note", False),
        ("ack", True),
        ("rollback_deploy", True),
        ("note", False),
    ]
    assert moves[1].why == "pods keep dying, memory climbs"
    assert [look.label() for look in moves[1].looks] == ["dashboards", "logs “OOMKilled [31m”"]
    assert moves[2].why is None and moves[2].looks == ()  # that note explained the ack, not this move
    run = ShadowRun.from_journal(path)
    assert run.seed == 3 and run.end_t == 330.0
    playback = ShadowPlayback(run)
    until_asked(playback)
    timeline = playback.run.sim.incident.timeline
    assert any(e.kind == "note" and e.source == "tloc:senior" for e in timeline)  # silent moves are played as they come


@pytest.mark.parametrize("seed", [1, 2])
def test_every_shipped_reference_run_plays_to_its_end_in_shadow(seed):
    from scenarios.catalog import library_dir, scenario_files
    from scenarios.loader import load_scenario

    for path in scenario_files(library_dir()):
        playback = ShadowPlayback(ShadowRun.from_scenario(load_scenario(path), seed))
        if seed != 1:
            # Seed 1 plays with the snapshots a shadow run keeps for its rewinds, as the TUI does; they
            # never change the run (test_snapshot_restore proves it for every shipped scenario) and are
            # three quarters of this test's CPU (a deep copy every 5 simulated minutes), so seed 2 plays
            # without them.
            playback.run.sim.checkpoints = None
        asked = 0
        while playback.state != "ended":
            until_asked(playback, 120.0)
            if playback.state == "ended":
                break
            keys = [c.key for c in playback.choices]
            assert move_key(playback.move.body) in keys and len(keys) == len(set(keys)) <= 9, path.name
            assert all(c.label for c in playback.choices)
            playback.answer(None)
            playback.proceed()
            asked += 1
        assert asked == len(playback.run.moves), path.name
        assert playback.run.sim.incident.state == "resolved", path.name


def test_replay_to_a_move_also_goes_forward_from_a_fresh_run(oom):
    run = ShadowRun.from_scenario(oom, 1)
    run.rewind_to_move(4)
    assert (run.now, run.next_index, run.next_move.body["action"]) == (540.0, 4, "rollback_deploy")
    assert [r.action for r in run.results.values()] == ["ack", "set_severity", "hypothesis", "status_update"]


def test_questions_for_the_mentor_are_cleaned_and_bounded(oom):
    playback = ShadowPlayback(ShadowRun.from_scenario(oom, 1))
    with pytest.raises(ValueError, match="write the question"):
        playback.mark("\x1b\x07 ")
    for i in range(100):
        playback.mark(f"q{i}\x1b[31m")
    assert playback.questions[0].text == "q0 [31m"
    with pytest.raises(ValueError, match="100 questions"):
        playback.mark("one more")
