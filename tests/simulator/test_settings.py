"""Settings as the mechanism: a deploy or config push carries ``sets:``, the model computes what the
numbers do, every instance runs the settings of its own version and revision, and a rollback restores
the previous values (not just a revision string)."""

from __future__ import annotations

import math

import pytest
from simkit import chain_spec, sim_of

from scenarios.language.actions import ACTION_ADAPTER
from simulator.world.model import retry_amplification


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def failing_api(spec: dict, error_rate: float = 0.3) -> dict:
    """api fails a share of its requests from the start (its own bug), so web's retries matter."""
    spec["topology"]["services"][1]["error_rate"] = error_rate
    return spec


def config_change(at: str = "1m", **sets) -> dict:
    return {"type": "config_change", "at": at, "service": "web", "revision": "rev-2", "sets": sets, "propagation": 0}


def test_a_config_push_that_sets_retries_amplifies_load_and_the_revert_restores_the_setting():
    spec = failing_api(chain_spec(config="rev-1"))
    spec["faults"] = [config_change(retries=3)]
    sim = sim_of(spec)
    sim.run_until(50)
    web, api = sim.world.services["web"], sim.world.services["api"]
    assert {c.key[-1].retries for c in web.cohorts} == {0}
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio, rel=1e-9)
    sim.run_until(150)
    assert {c.key[-1].retries for c in web.cohorts} == {3}, "every instance loaded rev-2 and its retries"
    p = web.call_error["api"]
    assert p == pytest.approx(0.3, abs=1e-3)
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio * retry_amplification(p, 3), rel=1e-9)
    assert web.error_ratio == pytest.approx(p**4, rel=1e-6), "four attempts must all fail"
    assert web.retry_rate > 0.4 * web.admitted
    assert sim.apply(act(action="rollback_config", service="web")).accepted
    sim.run_until(200)
    assert all(i.config == "rev-1" for i in web.instances)
    assert {c.key[-1].retries for c in web.cohorts} == {0}, "the revert restored retries=0, not just the name"
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio, rel=1e-9)
    assert web.error_ratio == pytest.approx(0.3, abs=2e-3)


def test_a_short_timeout_fails_the_slow_tail_of_a_healthy_dependency():
    spec = chain_spec()
    spec["faults"] = [config_change(timeout="40ms")]
    sim = sim_of(spec)
    sim.run_until(50)
    web, api = sim.world.services["web"], sim.world.services["api"]
    assert web.call_error["api"] < 1e-4, "2 s is far above api's tail"
    sim.run_until(120)
    # One attempt fails when api answers slower than 40 ms: the log-normal tail beyond the timeout.
    tail = 0.5 * math.erfc((math.log(40.0) - math.log(api.p50)) / (api.sigma * math.sqrt(2.0)))
    assert web.call_error["api"] == pytest.approx(tail, rel=1e-6)
    assert tail > 0.05
    assert web.error_ratio == pytest.approx(tail, rel=1e-3)


def test_a_small_pool_queues_connections_in_proportion_to_its_size():
    spec = chain_spec()
    spec["faults"] = [config_change(pool_size=2)]
    sim = sim_of(spec)
    sim.run_until(50)
    web = sim.world.services["web"]
    before = web.pool_ratio
    sim.run_until(120)
    assert web.pool_ratio == pytest.approx(before * 64 / 2, rel=1e-6)
    assert web.pool_ratio > 1.0
    assert web.causes.get("pool_exhausted", 0.0) > 0.0


def test_rolling_back_a_deploy_restores_the_settings_its_predecessor_ran_with():
    spec = failing_api(chain_spec())
    spec["faults"] = [{"type": "deploy", "at": "30s", "service": "web", "version": "v2", "sets": {"retries": 4}}]
    sim = sim_of(spec)
    sim.run_until(200)
    web, api = sim.world.services["web"], sim.world.services["api"]
    assert {i.version for i in web.instances} == {"v2"}
    assert {c.key[-1].retries for c in web.cohorts} == {4}
    loaded = api.offered
    assert sim.apply(act(action="rollback_deploy", service="web")).accepted
    sim.run_until(400)
    assert {i.version for i in web.instances} == {"v1"}
    assert {c.key[-1].retries for c in web.cohorts} == {0}
    assert web.tuning.retries == 0
    assert api.offered < loaded / 1.4


def test_a_rollout_that_stops_part_way_runs_two_settings_side_by_side():
    spec = failing_api(chain_spec())
    spec["faults"] = [
        {"type": "deploy", "at": "30s", "service": "web", "version": "v2", "sets": {"retries": 2}, "stop_after": 1}
    ]
    sim = sim_of(spec)
    sim.run_until(300)
    web, api = sim.world.services["web"], sim.world.services["api"]
    assert sorted(i.version for i in web.instances) == ["v1", "v1", "v2"]
    assert sorted(round(w, 6) for w, _ in web.profiles) == [round(1 / 3, 6), round(2 / 3, 6)]
    p = web.call_error["api"]
    # A third of the traffic retries twice, the rest never: the callee sees the mix.
    expected = web.admitted * web.pass_ratio * (retry_amplification(p, 2) / 3 + 2 / 3)
    assert api.offered == pytest.approx(expected, rel=1e-6)
    ops = sim.operation_list()
    assert any("stopped at 1/3" in op.summary for op in ops)
    split = sim.metric("web", "error_ratio", version="v2").values[-1]
    old = sim.metric("web", "error_ratio", version="v1").values[-1]
    assert split == pytest.approx(0.3**3, rel=0.05) and old == pytest.approx(0.3, rel=0.05)


