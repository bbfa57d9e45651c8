"""One timed-play loop: a journal's replay to t and shadow on-call's rewind to t rebuild the same session."""

from __future__ import annotations

import pytest

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.journal import Journal
from simulator.session.journal_session import JournalSession
from simulator.session.shadow import ShadowRun
from simulator.session.simulation import Simulation
from simulator.session.timed import play_timed

MOVES = [
    (250.0, "imoc:alice", {"action": "ack"}),
    (300.0, "imoc:alice", {"action": "set_severity", "severity": "SEV2"}),
    (300.0, "tloc:bob", {"action": "note", "text": "memory climbs on checkout"}),
    (360.0, "tloc:bob", {"action": "restart", "service": "checkout"}),
    (540.0, "tloc:bob", {"action": "rollback_deploy", "service": "checkout"}),
    (600.0, "imoc:alice", {"action": "status_update", "text": "rolled back, watching"}),
]


@pytest.fixture(scope="module")
def game_day(tmp_path_factory):
    """A two-seat session journalled with its moves (two of them at the same second)."""
    oom = load_by_ref("checkout-oom-leak")[0]
    path = tmp_path_factory.mktemp("timed") / "gameday.jsonl"
    sim = Simulation(oom, 4, Journal(path, {"scenario": oom.id, "seed": 4}))
    for t, seat, body in MOVES:
        sim.run_until(t)
        assert sim.apply(ACTION_ADAPTER.validate_python(body), seat).accepted, (t, body)
    sim.run_until(900.0)
    sim.end("gave_up")
    sim.journal.close()
    return path


def state(sim: Simulation) -> tuple:
    """Everything a seat could tell apart: clock, who did what when, the incident, every figure."""
    return (
        sim.now,
        [(e.t, e.source, e.kind, e.text) for e in sim.incident.timeline],
        sim.incident.state,
        [
            (name, s.rate, s.errors, s.p50, s.p99, s.memory_ratio, s.version, len(s.instances))
            for name, s in sim.world.services.items()
        ],
        sim.metric("checkout", "memory_ratio").values,
    )


@pytest.mark.parametrize("t", [90.0, 270.0, 420.0, 610.0])
def test_shadow_rewind_is_the_journal_replay_to_the_same_time(game_day, t):
    run = ShadowRun.from_journal(game_day)
    run.rewind(880.0)  # from later on, back
    run.rewind(t)
    replayed = JournalSession.open(game_day).replay_to(t)
    assert state(run.sim) == state(replayed)
    assert [e.source for e in run.sim.incident.timeline if e.source != "system"] == [
        seat for at, seat, _ in MOVES if at < t
    ]
    assert run.next_index == sum(1 for at, _, _ in MOVES if at < t)


def test_at_a_moves_time_the_rewind_stops_before_it_and_the_replay_after_it(game_day):
    run = ShadowRun.from_journal(game_day)
    run.rewind(300.0)
    replayed = JournalSession.open(game_day).replay_to(300.0)
    assert run.next_move.t == 300.0 and run.next_move.seat == "imoc:alice"
    assert state(run.sim) != state(replayed)  # the two moves at 300 s are still to come
    while run.at_move():
        run.play_next()
    assert state(run.sim) == state(replayed)


def test_play_timed_stops_where_it_is_told_and_reports_each_move(game_day):
    data = JournalSession.open(game_day).data
    oom = load_by_ref("checkout-oom-leak")[0]
    seen: list[tuple[float, str, bool]] = []
    sim = Simulation(oom, 4)
    count = play_timed(sim, data.actions, 310.0, 300.0, played=lambda r, res: seen.append((r.t, r.seat, res.accepted)))
    assert count == 3 and sim.now == 310.0
    assert seen == [(250.0, "imoc:alice", True), (300.0, "imoc:alice", True), (300.0, "tloc:bob", True)]
    sim = Simulation(oom, 4)
    assert play_timed(sim, data.actions, 300.0, 300.0, before=True) == 1 and sim.now == 300.0
    assert play_timed(Simulation(oom, 4), data.actions, 30.0, 30.0) == 0
