"""Escalation policies: the YAML file, and the semantics every page walks by."""

from __future__ import annotations

import pytest
from shiftkit import small_shift

from scenarios.language.actions import ACTION_ADAPTER
from scenarios.loader import ScenarioError
from simulator.shift.plan import PlannedEvent
from simulator.shift.policy import EscalationPolicy, Level, load_policy_text
from simulator.shift.steps import ShiftStep

GOOD = """\
name: night
on_call:
  primary: ["@you"]
  secondary: []
  manager: ["@lee"]
levels:
  - {notify: [primary], timeout: 5m}
  - {notify: [secondary], timeout: 10m}
  - {notify: [manager], timeout: 15m}
repeat: 2
"""


def fp_at(t: float) -> PlannedEvent:
    return PlannedEvent(number=1, kind="false_positive", at=t, service="dns", title="resolver slow")


def test_a_policy_file_loads():
    policy = load_policy_text(GOOD, "night.yaml")
    assert policy.name == "night" and policy.repeat == 2
    assert [level.timeout for level in policy.levels] == [300.0, 600.0, 900.0]
    assert policy.who(policy.levels[1]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("repeat: 2", "repeats: 2"),
            "night.yaml:10:1: repeats: unknown field 'repeats'; did you mean 'repeat'?",
        ),
        (
            GOOD.replace("timeout: 15m", "timeout: 9h"),
            "night.yaml:9:34: levels[2].timeout: Input should be less than or equal to 7200",
        ),
        (GOOD.replace("timeout: 5m", "timeout: .nan"), "night.yaml:7:34: levels[0].timeout:"),
        (GOOD.replace("repeat: 2", "repeat: 99"), "night.yaml:10:9: repeat: Input should be less than or equal to 5"),
        (
            GOOD.replace("[manager], timeout", "[managr], timeout"),
            "levels[2] notifies rotation 'managr', which on_call does not declare",
        ),
        ("- just a list", "night.yaml:1:1: an escalation policy is a mapping"),
        (GOOD + "!!python/object:os.system {}", "night.yaml"),
    ],
)
def test_a_broken_policy_file_names_the_place(text, expected):
    with pytest.raises(ScenarioError) as err:
        load_policy_text(text, "night.yaml")
    assert expected in str(err.value)


def test_every_level_is_walked_in_order_and_the_policy_repeats():
    policy = load_policy_text(GOOD, "night.yaml")
    shift = small_shift([], hours=3.0, policy=policy, events=[fp_at(100.0)])
    shift.run_until(3 * 3600.0)
    page = shift.pages[0]
    # secondary has nobody on call: skipped every round; 3 rounds (repeat: 2) of primary then manager.
    assert [(t, level) for t, level, _ in page.notified] == [
        (100.0, 0),
        (400.0, 2),
        (1300.0, 0),
        (1600.0, 2),
        (2500.0, 0),
        (2800.0, 2),
    ]
    assert [level for _, level in page.skipped] == [1, 1, 1]
    assert page.exhausted_at == 3700.0
    assert page.escalated


def test_an_ack_stops_the_escalation():
    shift = small_shift([], hours=2.0, events=[fp_at(100.0)])
    shift.run_until(200.0)
    result = shift.apply(ShiftStep(200.0, ACTION_ADAPTER.validate_python({"action": "ack"})))
    assert result.accepted
    shift.run_until(7200.0)
    page = shift.pages[0]
    assert page.acked_at == 200.0 and page.exhausted_at is None
    assert [level for _, level, _ in page.notified] == [0]
    assert not page.escalated


def test_a_page_keeps_the_policy_it_fired_with():
    first = EscalationPolicy(
        name="first", on_call={"primary": ["@you"]}, levels=[Level(notify=["primary"], timeout=600.0)], repeat=0
    )
    second = EscalationPolicy(
        name="second", on_call={"primary": ["@you"]}, levels=[Level(notify=["primary"], timeout=60.0)], repeat=3
    )
    shift = small_shift(
        [], hours=2.0, policy=first, events=[fp_at(100.0), fp_at(1000.0).model_copy(update={"number": 2})]
    )
    shift.run_until(300.0)
    shift.set_policy(second)
    shift.run_until(7200.0)
    old, new = shift.pages
    assert old.policy.name == "first" and len(old.notified) == 1 and old.exhausted_at == 700.0
    assert new.policy.name == "second" and len(new.notified) == 4


def test_p1_incident_pages_and_p3_incident_becomes_a_ticket():
    shift = small_shift([("edge-bad-config-push", 60.0, "P1"), ("checkout-oom-leak", 60.0, "P3")], hours=1.0)
    shift.run_until(3600.0)
    p1, p3 = shift.runs
    assert shift.pages_of(p1) and all(p.priority == "P1" for p in shift.pages_of(p1))
    assert shift.pages_of(p3) == []
    assert p3.tickets and all(shift.tickets[n - 1].source == "incident" for n in p3.tickets)
