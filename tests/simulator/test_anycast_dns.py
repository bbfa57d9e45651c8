"""DNS before the entry: a resolver that withdraws its anycast routes when its health check's service is
down (healthy, but nobody reaches it), and users who resolve the entry's name through it."""

from __future__ import annotations

import math

import pytest
from simkit import build, chain_spec, sim_of
from test_data import act

from scenarios.loader import ScenarioError

TTL = 60.0
ONSET = 120.0


def anycast_spec(users=True, internal=True, withdraws=True):
    """web -> api -> db; api resolves its names with edge-dns, users resolve web's; db breaks at 2 min."""
    spec = chain_spec()
    if internal:
        spec["topology"]["services"][1]["dns"] = "edge-dns"
    dns = {"name": "edge-dns", "kind": "dns", "replicas": 2, "capacity_rps": 5000, "latency_ms": 1, "dns_ttl": TTL}
    if withdraws:
        dns["withdraws_without"] = "db"
    spec["topology"]["services"].append(dns)
    if users:
        spec["traffic"]["dns"] = "edge-dns"
    spec["faults"] = [
        {"type": "automation_run", "at": f"{ONSET:g}s", "service": "db", "name": "drain-backbone", "every": "0s"}
    ]
    return spec


def test_the_resolver_withdraws_while_its_health_checks_service_is_down():
    sim = sim_of(anycast_spec())
    sim.run_until(ONSET - 10)
    assert not sim.world.services["edge-dns"].withdrawn
    assert sim.data_status()["withdrawn"] == []
    sim.run_until(ONSET + 10)
    dns = sim.world.services["edge-dns"]
    assert dns.withdrawn and sim.data_status()["withdrawn"] == ["edge-dns"]
    assert dns.error_ratio < 0.01  # healthy: nothing reaches it
    assert any("withdrawing anycast" in r.message for r in sim.logs(service="edge-dns", limit=100))
    sim.run_until(ONSET + 3 * TTL)
    assert sim.world.services["edge-dns"].offered == pytest.approx(0.0, abs=1e-6)  # api's lookups find no route
    lines = [r.message for r in sim.logs(service="api", level="ERROR", limit=200)]
    assert any("connect: network is unreachable" in m for m in lines)


def test_users_who_cannot_resolve_the_entry_never_arrive_and_count_as_failed():
    sim = sim_of(anycast_spec(internal=False))
    t = 2 * TTL
    sim.run_until(ONSET + t)
    expired = sim.extras.user_expired
    assert expired == pytest.approx(1.0 - math.exp(-t / TTL), abs=0.05)  # cached answers run out with the TTL
    web = sim.world.services["web"]
    assert web.rate == pytest.approx(300 * (1.0 - expired), rel=0.05)  # the entry sees its traffic drop
    assert web.lost == pytest.approx(300 * expired, rel=0.05)
    users = next(d for d in sim.data_status()["dns"] if d["service"] == "users")
    assert users["resolver"] == "edge-dns" and users["names_expired"] == pytest.approx(expired, abs=0.01)


def test_without_users_dns_the_same_outage_keeps_its_traffic():
    sim = sim_of(anycast_spec(users=False, internal=False))
    sim.run_until(ONSET + 2 * TTL)
    assert sim.world.services["web"].rate == pytest.approx(300, rel=0.05)
    assert sim.world.services["web"].lost == 0.0


def test_restarting_the_resolver_does_not_bring_its_routes_back_but_fixing_the_service_does():
    sim = sim_of(anycast_spec())
    sim.run_until(ONSET + 2 * TTL)
    assert act(sim, action="restart", service="edge-dns", mode="all").accepted
    sim.run_until(sim.now + 60)
    assert sim.world.services["edge-dns"].withdrawn
    assert act(sim, action="restart", service="db", mode="all").accepted  # the hosts the run broke come back clean
    sim.run_until(sim.now + 90)
    assert not sim.world.services["edge-dns"].withdrawn
    sim.run_until(sim.now + 10)
    assert sim.extras.user_expired < 0.01  # users come back within seconds, together
    assert sim.world.services["web"].rate == pytest.approx(300, rel=0.05)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["traffic"].update(dns="api"), "api is a service, not a resolver"),
        (lambda s: s["traffic"].update(dns="nope"), "unknown service 'nope'"),
        (lambda s: s["topology"]["services"][0].update(withdraws_without="db"), "only a resolver withdraws"),
        (lambda s: s["topology"]["services"][3].update(withdraws_without="nope"), "unknown service 'nope'"),
    ],
)
def test_bad_dns_fields_are_refused(change, message):
    spec = anycast_spec()
    change(spec)
    with pytest.raises(ScenarioError) as err:
        build(spec)
    assert message in str(err.value)


def test_reconnects_to_the_entry_need_its_name_too():
    spec = anycast_spec(internal=False)
    spec["topology"]["services"][0]["reconnect"] = {"factor": 3, "window": "60s"}
    sim = sim_of(spec)
    sim.run_until(ONSET + 4 * TTL)
    wave = next(r for r in sim.data_status()["reconnects"] if r["service"] == "web")
    assert wave["clients_away"] > 0.9  # every client dropped
    expired = sim.extras.user_expired
    # Those away reconnect at 3 x the normal rate, but only the share that can still resolve web arrives.
    assert wave["wave_rps"] == pytest.approx(3 * 300 * wave["clients_away"] * (1 - expired), rel=0.1)
    assert wave["wave_rps"] < 0.1 * 3 * 300
