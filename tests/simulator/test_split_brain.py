"""Split brain: a partition that cuts the primary off, an automatic promotion on the other side, writes
held only by the old primary, failing back, reconciling by procedure, and a far primary's round trip."""

from __future__ import annotations

import json

import pytest
from simkit import build, sim_of
from test_data import WRITE_RPS, act, data_spec, hosts

from scenarios.loader import ScenarioError
from scenarios.schema import scenario_json_schema

CUT_AT = 60.0
CUT_FOR = 43.0
FAILOVER_AFTER = 30.0


def split_spec(lasts=CUT_FOR, auto_failover=FAILOVER_AFTER, rtt=None, write_share=0.3, procedure=True):
    spec = data_spec(
        [{"type": "partition", "at": f"{CUT_AT:g}s", "zone": "zone-a", "lasts": f"{lasts:g}s"}],
        auto_failover=auto_failover,
    )
    db = spec["topology"]["services"][2]
    db["write_share"] = write_share
    if rtt is not None:
        db["data"]["primary_rtt_ms"] = rtt
    if procedure:
        spec["recovery"] = {
            "procedures": [
                {
                    "name": "reconcile",
                    "title": "Replay db-0's writes onto the primary, then rebuild it",
                    "steps": [{"text": "Extract and replay", "takes": "5m"}],
                    "reconciles": "db",
                    "then": [{"action": "resync_replica", "service": "db", "host": "db-0"}],
                }
            ]
        }
    return spec


def healed(sim):
    sim.run_until(CUT_AT + CUT_FOR + 5)
    return hosts(sim)


def test_a_cut_shorter_than_the_failover_timeout_only_delays_replication():
    sim = sim_of(split_spec(lasts=20))
    sim.run_until(CUT_AT + 19)
    h = hosts(sim)
    assert h["db-1"]["lag_s"] == pytest.approx(19.5, abs=1.5)  # nothing crosses the cut
    sim.run_until(CUT_AT + 120)
    h = hosts(sim)
    assert h["db-0"]["role"] == "primary" and h["db-1"]["role"] == "replica"
    assert h["db-1"]["lag_s"] == pytest.approx(0.5)  # caught up
    assert h["db-0"]["only_here"] is None and sim.world.data_lost_records == 0


def test_a_cut_past_the_failover_timeout_leaves_the_old_primary_with_writes_nobody_else_has():
    sim = sim_of(split_spec())
    sim.run_until(CUT_AT + FAILOVER_AFTER + 2)
    h = hosts(sim)
    promoted = "db-1" if h["db-1"]["role"] == "primary" else "db-2"
    assert h[promoted]["role"] == "primary"
    assert h["db-0"]["role"] == "primary (cut off)"  # its callers still write to it until the cut heals
    h = healed(sim)
    assert h["db-0"]["role"] == "diverged"
    # It holds everything from the promoted copy's last write (0.5 s of lag before the cut) to the heal.
    assert h["db-0"]["only_here"] == pytest.approx(WRITE_RPS * (CUT_FOR + 0.5), rel=0.06)
    assert sim.world.data_lost_records == 0  # held, not lost
    changes = [c.summary for c in sim.change_log()]
    assert any("automatic failover: db primary zone-a" in c for c in changes)
    assert any("never reached the new primary" in r.message for r in sim.logs(service="db", level="ERROR", limit=500))


def test_wiping_the_old_primary_before_reconciling_loses_its_writes():
    sim = sim_of(split_spec())
    held = healed(sim)["db-0"]["only_here"]
    result = act(sim, action="resync_replica", service="db", host="db-0")
    assert result.accepted and result.harmful and "no other copy has" in result.harmful
    assert sim.world.data_lost_records == pytest.approx(held, abs=1)
    assert sim.world.data_lost_s == pytest.approx(CUT_FOR + 0.5, abs=1.5)


