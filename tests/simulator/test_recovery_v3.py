"""Recovery as scenario data: paces, named slowdowns, manual procedures, time compression, latches."""

from __future__ import annotations

import pytest
from simkit import sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def web(spec: dict) -> dict:
    return spec["topology"]["services"][0]


def bad_deploy_spec(recovery: dict | None = None, replicas: int = 3) -> dict:
    spec = tiny(faults=[{"type": "bad_deploy", "at": "1m", "service": "web", "version": "v2", "error_rate": 0.9}])
    web(spec).update(replicas=replicas, capacity_rps=1000)
    if recovery is not None:
        spec["recovery"] = recovery
    return spec


def rollback_op(sim):
    ops = [op for op in sim.operation_list() if op.kind == "rollback"]
    assert len(ops) == 1
    return ops[0]


def rolled_back(recovery: dict | None, replicas: int = 3, until: float = 3600.0):
    sim = sim_of(bad_deploy_spec(recovery, replicas))
    sim.run_until(600)
    result = sim.apply(act(action="rollback_deploy", service="web"))
    assert result.accepted, result.message
    sim.run_until(until)
    return sim, result


# --- paces ---------------------------------------------------------------------------------------


def test_engine_pace_without_recovery_section_is_a_few_startups():
    sim, result = rolled_back(None)
    op = rollback_op(sim)
    assert op.finished_at is not None
    assert op.finished_at - op.started < 3 * 12 + 10  # three start-ups of ~10 s, one at a time
    assert "own pace" not in result.message


def test_fixed_plus_per_instance_pace_is_proportional_to_the_fleet():
    pace = {"rollback": {"fixed": "5m", "per_instance": "2m"}}
    small, result = rolled_back(pace, replicas=3)
    big, _ = rolled_back(pace, replicas=6)
    took_small = rollback_op(small).finished_at - rollback_op(small).started
    took_big = rollback_op(big).finished_at - rollback_op(big).started
    assert 300 + 3 * 120 <= took_small <= 300 + 3 * 120 + 3 * 12 + 15
    assert 300 + 6 * 120 <= took_big <= 300 + 6 * 120 + 6 * 12 + 15
    assert "about 11m at its own pace" in result.message
    # Until the fixed preparation is over, every instance still runs the bad version.
    sim = sim_of(bad_deploy_spec(pace))
    sim.run_until(600)
    sim.apply(act(action="rollback_deploy", service="web"))
    sim.run_until(600 + 290)
    assert all(i.version == "v2" for i in sim.instances("web"))
    assert rollback_op(sim).eta == pytest.approx(600 + 300 + 360, abs=6)


def test_a_named_slowdown_holds_while_its_service_is_down_and_says_so():
    slow = {"name": "the deploy tool runs on the failing web tier", "service": "web", "factor": 4}
    pace = {"rollback": {"fixed": "5m", "per_instance": "1m", "slowed_by": [slow]}}
    sim = sim_of(bad_deploy_spec(pace))
    sim.run_until(600)
    sim.apply(act(action="rollback_deploy", service="web"))
    sim.run_until(700)
    op = rollback_op(sim)
    assert op.note == "slowed x4: the deploy tool runs on the failing web tier"
    # The preparation advances at a quarter of its pace while web fails 90 % of requests.
    assert op.eta == pytest.approx(700 + (300 - 25) * 4 + 180 * 4, abs=25)
    sim.run_until(600 + 4 * 300 - 30)
    assert all(i.version == "v2" for i in sim.instances("web"))
    sim.run_until(4000)
    took = rollback_op(sim).finished_at - rollback_op(sim).started
    # Once two of three instances run v1 again, web fails under half its requests: the pace recovers.
    assert 4 * 300 + 120 < took < 4 * 300 + 4 * 180
    unslowed, _ = rolled_back({"rollback": {"fixed": "5m", "per_instance": "1m"}})
    assert rollback_op(unslowed).finished_at - rollback_op(unslowed).started < 300 + 180 + 60