def test_service_wide_settings_follow_the_change_and_the_revert():
    spec = chain_spec()
    db = spec["topology"]["services"][2]
    db["max_connections"] = 500
    spec["faults"] = [
        {
            "type": "config_change",
            "at": "1m",
            "service": "db",
            "revision": "rev-9",
            "sets": {"max_connections": 1, "replicas": 5},
        }
    ]
    sim = sim_of(spec)
    sim.run_until(100)
    db_state = sim.world.services["db"]
    assert db_state.max_connections == 1
    assert len(db_state.instances) == 5
    demand = db_state.conn_demand
    assert demand > 1.1
    # Connections beyond the limit are refused ('too many clients'): that share of attempts fails.
    assert sim.world.services["api"].call_error["db"] == pytest.approx(1.0 - 1.0 / demand, rel=1e-3)
    assert sim.apply(act(action="rollback_config", service="db")).accepted
    sim.run_until(200)
    assert db_state.max_connections == 500
    assert len(db_state.instances) == 3
    assert sim.world.services["api"].call_error["db"] < 1e-3


def test_a_rollout_guard_pauses_a_failing_version_part_way():
    spec = chain_spec()
    spec["faults"] = [
        {
            "type": "deploy",
            "at": "30s",
            "service": "web",
            "version": "v2",
            "sets": {"timeout": "20ms"},
            "pause_above": 0.2,
        }
    ]
    sim = sim_of(spec)
    sim.run_until(600)
    web = sim.world.services["web"]
    assert sorted(i.version for i in web.instances) == ["v1", "v1", "v2"], "the guard paused after the first"
    summary = sim.operation_list()[-1].summary
    assert "paused by the rollout guard at 1/3" in summary
    assert any("fails" in e.text and "paused" in e.text for e in sim.timeline())


def test_a_revision_scoped_to_one_version_leaves_the_others_alone():
    spec = chain_spec()
    spec["faults"] = [{**config_change(pool_size=2), "on_version": "v2"}]
    sim = sim_of(spec)
    sim.run_until(120)
    web = sim.world.services["web"]
    assert all(i.config == "rev-2" for i in web.instances)
    assert {c.key[-1].pool_size for c in web.cohorts} == {64}, "v1 ignores the key v2 would read"


def kill_switch_spec() -> dict:
    """web's rules engine (behind flag 'rules') rate-limits a bot to 250 rps; rev-2 of its rules makes
    the engine fail 40 % of requests. Switching the engine off stops the failures and the protection."""
    spec = chain_spec()
    spec["topology"]["flags"] = [
        {
            "name": "rules",
            "enabled": True,
            "service": "web",
            "sets": [{"service": "web", "when": True, "sets": {"rate_limit": 400}}],
        }
    ]
    spec["faults"] = [
        {
            "type": "bad_config",
            "at": "1m",
            "service": "web",
            "revision": "rev-2",
            "propagation": 0,
            "error_rate": 0.4,
            "flag": "rules",
        },
        {"type": "traffic_surge", "at": "0s", "client": "bot", "factor": 2.0, "ramp": 0},
    ]
    return spec


def test_a_kill_switch_stops_the_fault_and_takes_its_protection_with_it():
    sim = sim_of(kill_switch_spec())
    sim.run_until(110)
    web, api = sim.world.services["web"], sim.world.services["api"]
    assert web.rate_limit == 400
    assert web.admitted == pytest.approx(400, rel=1e-9), "600 rps offered, the engine admits 400"
    assert web.error_ratio > 0.4, "the rules engine's bad revision fails requests (and the limit refuses 1/3)"
    sim.set_flag("rules", False)
    sim.run_until(200)
    assert web.rate_limit is None, "the engine's rate limit went with it"
    assert web.admitted == pytest.approx(600, rel=1e-9)
    assert web.causes.get("fault", 0.0) == 0.0, "the bad rules no longer run"
    assert api.offered == pytest.approx(600 * web.pass_ratio, rel=1e-6), "the bot's load now reaches api"
    sim.set_flag("rules", True)
    sim.run_until(300)
    assert web.rate_limit == 400 and web.causes.get("fault", 0.0) > 0.0


