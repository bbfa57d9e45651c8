"""Escalation gets an answer (issue 14, deliverable 5): the paged responder joins through the message
mechanism after their delay and asks for status; headless, deterministic."""

from __future__ import annotations

from scenarios.language.actions import ACTION_ADAPTER
from simulator.incident.escalation import REPLY_SECONDS, reply_to
from simulator.session.simulation import Simulation


def test_each_responder_answers_in_their_own_words():
    assert reply_to("secondary", "@sam (secondary on-call)").sender == "@sam"
    assert "impact" in reply_to("secondary", "@sam (secondary on-call)").text
    imoc = reply_to("incident-commander", "@sam")
    assert imoc.sender.startswith("@imoc") and "next update" in imoc.text
    assert reply_to("@payments-team", "@sam").sender == "@payments-team"
    assert reply_to("IMOC", "@sam").delay == REPLY_SECONDS["incident-commander"]


def test_the_secondary_answers_through_the_message_mechanism(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    sim.run_until(300)
    before = len(sim.messages())
    result = sim.apply(ACTION_ADAPTER.validate_python({"action": "escalate", "to": "secondary"}))
    assert result.accepted
    sim.run_until(300 + REPLY_SECONDS["secondary"] - 1)
    assert len(sim.messages()) == before, "not before the responder's delay"
    sim.run_until(300 + REPLY_SECONDS["secondary"] + 1)
    reply = sim.messages()[-1]
    assert reply.sender == oom_scenario.secondary.split()[0] and reply.t == 300 + REPLY_SECONDS["secondary"]
    assert any(e.kind == "message" and reply.sender in e.text for e in sim.timeline())


def test_the_answer_is_the_same_on_every_run(oom_scenario):
    def run() -> list:
        sim = Simulation(oom_scenario, seed=3)
        sim.run_until(200)
        sim.apply(ACTION_ADAPTER.validate_python({"action": "escalate", "to": "incident-commander"}))
        sim.run_until(900)
        return sim.messages()

    assert run() == run()


def test_the_incident_commander_takes_command_when_they_join_unless_one_was_named(oom_scenario):
    sim = Simulation(oom_scenario, seed=7)
    sim.run_until(200)
    assert sim.apply(ACTION_ADAPTER.validate_python({"action": "escalate", "to": "incident-commander"})).accepted
    sim.run_until(200 + REPLY_SECONDS["incident-commander"] - 1)
    assert "imoc" not in sim.incident_view().roles, "not before they join"
    sim.run_until(200 + REPLY_SECONDS["incident-commander"] + 1)
    assert sim.incident_view().roles["imoc"] == "@imoc (incident commander)"
    sim.run_until(900)
    assert dict(sim.incidents({"imoc": "you"})[0].roles)["imoc"] == "@imoc (incident commander)"
    assert any(e.kind == "role" and "took command" in e.text for e in sim.timeline())
    named = Simulation(oom_scenario, seed=7)
    named.run_until(200)
    for fields in ({"action": "assign_role", "role": "imoc", "person": "@ana"}, {"action": "escalate", "to": "imoc"}):
        assert named.apply(ACTION_ADAPTER.validate_python(fields)).accepted
    named.run_until(600)
    assert named.incident_view().roles["imoc"] == "@ana", "a named IC keeps command"
    secondary = Simulation(oom_scenario, seed=7)
    secondary.run_until(200)
    secondary.apply(ACTION_ADAPTER.validate_python({"action": "escalate", "to": "secondary"}))
    secondary.run_until(600)
    assert "imoc" not in secondary.incident_view().roles, "the secondary joins; command stays where it was"