def test_revert_pace_replaces_the_twenty_second_propagation():
    spec = tiny(faults=[{"type": "bad_config", "at": "1m", "service": "web", "revision": "rev-2", "error_rate": 0.5}])
    web(spec)["capacity_rps"] = 1000
    spec["recovery"] = {"revert": {"fixed": "10m", "per_instance": "1m"}}
    sim = sim_of(spec)
    sim.run_until(300)
    result = sim.apply(act(action="rollback_config", service="web"))
    assert "about 13m at its own pace" in result.message
    sim.run_until(300 + 600 + 30)
    assert all(i.config == "rev-2" for i in sim.instances("web"))
    sim.run_until(300 + 600 + 60 + 5)
    assert sum(i.config == "rev-1" for i in sim.instances("web")) == 1
    sim.run_until(300 + 600 + 180 + 5)
    assert all(i.config == "rev-1" for i in sim.instances("web"))


# --- procedures -----------------------------------------------------------------------------------


def procedure_spec() -> dict:
    spec = tiny(faults=[{"type": "bad_config", "at": "1m", "service": "web", "revision": "rev-2", "error_rate": 0.5}])
    web(spec)["capacity_rps"] = 1000
    spec["recovery"] = {
        "procedures": [
            {
                "name": "manual-revert",
                "title": "Revert web's config by hand",
                "steps": [
                    {"text": "Fetch break-glass credentials", "takes": "5m"},
                    {"text": "Re-apply rev-1 on each host", "takes": "1m", "per_instance_of": "web"},
                ],
                "then": [{"action": "rollback_config", "service": "web"}],
            }
        ]
    }
    return spec


def test_a_procedure_runs_its_steps_in_time_then_its_actions():
    sim = sim_of(procedure_spec())
    sim.run_until(300)
    result = sim.apply(act(action="run_procedure", procedure="manual-revert"))
    assert result.accepted and "2 steps, about 8m" in result.message
    again = sim.apply(act(action="run_procedure", procedure="manual-revert"))
    assert not again.accepted and "already running" in again.message
    sim.run_until(300 + 480 - 5)
    assert all(i.config == "rev-2" for i in sim.instances("web"))
    texts = [e.text for e in sim.timeline()]
    assert any("step 1/2 done: Fetch break-glass credentials" in t for t in texts)
    assert not any("step 2/2" in t for t in texts)
    sim.run_until(300 + 480 + 30)
    assert all(i.config == "rev-1" for i in sim.instances("web"))
    assert any("Revert web's config by hand: reverting web config rev-2 -> rev-1" in e.text for e in sim.timeline())


def test_an_unknown_procedure_is_rejected_and_changes_nothing():
    sim = sim_of(procedure_spec())
    sim.run_until(120)
    result = sim.apply(act(action="run_procedure", procedure="nope"))
    assert not result.accepted
    assert "procedures: manual-revert" in result.message
    assert not [op for op in sim.operation_list() if op.kind == "procedure"]


# --- time compression -----------------------------------------------------------------------------


def test_compression_holds_during_a_long_recovery_until_a_message_arrives():
    spec = bad_deploy_spec({"rollback": {"fixed": "30m"}, "compress": {"after": "5m", "speed": 120}})
    spec["messages"] = [{"at": "25m", "from": "@lee", "text": "any news?"}]
    sim = sim_of(spec)
    sim.run_until(600)
    assert sim.compression() is None  # nothing under way yet
    sim.apply(act(action="rollback_deploy", service="web"))
    sim.run_until(610)
    comp = sim.compression()
    assert comp is not None and comp.speed == 120 and comp.operation.startswith("rollback web")
    advanced = sim.advance_compressed(3600)
    # It stops when the message arrives at 25m (within a tick), not at the end of the hour asked for.
    assert sim.now == pytest.approx(1500, abs=1.5)
    assert advanced == pytest.approx(1500 - 610, abs=1.5)
    assert sim.compression() is None
    sim.run_until(1500 + 61)
    assert sim.compression() is not None  # a minute after the message, the wait is compressed again


def test_no_compression_without_the_section_or_for_short_recoveries():
    sim, _ = rolled_back({"rollback": {"fixed": "30m"}}, until=700)
    assert sim.compression() is None
    sim, _ = rolled_back({"rollback": {"fixed": "3m"}, "compress": {"after": "5m"}}, until=620)
    assert sim.compression() is None


# --- latches --------------------------------------------------------------------------------------


