"""Fault scope, per-host OS resources, automation runs, configs that crash, and the new change kinds."""

from __future__ import annotations

import pytest
from simkit import NO_FAULT, build, sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER
from scenarios.loader import ScenarioError


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def web(spec: dict) -> dict:
    return spec["topology"]["services"][0]


def spec_with(*faults: dict, replicas: int = 3, **top) -> dict:
    spec = tiny(faults=list(faults), **top)
    web(spec).update(replicas=replicas, capacity_rps=1000)
    return spec


# --- scope ----------------------------------------------------------------------------------------


def test_scope_limits_a_fault_to_its_zones_and_its_tenants_share():
    scope = {"zones": ["zone-a"], "share": 0.5, "who": "tenants on shard 7"}
    fault = {"type": "bad_deploy", "at": "1m", "service": "web", "version": "v2", "error_rate": 0.8, "scope": scope}
    sim = sim_of(spec_with(fault))
    sim.run_until(400)
    by_zone = {i.zone: i for i in sim.world.services["web"].instances}
    assert by_zone["zone-a"].fx_err == pytest.approx(0.4)
    assert by_zone["zone-b"].fx_err == 0.0 and by_zone["zone-c"].fx_err == 0.0
    # A third of the traffic goes to zone-a, and half of it belongs to the tenants.
    assert sim.metric("web", "error_ratio").values[-1] == pytest.approx(0.4 / 3, abs=0.01)
    lines = sim.logs(service="web", level="ERROR")
    assert lines and all(line.zone == "zone-a" for line in lines)
    # (a JVM logs the exception's stack trace below it: the first line names them)
    assert all(line.message.split("\n")[0].endswith("(tenants on shard 7)") for line in lines)


def test_scope_is_refused_where_it_means_nothing():
    spec = spec_with({**NO_FAULT, "scope": {"share": 0.5}})
    with pytest.raises(ScenarioError, match="a memory_leak fault cannot be scoped"):
        build(spec)
    spec = spec_with({"type": "bad_deploy", "at": "1m", "service": "web", "version": "v2", "latched": True})
    with pytest.raises(ScenarioError, match="a bad_deploy fault cannot be latched"):
        build(spec)
    spec = spec_with(
        {"type": "bad_deploy", "at": "1m", "service": "web", "version": "v2", "scope": {"zones": ["zone-x"]}}
    )
    with pytest.raises(ScenarioError, match="unknown zone 'zone-x'"):
        build(spec)


# --- OS resources ---------------------------------------------------------------------------------


def threads_fault(**over) -> dict:
    return {
        "type": "resource_exhaustion",
        "at": "0s",
        "service": "web",
        "resource": "threads",
        "limit": 1000,
        "base": 500,
        "per_peer": 100,
        **over,
    }


def test_a_thread_limit_that_depends_on_fleet_size_fails_work_with_the_native_error():
    spec = spec_with(threads_fault())
    spec["history"].append({"at": "5m", "capacity": {"service": "web", "replicas": 8, "by": "@capacity-bot"}})
    sim = sim_of(spec)
    sim.run_until(290)
    assert sim.metric("web", "error_ratio").values[-1] < 0.001  # 3 peers: 800 threads of 1000
    sim.run_until(400)
    # 8 peers: 1300 threads; 300 of every 1300 thread creations fail.
    old = [i for i in sim.world.services["web"].instances if i.started_at < 0]
    assert old and all(i.fx_err == pytest.approx(1 - 1000 / 1300) for i in old)
    lines = sim.logs(service="web", level="ERROR", text="unable to create native thread")
    assert lines and lines[-1].message.startswith("java.lang.OutOfMemoryError: unable to create native thread")
    # Scaling back down gives no thread back: the hosts keep what they made for their peers.
    sim.apply(act(action="scale", service="web", replicas=3))
    sim.run_until(500)
    assert all(i.fx_err > 0.2 for i in sim.world.services["web"].instances)
    assert "the cause is still present in the system" in sim.judge.unmet()
    sim.apply(act(action="restart", service="web"))
    sim.run_until(700)
    assert all(i.fx_err == 0.0 for i in sim.world.services["web"].instances)
    assert "the cause is still present in the system" not in sim.judge.unmet()


@pytest.mark.parametrize(
    ("resource", "native"),
    [
        ("file_descriptors", "accept: too many open files"),
        ("ephemeral_ports", "connect: cannot assign requested address"),
    ],
)
def test_descriptors_and_ports_leak_with_uptime_and_log_their_native_errors(resource, native):
    fault = threads_fault(resource=resource, limit=1000, base=400, per_peer=0, per_minute=100)
    sim = sim_of(spec_with(fault))
    sim.run_until(60 * 7)  # instances started an hour or more ago: use is far past the limit
    inst = sim.world.services["web"].instances[0]
    uptime_min = (sim.now - inst.started_at) / 60
    assert inst.fx_err == pytest.approx(1 - 1000 / (400 + 100 * uptime_min), abs=0.01)
    assert sim.logs(service="web", text=native)


def test_a_fault_with_nothing_using_the_resource_is_refused():
    with pytest.raises(ScenarioError, match="nothing uses the resource"):
        build(spec_with(threads_fault(base=0, per_peer=0)))


# --- automation runs ------------------------------------------------------------------------------


