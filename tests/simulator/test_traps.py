"""Traps as predicates over actions: the field matcher, zone and version, sequences, the last healthy zone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from simkit import build, chain_spec, sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER
from scenarios.language.traps import fields_match, is_pattern, value_matches
from scenarios.loader import ScenarioError

names = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
bodies = st.dictionaries(st.sampled_from(["action", "service", "zone", "mode", "to"]), names, min_size=1, max_size=5)


@given(bodies, st.data())
def test_a_subset_of_an_actions_fields_matches_it(body, data):
    keys = data.draw(st.sets(st.sampled_from(sorted(body))))
    assert fields_match({k: body[k] for k in keys}, body)


@given(bodies, st.data())
def test_a_star_in_place_of_a_value_still_matches_and_a_different_value_does_not(body, data):
    key = data.draw(st.sampled_from(sorted(body)))
    value = body[key]
    cut = data.draw(st.integers(0, len(value)))
    assert fields_match({key: value[:cut] + "*"}, body)
    assert fields_match({key: "*" + value[cut:]}, body)
    assert not fields_match({key: value + "x"}, body)
    assert not fields_match({key: value, "missing-field": value}, body)


@given(names, names)
def test_a_plain_name_matches_only_itself(a, b):
    assert not is_pattern(a)
    assert value_matches(a, b) == (a == b)


def test_non_text_values_are_compared_exactly():
    assert fields_match({"replicas": 10}, {"replicas": 10})
    assert not fields_match({"replicas": 10}, {"replicas": 12})
    assert not fields_match({"enabled": True}, {"enabled": 1.5})


def act(sim, **body):
    return sim.apply(ACTION_ADAPTER.validate_python(body))


def trap_sim(*traps, spec=None):
    spec = spec or chain_spec()
    spec["traps"] = list(traps)
    sim = sim_of(spec)
    sim.run_until(120)
    return sim


def test_a_glob_pattern_springs_on_every_service_it_fits():
    sim = trap_sim({"match": {"action": "restart", "service": "d*", "mode": "all"}, "why": "databases"})
    assert act(sim, action="restart", service="api", mode="all").harmful != "databases"
    assert act(sim, action="restart", service="db", mode="all").harmful == "databases"


def test_zone_narrows_a_trap_to_the_instances_in_that_zone():
    sim = trap_sim({"match": {"action": "restart", "service": "api"}, "zone": "zone-b", "why": "b"})
    by_zone = {i.zone: i.id for i in sim.instances("api")}
    assert act(sim, action="restart", service="api", instance=by_zone["zone-a"]).harmful is None
    assert act(sim, action="restart", service="api", instance=by_zone["zone-b"]).harmful == "b"


def test_version_narrows_a_trap_to_what_the_target_runs():
    sim = trap_sim(
        {"match": {"action": "restart"}, "version": "v1*", "why": "web runs v1"},
    )
    assert act(sim, action="restart", service="api", mode="rolling").harmful is None
    assert act(sim, action="restart", service="web", mode="rolling").harmful == "web runs v1"


def test_every_instance_springs_on_the_restart_that_completes_the_set():
    sim = trap_sim(
        {"match": {"action": "restart", "service": "db"}, "every_instance": True, "within": "2m", "why": "all"}
    )
    ids = [i.id for i in sim.instances("db")]
    harms = []
    for instance in ids:
        harms.append(act(sim, action="restart", service="db", instance=instance).harmful)
        sim.advance(5)
    assert harms == [None, None, "all"]


def test_every_instance_does_not_spring_when_the_restarts_are_spread_beyond_the_window():
    sim = trap_sim(
        {"match": {"action": "restart", "service": "db"}, "every_instance": True, "within": "30s", "why": "all"}
    )
    for instance in [i.id for i in sim.instances("db")]:
        assert act(sim, action="restart", service="db", instance=instance).harmful is None
        sim.advance(60)


def test_a_restart_of_all_at_once_springs_every_instance_in_one_move():
    sim = trap_sim({"match": {"action": "restart", "service": "db"}, "every_instance": True, "why": "all"})
    assert act(sim, action="restart", service="db", mode="all").harmful == "all"


def test_count_springs_on_the_nth_action_within_the_window_and_refusals_do_not_count():
    sim = trap_sim({"match": {"action": "scale", "service": "api"}, "count": 3, "within": "5m", "why": "flapping"})
    assert act(sim, action="scale", service="api", replicas=4).harmful is None
    assert not act(sim, action="scale", service="api", replicas=4).accepted  # refused: already 4
    sim.advance(30)
    assert act(sim, action="scale", service="api", replicas=5).harmful is None
    sim.advance(30)
    assert act(sim, action="scale", service="api", replicas=6).harmful == "flapping"


def test_draining_the_last_healthy_zone_springs_but_earlier_drains_do_not():
    sim = trap_sim({"match": {"action": "drain_zone"}, "last_healthy_zone": True, "why": "nothing left"})
    assert act(sim, action="drain_zone", zone="zone-a").harmful is None
    sim.advance(20)  # a drain takes effect after its connections drain
    assert act(sim, action="drain_zone", zone="zone-b").harmful is None
    sim.advance(20)
    assert act(sim, action="drain_zone", zone="zone-c").harmful == "nothing left"


def test_a_zone_that_is_down_is_not_healthy():
    spec = chain_spec()
    spec["faults"] = [{"type": "zone_outage", "at": "30s", "zone": "zone-a"}]
    sim = trap_sim({"match": {"action": "drain_zone"}, "last_healthy_zone": True, "why": "last"}, spec=spec)
    assert act(sim, action="drain_zone", zone="zone-b").harmful is None
    sim.advance(20)
    assert act(sim, action="drain_zone", zone="zone-c").harmful == "last"


@pytest.mark.parametrize(
    ("trap", "message"),
    [
        ({"match": {"action": "restart", "service": "web", "replica": 2}}, "restart has no field 'replica'"),
        ({"match": {"action": "restart", "service": "web", "mode": "everything"}}, "restart refuses mode='everything'"),
        ({"match": {"action": "restart", "service": "x*"}}, "the pattern 'x*' matches no service"),
        ({"match": {"action": "drain_zone", "zone": "zone-z"}}, "unknown zone 'zone-z'"),
        ({"match": {"action": "resolve"}}, "matches step 0 of the solution (resolve)"),
        (
            {"match": {"action": "restart", "service": "web"}, "last_healthy_zone": True},
            "last_healthy_zone is about drains",
        ),
        ({"match": {"action": "scale", "service": "web"}, "within": "1m"}, "within is the window of a sequence"),
    ],
)
def test_an_invalid_trap_is_a_validate_error(trap, message):
    with pytest.raises(ScenarioError) as err:
        build(tiny(traps=[{**trap, "why": "wrong"}]))
    assert message in str(err.value)
    assert "traps[0]" in str(err.value)


def test_a_partial_trap_is_a_pattern_not_an_error():
    scenario = build(tiny(traps=[{"match": {"action": "scale", "service": "web"}, "why": "any scale"}]))
    assert scenario.traps[0].match == {"action": "scale", "service": "web"}
