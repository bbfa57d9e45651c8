"""simulator.session.runner: sessions headless, journals, replay (including an interrupted session)."""

import json

import pytest
from headless_kit import SHIPPED, SOLUTION_ACTIONS

from scenarios import load_actions_text, load_by_ref
from simulator.session.journal_session import replay_journal
from simulator.session.runner import SessionError, run_session


@pytest.fixture(scope="module")
def shipped():
    return load_by_ref(SHIPPED)


def test_session_stops_once_resolved(shipped):
    scenario, path = shipped
    actions = load_actions_text(SOLUTION_ACTIONS, "actions.yaml")
    sim, report = run_session(scenario, 1, actions, scenario_path=path)
    assert sim.end_reason == "resolved"
    assert report.outcome == "resolved"
    assert sim.now == 1260.0


def test_session_until_ends_early(shipped):
    scenario, _ = shipped
    sim, report = run_session(scenario, 1, load_actions_text(SOLUTION_ACTIONS, "a.yaml"), until=420.0)
    assert sim.end_reason == "until"
    assert report.ended_at_s == 420.0
    assert report.outcome == "unresolved"  # the resolve at 21m never came


def test_actions_without_time_or_out_of_order_are_refused(shipped):
    scenario, _ = shipped
    with pytest.raises(SessionError) as err:
        run_session(
            scenario,
            1,
            list(scenario.solution[:1]) + [a.model_copy(update={"at": None}) for a in scenario.solution[:1]],
        )
    assert err.value.problems == ["actions[1] (ack): needs an 'at' time"]
    late = load_actions_text("- {at: 9m, action: ack}\n- {at: 1m, action: ack}\n- {at: 3h, action: resolve}\n", "a")
    with pytest.raises(SessionError) as err:
        run_session(scenario, 1, late)
    assert err.value.problems == [
        "actions[1] (ack): at 1m comes before the previous action's 9m; list actions in time order",
        "actions[2] (resolve): at 3h is after the end of the scenario (2h)",
    ]


def test_interrupted_journal_replays_up_to_its_last_action(shipped, tmp_path):
    scenario, path = shipped
    journal = tmp_path / "session.jsonl"
    actions = load_actions_text(
        "- {at: 5m, action: ack}\n- {at: 9m, action: rollback_deploy, service: checkout}\n", "a"
    )
    sim, _ = run_session(scenario, 2, actions, until=600.0, journal_path=journal, scenario_path=path)
    lines = journal.read_text().splitlines()
    assert json.loads(lines[-1])["type"] == "end"
    journal.write_text("\n".join(lines[:-1]) + '\n{"type": "act')  # killed mid-write, no end record
    replayed, report = replay_journal(journal)
    assert replayed.end_reason == "interrupted"
    assert replayed.now == 540.0
    assert report.tta_s is not None