def test_a_flag_can_switch_settings_on_one_version_only():
    spec = chain_spec()
    spec["topology"]["flags"] = [
        {"name": "fast-path", "sets": [{"service": "web", "on_version": "v2", "sets": {"pool_size": 4}}]}
    ]
    spec["faults"] = [{"type": "deploy", "at": "0s", "service": "web", "version": "v2", "stop_after": 1}]
    sim = sim_of(spec)
    sim.run_until(120)
    sim.set_flag("fast-path", True)
    sim.run_until(130)
    web = sim.world.services["web"]
    pools = {c.key[0]: c.key[-1].pool_size for c in web.cohorts}
    assert pools == {"v1": 64, "v2": 4}


def test_internal_sources_add_their_load_and_their_own_retries_to_the_target():
    spec = failing_api(chain_spec(), 0.2)
    spec["traffic"]["sources"] = [
        {"name": "nightly-export", "kind": "cron", "target": "api", "rps": 100, "start": "1m", "every": "5m",
         "lasts": "2m", "retries": 2},
        {"name": "lb-probe", "kind": "probe", "target": "api", "rps": 1, "tls": False},
    ]  # fmt: skip
    sim = sim_of(spec)
    sim.run_until(50)
    web, api = sim.world.services["web"], sim.world.services["api"]
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio + 1.0, rel=1e-9), "only the probe"
    sim.run_until(120)
    p = api.error_ratio
    export = 100 * retry_amplification(p, 2)
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio + 1.0 + export, rel=1e-3)
    sim.run_until(130)
    rate = sim.metric("api", "rate", client="nightly-export").values[-1]
    retries = sim.metric("api", "retry_rate", client="nightly-export").values[-1]
    assert rate == pytest.approx(export, rel=1e-2) and retries == pytest.approx(export - 100, rel=1e-2)
    assert "nightly-export" in sim.split_values("api", "client")
    sim.run_until(250)  # the run ended at 3m; the next starts at 6m
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio + 1.0, rel=1e-9)
    assert sim.metric("api", "rate", client="nightly-export").values[-1] == 0.0
    exports = [r for r in sim.logs(service="api") if r.attributes.get("client") == "nightly-export"]
    assert exports and all(r.message.startswith("POST /internal/batch 200") for r in exports)


def test_inspect_shows_the_settings_per_version_and_the_signals():
    from simulator.session.inspect import collect, inspect, inspect_text

    spec = failing_api(chain_spec())
    spec["faults"] = [
        {"type": "deploy", "at": "30s", "service": "web", "version": "v2", "sets": {"retries": 2}, "stop_after": 1}
    ]
    spec["traffic"]["sources"] = [{"name": "reindex", "target": "api", "rps": 20, "retries": 1}]
    sim = sim_of(spec)
    sim.run_until(300)
    data = inspect(sim, "metrics")
    web = next(s for s in data["signals"] if s["service"] == "web")
    assert web["settings"]["v1 / rev-1"]["retries"] == 0 and web["settings"]["v2 / rev-1"]["retries"] == 2
    assert set(web["by_version"]) == {"v1", "v2"}
    api = next(s for s in data["signals"] if s["service"] == "api")
    assert api["by_client"]["reindex"]["rate"] == pytest.approx(
        20 * (1 + api["by_client"]["reindex"]["error_ratio"]), rel=0.05
    )
    text = "\n".join(inspect_text(collect(sim, "metrics")))
    assert "settings v2 / rev-1: retries=2" in text and "client=reindex" in text


def test_a_flag_pauses_an_internal_job():
    spec = chain_spec()
    spec["topology"]["flags"] = [{"name": "webhooks", "enabled": True}]
    spec["traffic"]["sources"] = [{"name": "webhook-delivery", "target": "api", "rps": 50, "flag": "webhooks"}]
    sim = sim_of(spec)
    sim.run_until(60)
    web, api = sim.world.services["web"], sim.world.services["api"]
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio + 50, rel=1e-9)
    sim.set_flag("webhooks", False)
    sim.run_until(70)
    assert api.offered == pytest.approx(web.admitted * web.pass_ratio, rel=1e-9)


def test_an_internal_sources_requests_and_retries_show_in_traces():
    spec = failing_api(chain_spec(), 0.5)
    spec["traffic"]["sources"] = [
        {"name": "reindex", "kind": "consumer", "target": "api", "rps": 20, "retries": 3, "backoff": "2s"}
    ]
    sim = sim_of(spec)
    sim.run_until(600)
    traces = [tr for tr in sim.traces(limit=500) if tr.root_service == "reindex"]
    assert 25 <= len(traces) <= 31, "one every 20 s"
    attempts = [[sp for sp in tr.spans if sp.service == "api" and sp.kind == "SERVER"] for tr in traces]
    assert all(1 <= len(a) <= 4 for a in attempts)
    retried = [a for a in attempts if len(a) > 1]
    assert retried, "half of api's requests fail: some traces show retries"
    for a in retried:
        assert all(x.status == "ERROR" for x in a[:-1]), "only a failed attempt is retried"
        assert a[1].start_ms >= a[0].start_ms + a[0].duration_ms + 2000.0, "after its 2 s back-off"