def test_an_automation_run_breaks_hosts_one_by_one_until_each_restarts_and_its_flag_stops_it():
    run = {
        "type": "automation_run",
        "at": "1m",
        "service": "web",
        "name": "unattended-upgrades",
        "summary": "upgrade systemd, restart networkd",
        "every": "2m",
        "flag": "os-updates",
    }
    spec = spec_with(run, replicas=4)
    spec["topology"]["flags"] = [{"name": "os-updates", "enabled": True}]
    sim = sim_of(spec)
    sim.run_until(60 + 130)
    broken = [i for i in sim.world.services["web"].instances if i.fx_err == 1.0]
    assert len(broken) == 2
    change = [c for c in sim.change_log() if c.kind == "automation"]
    assert change and change[0].summary == "automation run unattended-upgrades: upgrade systemd, restart networkd"
    assert sim.logs(service="web", text="network is unreachable")
    sim.apply(act(action="feature_flag", flag="os-updates", enabled=False))
    sim.run_until(600)
    assert sum(i.fx_err == 1.0 for i in sim.world.services["web"].instances) == 2  # stopped at two
    sim.apply(act(action="restart", service="web"))
    sim.run_until(900)
    assert all(i.fx_err == 0.0 for i in sim.world.services["web"].instances)


# --- configs that make a process exit -------------------------------------------------------------


def test_a_config_that_crashes_the_process_crash_loops_until_reverted():
    fault = {"type": "bad_config", "at": "1m", "service": "web", "revision": "rev-2", "crash_after": "30s"}
    sim = sim_of(spec_with(fault))
    sim.run_until(900)
    views = sim.instances("web")
    assert all(v.restarts >= 3 for v in views)
    assert all(v.last_exit == "Error (exit code 1)" for v in views)
    assert sim.logs(service="web", text="FATAL: failed to apply config")
    assert sim.logs(service="web", text="Back-off restarting failed container")
    sim.apply(act(action="rollback_config", service="web"))
    sim.run_until(1800)
    assert all(v.state == "running" for v in sim.instances("web"))
    assert sim.metric("web", "error_ratio").values[-1] < 0.01


def test_a_config_read_only_at_start_breaks_nothing_until_a_restart():
    fault = {
        "type": "bad_config",
        "at": "1m",
        "service": "web",
        "revision": "rev-2",
        "crash_after": "0s",
        "reload": False,
    }
    sim = sim_of(spec_with(fault))
    sim.run_until(600)
    assert all(i.config == "rev-1" and i.state == "running" for i in sim.world.services["web"].instances)
    assert sim.metric("web", "error_ratio").values[-1] < 0.01
    assert [c.after for c in sim.change_log() if c.kind == "config"] == ["rev-2"]
    sim.apply(act(action="restart", service="web", mode="all"))
    sim.run_until(700)
    assert not any(i.ready for i in sim.world.services["web"].instances)
    assert sim.logs(service="web", text="exited during start-up (exit code 1)")


# --- change kinds ---------------------------------------------------------------------------------


def test_capacity_maintenance_and_provider_changes():
    spec = spec_with(NO_FAULT)
    spec["history"] += [
        {"at": "-2h", "capacity": {"service": "web", "from": 2, "replicas": 3, "summary": "peak prep"}},
        {"at": "-30m", "maintenance": {"kind": "script", "name": "rotate-certs.sh", "service": "web", "by": "@ops"}},
        {
            "at": "2m",
            "provider": {
                "provider": "CloudNet",
                "summary": "transit gateway scaling event",
                "status": "We are investigating packet loss in one region.",
                "status_after": "20m",
            },
        },
    ]
    spec["noise"] = [{"at": "5m", "capacity": {"service": "web", "replicas": 5, "by": "@autoscaler"}}]
    sim = sim_of(spec)
    sim.run_until(60 * 21)
    kinds = [(c.kind, c.summary, c.before, c.after) for c in sim.change_log() if c.kind not in ("deploy",)]
    assert ("capacity", "peak prep", "2", "3") in kinds
    assert ("script", "maintenance script rotate-certs.sh", "", "") in kinds
    assert ("capacity", "scale web 3 -> 5", "3", "5") in kinds
    assert not any("transit" in c.summary or c.kind == "provider" for c in sim.change_log())
    assert len(sim.instances("web")) == 5
    assert not sim.messages()
    sim.run_until(60 * 23)
    (msg,) = sim.messages()
    assert (msg.sender, msg.t) == ("CloudNet status", pytest.approx(22 * 60))
    assert sim.hidden_truth()["provider_changes"][0]["summary"] == "transit gateway scaling event"


def test_shipped_hidden_truth_has_no_provider_changes_key():
    sim = sim_of(spec_with(NO_FAULT))
    assert "provider_changes" not in sim.hidden_truth()
    assert all("scope" not in f and "latched" not in f for f in sim.hidden_truth()["faults"])


def test_an_automation_run_with_a_kill_switch_breaks_new_hosts_until_it_is_switched_off():
    run = {"type": "automation_run", "at": "1m", "service": "web", "name": "unattended-upgrades", "every": "10s"}
    spec = spec_with({**run, "flag": "os-updates"})
    spec["topology"]["flags"] = [{"name": "os-updates", "enabled": True}]
    sim = sim_of(spec)
    sim.run_until(200)
    sim.apply(act(action="restart", service="web"))  # new hosts while the run is still on
    sim.run_until(500)
    assert all(i.fx_err == 1.0 for i in sim.world.services["web"].instances)
    sim.apply(act(action="feature_flag", flag="os-updates", enabled=False))
    sim.run_until(530)
    sim.apply(act(action="restart", service="web"))
    sim.run_until(800)
    assert all(i.fx_err == 0.0 for i in sim.world.services["web"].instances)
    # Without a kill switch it makes one pass: hosts started after it are left alone.
    one_pass = sim_of(spec_with({**run, "every": "0s"}))
    one_pass.run_until(200)
    one_pass.apply(act(action="restart", service="web"))
    one_pass.run_until(500)
    assert all(i.fx_err == 0.0 for i in one_pass.world.services["web"].instances)
