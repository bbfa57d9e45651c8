"""The engine refuses absurd action parameters and floods past a session's caps; refusals are never scored."""

from __future__ import annotations

import math

import pytest

from scenarios.catalog import load_by_ref
from scenarios.language.actions import (
    ACTION_ADAPTER,
    Escalate,
    Hypothesis,
    Note,
    RateLimit,
    Scale,
    SetMemoryLimit,
    ShedLoad,
)
from scenarios.limits import MAX_HYPOTHESES, MAX_NOTES
from simulator.session.simulation import Simulation


@pytest.fixture(scope="module")
def oom_leak():
    return load_by_ref("checkout-oom-leak")[0]


def at(scenario, t: float) -> Simulation:
    sim = Simulation(scenario, 1)
    sim.run_until(t)
    return sim


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (SetMemoryLimit.model_construct(action="set_memory_limit", service="checkout", limit_mb=math.inf),
         "limit_mb inf is not a finite number"),
        (SetMemoryLimit.model_construct(action="set_memory_limit", service="checkout", limit_mb=1e15),
         "a memory limit of 1e+15 MB is beyond any machine"),
        (SetMemoryLimit.model_construct(action="set_memory_limit", service="checkout", limit_mb=-512.0),
         "limit_mb -512 is negative"),
        (Scale.model_construct(action="scale", service="checkout", replicas=10**6),
         "1,000,000 replicas are more than a service may have (500)"),
        (Scale.model_construct(action="scale", service="checkout", replicas=-3), "replicas -3 is negative"),
        (RateLimit.model_construct(action="rate_limit", service="frontend", rps=math.nan, client=None),
         "rps nan is not a finite number"),
        (RateLimit.model_construct(action="rate_limit", service="frontend", rps=0.0, client=None),
         "a rate limit of 0 rps must be above 0"),
        (ShedLoad.model_construct(action="shed_load", service="frontend", percent=250.0),
         "cannot shed 250% of requests (at most 100)"),
        (Hypothesis.model_construct(action="hypothesis", op="add", text="x", id=None, evidence=["e"] * 500),
         "evidence has 500 items, more than 50"),
        (Note.model_construct(action="note", text="n" * 50_000), "text is 50,000 characters long"),
    ],
)  # fmt: skip
def test_absurd_parameters_are_refused_with_a_reason_and_change_nothing(oom_leak, action, reason):
    sim = at(oom_leak, 360)
    changes_before = len(sim.changes)
    result = sim.apply(action, "tloc:ana")
    assert not result.accepted
    assert result.message.startswith(f"refused: {reason}"), result.message
    assert len(sim.changes) == changes_before
    assert all(e.source != "tloc:ana" for e in sim.timeline())


def test_an_infinite_memory_limit_is_never_scored_as_mitigation(oom_leak):
    """Accepted, it would end the OOM kills (no instance reaches an infinite limit) and count as the fix."""
    sim = at(oom_leak, 360)
    absurd = SetMemoryLimit.model_construct(action="set_memory_limit", service="checkout", limit_mb=math.inf)
    assert not sim.apply(absurd, "tloc:ana").accepted
    sim.run_until(oom_leak.duration)
    sim.end("time_up")
    report = sim.score()
    assert "tloc" not in report.roles  # no accepted action of the seat: no mitigation to credit
    assert report.outcome == "unresolved" and report.ttm_s is None
    assert all(e.kind != "set_memory_limit" for e in sim.timeline())
    sensible = ACTION_ADAPTER.validate_python({"action": "set_memory_limit", "service": "checkout", "limit_mb": 4096})
    assert at(oom_leak, 360).apply(sensible, "tloc:ana").accepted  # the same action with a sane limit is taken


def test_parsing_refuses_the_same_parameters_before_the_engine_sees_them():
    for body in (
        {"action": "set_memory_limit", "service": "checkout", "limit_mb": math.inf},
        {"action": "rate_limit", "service": "edge", "rps": math.nan},
        {"action": "scale", "service": "checkout", "replicas": 10**6},
        {"action": "shed_load", "service": "edge", "percent": -1},
    ):
        with pytest.raises(ValueError):
            ACTION_ADAPTER.validate_python(body)


def test_notes_and_hypotheses_stop_at_their_cap_with_a_clear_message(oom_leak):
    sim = at(oom_leak, 60)
    for i in range(MAX_NOTES):
        assert sim.apply(Note(action="note", text=f"note {i}")).accepted
    refused = sim.apply(Note(action="note", text="one more"))
    assert not refused.accepted
    assert (
        refused.message == f"refused: this session has reached its limit of {MAX_NOTES:,} notes; no more can be added"
    )
    assert len(sim.incident.notes) == MAX_NOTES
    for i in range(MAX_HYPOTHESES):
        assert sim.apply(Hypothesis(action="hypothesis", text=f"h {i}")).accepted
    assert "limit of 200 hypotheses" in sim.apply(Hypothesis(action="hypothesis", text="more")).message
    # other kinds are not affected by a full list of notes
    assert sim.apply(Escalate(action="escalate")).accepted


def test_a_session_caps_all_actions_but_can_still_be_resolved(oom_leak, monkeypatch):
    monkeypatch.setattr("simulator.incident.guard.MAX_SESSION_ACTIONS", 5)
    sim = at(oom_leak, 60)
    for _ in range(5):
        assert sim.apply(Escalate(action="escalate")).accepted
    assert sim.apply(Escalate(action="escalate")).message == "refused: this session has reached its limit of 5 actions"
    resolve = sim.apply(ACTION_ADAPTER.validate_python({"action": "resolve"}))
    assert resolve.accepted and "reopened" in resolve.message  # judged as usual, not refused by the cap
