"""Follow-the-sun: the next region's shift goes on from the previous one's journal, open incidents running."""

from __future__ import annotations

import json

import pytest
from shiftkit import bench_library  # noqa: F401 (bench_library pins the library plans draw from)

from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.simulation import Simulation
from simulator.session.timed import play_timed
from simulator.shift.journal import JournalError
from simulator.shift.runner import new_shift, play_steps, replay_shift, run_shift
from simulator.shift.steps import ShiftStep
from tui.cli import main


def step(at: float, incident: int | None, **body) -> ShiftStep:
    return ShiftStep(at, ACTION_ADAPTER.validate_python(body), incident)


FIRST = [  # seed 2, 1 h: checkout-oom-leak arrives at 20 min and pages at about 23.5 min
    step(1500.0, 1, action="ack"),
    step(1560.0, 1, action="set_severity", severity="SEV2"),
    step(1620.0, 1, action="hypothesis", text="checkout v2.5.0 leaks memory"),
]
SECOND = [  # the next region: roll back, then resolve once the errors have stopped
    step(300.0, 1, action="rollback_deploy", service="checkout"),
    step(1200.0, 1, action="resolve", summary="rolled back checkout v2.5.0 (memory leak)"),
]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    path = tmp_path_factory.mktemp("sun") / "emea.jsonl"
    shift, report = run_shift(2, FIRST, hours=1.0, journal_path=path)
    assert [(i["scenario"], i["outcome"]) for i in report["incidents"]] == [("checkout-oom-leak", "unresolved")]
    return path


def acked(sim: Simulation) -> bool:
    return any(page.acked_at is not None for page in sim.alerts.pages)


def test_an_open_incident_goes_on_running_in_the_next_shift_and_resolves_there(first, tmp_path):
    nxt = new_shift(5, hours=1.0, journal_path=tmp_path / "amer.jsonl", continue_from=first)
    run = nxt.run_of(1)
    assert run is not None and run.handed_over and run.plan.previous_number == 1
    assert run.scenario.id == "checkout-oom-leak" and not run.over
    assert run.sim.now == pytest.approx(3600.0 - 1200.0)  # its clock carried over: 40 min in
    assert acked(run.sim) and run.sim.incident.severity == "SEV2"
    assert nxt.plan.starts_at == 3600.0 and [i.number for i in nxt.plan.incidents] == [2]

    # Its timers run on: the same incident played in one piece is where the carried one is.
    nxt.run_until(600.0)
    assert run.sim.now == pytest.approx(3000.0)
    one_piece = Simulation(run.scenario, run.plan.seed)
    play_timed(one_piece, run.applied, 3000.0)
    assert one_piece.metric("checkout", "memory_ratio").values == run.sim.metric("checkout", "memory_ratio").values
    assert [(e.t, e.kind, e.text) for e in one_piece.timeline()] == [(e.t, e.kind, e.text) for e in run.sim.timeline()]
    assert len(run.sim.world.services["checkout"].instances) == len(one_piece.world.services["checkout"].instances)

    play_steps(nxt, SECOND)
    nxt.journal.close()
    assert run.resolved
    replayed, report = replay_shift(tmp_path / "amer.jsonl")  # the new journal is self-contained
    incident = report["incidents"][0]
    assert (incident["number"], incident["handed_over_from"], incident["outcome"]) == (1, 1, "resolved")
    assert incident["arrived_at_s"] == -2400.0 and report["starts_at_s"] == 3600.0
    # It was paged in the previous shift: no "monitoring gap" because this shift did not page it again.
    assert "monitoring gap" not in [r["trigger"] for r in incident["postmortem_reasons"]]
    assert incident["time_spent_s"] <= 1200.0  # counted in this shift only
    assert replayed.run_of(1).resolved


def test_a_page_nobody_acknowledged_pages_the_next_shift(tmp_path):
    path = tmp_path / "apac.jsonl"
    run_shift(2, [], hours=1.0, journal_path=path)  # nobody answers the pager
    nxt = new_shift(7, hours=1.0, continue_from=path)
    pages = [p for p in nxt.pages if p.incident == 1]
    assert len(pages) == 1 and pages[0].t == 0.0 and pages[0].acked_at is None
    assert not acked(nxt.run_of(1).sim)
    nxt.run_until(360.0)
    assert pages[0].escalated  # nobody answered the primary in 5 minutes: the policy walks on
    assert nxt.apply(step(360.0, None, action="ack")).accepted
    assert pages[0].acked_at == 360.0 and acked(nxt.run_of(1).sim)


def test_only_a_finished_shift_is_handed_over_and_resolved_incidents_stay_behind(first, tmp_path):
    unfinished = tmp_path / "unfinished.jsonl"
    shift = new_shift(2, hours=1.0, journal_path=unfinished)
    shift.run_until(1800.0)
    shift.journal.close()
    with pytest.raises(JournalError, match="has not ended"):
        new_shift(5, hours=1.0, continue_from=unfinished)
    done = tmp_path / "done.jsonl"
    run_shift(
        2,
        [*FIRST, step(1700.0, 1, action="rollback_deploy", service="checkout"), step(2700.0, 1, action="resolve")],
        hours=1.0,
        journal_path=done,
    )
    nxt = new_shift(5, hours=1.0, continue_from=done)
    assert nxt.plan.carried == [] and [r.number for r in nxt.runs] == []


def test_the_command_continues_a_shift_and_shows_the_handoff_first(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MISFORTUNE_HOME", str(tmp_path / "home"))
    first_actions, actions = tmp_path / "emea.yaml", tmp_path / "amer.yaml"
    first_actions.write_text("- {at: 25m, incident: 1, action: ack}\n")
    actions.write_text(
        "- {at: 5m, incident: 1, action: rollback_deploy, service: checkout}\n"
        "- {at: 20m, incident: 1, action: resolve, summary: rolled back}\n"
    )
    emea, amer = tmp_path / "emea.jsonl", tmp_path / "amer.jsonl"
    argv = ["shift", "--seed", "2", "--hours", "1", "--actions", str(first_actions), "--journal", str(emea), "--json"]
    assert main(argv) == 0
    capsys.readouterr()
    argv = ["shift", "--seed", "5", "--hours", "1", "--continue-from", str(emea), "--actions", str(actions)]
    assert main([*argv, "--journal", str(amer), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["incidents"][0]["handed_over_from"] == 1 and report["incidents"][0]["outcome"] == "resolved"
    assert report["previous_handoff"]["open_incidents"][0]["scenario"] == "checkout-oom-leak"
    # The incident's follow-ups were recorded once, by the shift that had it first.
    assert main(["follow-ups", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    items = items["follow_ups"]
    writes = [
        i for i in items if i["action"].startswith("Write the postmortem") and i["scenario"] == "checkout-oom-leak"
    ]
    assert len(writes) == 1
    assert main(["shift", "--continue-from", str(emea), "--after", str(emea), "--json"]) == 2
    assert "--continue-from" in capsys.readouterr().err
