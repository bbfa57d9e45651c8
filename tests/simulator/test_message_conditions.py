"""Scripted messages with when / unless on the trainee's actions and the world, and their validate checks."""

from __future__ import annotations

import pytest
from simkit import build, sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER
from scenarios.loader import ScenarioError

ASK = {"at": "10m", "from": "@vp", "text": "Any update?", "unless": {"action": "status_update", "within": "5m"}}


def texts(sim):
    return [m.text for m in sim.messages()]


def update_at(sim, t):
    sim.run_until(t)
    assert sim.apply(ACTION_ADAPTER.validate_python({"action": "status_update", "text": "on it"})).accepted


def test_a_stakeholder_does_not_ask_right_after_an_update():
    sim = sim_of(tiny(messages=[ASK]))
    update_at(sim, 420)  # 7 minutes: within the 5 minutes before 10m
    sim.run_until(900)
    assert texts(sim) == []


def test_an_old_update_does_not_stop_the_question():
    sim = sim_of(tiny(messages=[ASK]))
    update_at(sim, 120)  # 8 minutes before: outside the window
    sim.run_until(900)
    assert texts(sim) == ["Any update?"]


def test_without_an_update_the_question_arrives():
    sim = sim_of(tiny(messages=[ASK]))
    sim.run_until(900)
    assert texts(sim) == ["Any update?"]


def test_when_needs_its_condition_at_the_messages_time():
    flagged = {**ASK, "unless": None, "when": {"flag": "new-ui", "enabled": False}}
    spec = tiny(messages=[flagged])
    spec["topology"]["flags"] = [{"name": "new-ui", "enabled": True}]
    sim = sim_of(spec)
    sim.run_until(900)
    assert texts(sim) == []
    sim = sim_of(spec)
    sim.run_until(60)
    sim.apply(ACTION_ADAPTER.validate_python({"action": "feature_flag", "flag": "new-ui", "enabled": False}))
    sim.run_until(900)
    assert texts(sim) == ["Any update?"]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"unless": {"action": "status_updat"}}, "messages[0].unless.action: unknown action 'status_updat'"),
        ({"when": {"within": "5m"}}, "within is the window of an action"),
        ({"when": {"flag": "nope", "enabled": True}}, "messages[0].when.flag: unknown flag 'nope'"),
        ({"claims": [{"alert": "DiskFull web", "fires": False}]}, "messages[0].claims[0].alert: unknown alert"),
        ({"when": {"alert_firing": "Nope"}}, "messages[0].when.alert_firing: unknown alert 'Nope'"),
    ],
)
def test_conditions_and_claims_name_what_exists(message, error):
    with pytest.raises(ScenarioError) as err:
        build(tiny(messages=[{"at": "5m", "from": "@a", "text": "hi", **message}]))
    assert error in str(err.value)