def test_reconciling_first_makes_the_rebuild_lossless():
    sim = sim_of(split_spec())
    held = healed(sim)["db-0"]["only_here"]
    assert act(sim, action="run_procedure", procedure="reconcile").accepted
    sim.run_until(sim.now + 300 + 2)
    h = hosts(sim)
    assert h["db-0"]["role"] == "resyncing" and h["db-0"]["only_here"] is None
    status = sim.data_status()["databases"][0]
    assert status["reconciled_records"] == pytest.approx(held, abs=1)
    sim.run_until(sim.now + 100 / 600 * 3600 + 2)
    assert hosts(sim)["db-0"]["role"] == "replica"
    assert sim.world.data_lost_records == 0
    assert sim.world.services["db"].data_serving


def test_failing_back_strands_the_writes_the_new_primary_took_since():
    sim = sim_of(split_spec())
    h = healed(sim)
    current = next(name for name, host in h.items() if host["role"] == "primary")
    heal = CUT_AT + CUT_FOR
    sim.run_until(heal + 300)
    result = act(sim, action="failover", service="db", host="db-0")
    assert result.accepted and "lacks the writes" in result.message
    assert result.harmful and f"left on {current} alone" in result.harmful
    assert sim.world.services["db"].primary_down  # writes pause while the roles change
    sim.run_until(sim.now + 50)
    h = hosts(sim)
    assert h["db-0"]["role"] == "primary" and h[current]["role"] == "diverged"
    # What db-0 lacks: every write since the heal, up to the moment writes paused.
    assert h[current]["only_here"] == pytest.approx(WRITE_RPS * 300, rel=0.06)
    assert sim.world.data_lost_records == 0


def test_a_failover_to_a_diverged_host_needs_its_own_timeline():
    # A zone outage's old primary diverges without writes of its own: it cannot be failed back to.
    spec = data_spec([{"type": "zone_outage", "at": "1m", "zone": "zone-a", "lasts": "2m"}], auto_failover=30)
    sim = sim_of(spec)
    sim.run_until(300)
    assert hosts(sim)["db-0"]["role"] == "diverged"
    result = act(sim, action="failover", service="db", host="db-0")
    assert not result.accepted and "is healthy: there is nothing to fail over" in result.message


def test_a_far_primary_adds_its_round_trip_where_the_primary_calls_reach():
    rtt = {"zone-b": 60, "zone-c": 60}
    near = sim_of(split_spec(rtt=rtt, write_share=0.6))
    near.run_until(CUT_AT - 5)
    before = near.world.services["db"].p50
    healed(near)
    db = near.world.services["db"]
    assert db.p50 == pytest.approx(before + 60, abs=5)  # 60 % of the calls need the primary: the median pays
    few = sim_of(split_spec(rtt=rtt, write_share=0.3))
    healed(few)
    db = few.world.services["db"]
    assert db.p50 < before + 10 and db.p99 > 60  # 30 %: only the tail pays
    assert few.data_status()["databases"][0]["primary_rtt_ms"] == 60


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["recovery"]["procedures"][0].update(reconciles="api"), "'api' is not a database with data"),
        (
            lambda s: s["recovery"]["procedures"][0].update(reconciles=None, then=[]),
            "the procedure does nothing at its end",
        ),
        (lambda s: s["topology"]["services"][2]["data"].update(primary_rtt_ms={"mars": 9}), "unknown zone 'mars'"),
        (lambda s: s["faults"][0].update(zone="mars"), "unknown zone 'mars'"),
    ],
)
def test_bad_split_brain_fields_are_refused(change, message):
    spec = split_spec()
    change(spec)
    with pytest.raises(ScenarioError) as err:
        build(spec)
    assert message in str(err.value)


def test_the_schema_exports_the_new_fields():
    text = json.dumps(scenario_json_schema())
    for field in ('"partition"', '"primary_rtt_ms"', '"reconciles"', '"withdraws_without"'):
        assert field in text
    traffic = scenario_json_schema()["$defs"]["Traffic"]["properties"]
    assert "dns" in traffic and "users look the entry's name up" in traffic["dns"]["description"]