def latched_spec(latched: bool) -> dict:
    spec = tiny(
        faults=[
            {
                "type": "bad_config",
                "at": "1m",
                "service": "web",
                "revision": "rev-2",
                "error_rate": 0.5,
                "latched": latched,
            }
        ]
    )
    web(spec)["capacity_rps"] = 1000
    return spec


def test_a_latched_fault_outlives_its_revert_until_each_instance_restarts():
    sim = sim_of(latched_spec(True))
    sim.run_until(300)
    sim.apply(act(action="rollback_config", service="web"))
    sim.run_until(420)
    assert all(i.config == "rev-1" for i in sim.instances("web"))
    err = sim.metric("web", "error_ratio").values[-1]
    assert err == pytest.approx(0.5, abs=0.03)
    assert "the cause is still present in the system" in sim.judge.unmet()
    sim.apply(act(action="restart", service="web"))
    sim.run_until(600)
    assert sim.metric("web", "error_ratio").values[-1] < 0.01
    assert "the cause is still present in the system" not in sim.judge.unmet()


def test_an_unlatched_fault_goes_with_its_revert():
    sim = sim_of(latched_spec(False))
    sim.run_until(300)
    sim.apply(act(action="rollback_config", service="web"))
    sim.run_until(420)
    assert sim.metric("web", "error_ratio").values[-1] < 0.01


def test_a_latched_latency_lingers_after_it_lasts():
    spec = tiny(
        faults=[
            {"type": "latency", "at": "1m", "service": "web", "factor": 5, "lasts": "2m", "latched": True},
        ]
    )
    web(spec)["capacity_rps"] = 1000
    sim = sim_of(spec)
    sim.run_until(400)
    assert sim.metric("web", "p50_ms").values[-1] == pytest.approx(100, rel=0.1)
    sim.apply(act(action="restart", service="web"))
    sim.run_until(600)
    assert sim.metric("web", "p50_ms").values[-1] == pytest.approx(20, rel=0.1)


def test_a_procedures_actions_bypass_the_pace_of_the_tooling_it_went_around():
    spec = procedure_spec()
    spec["recovery"]["revert"] = {"fixed": "1h"}
    tool = sim_of(spec)
    tool.run_until(300)
    assert "about 1h at its own pace" in tool.apply(act(action="rollback_config", service="web")).message
    tool.run_until(300 + 480 + 30)
    assert all(i.config == "rev-2" for i in tool.instances("web"))
    by_hand = sim_of(spec)
    by_hand.run_until(300)
    by_hand.apply(act(action="run_procedure", procedure="manual-revert"))
    by_hand.run_until(300 + 480 + 30)
    assert all(i.config == "rev-1" for i in by_hand.instances("web"))


def test_a_zone_slowdown_holds_while_a_site_is_cut_off_even_when_drained():
    spec = tiny(
        faults=[
            {
                "type": "bad_config",
                "at": "1m",
                "service": "web",
                "revision": "rev-2",
                "error_rate": 1.0,
                "scope": {"zones": ["zone-a"]},
            }
        ]
    )
    web(spec)["capacity_rps"] = 1000
    slow = {"name": "the tool reaches zone-a over its own network", "service": "web", "zones": ["zone-a"], "factor": 5}
    spec["recovery"] = {"revert": {"fixed": "2m", "per_instance": "1m", "slowed_by": [slow]}}
    sim = sim_of(spec)
    sim.run_until(200)
    sim.apply(act(action="drain_zone", zone="zone-a", service="web"))
    sim.run_until(300)
    assert sim.metric("web", "error_ratio").values[-1] < 0.01  # users no longer see it...
    sim.apply(act(action="rollback_config", service="web"))
    sim.run_until(320)
    (op,) = [o for o in sim.operation_list() if o.kind == "config_rollback"]
    assert op.note.startswith("slowed x5: the tool reaches zone-a")  # ...but the tool still crawls
    sim.run_until(4000)
    (op,) = [o for o in sim.operation_list() if o.kind == "config_rollback"]
    # The zone-a instance is first in line: 2m and 1m at a fifth of the pace, then two minutes unslowed.
    assert op.finished_at - op.started == pytest.approx(5 * 120 + 5 * 60 + 2 * 60, abs=10)
