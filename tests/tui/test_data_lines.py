"""The dashboards' lines about data and traffic extras (tui/widgets/data_lines.py), from a real session."""

from __future__ import annotations

from scenarios.catalog import load_by_ref
from simulator.session.simulation import Simulation
from tui.widgets.data_lines import data_lines


def test_a_scenario_without_data_shows_nothing():
    sim = Simulation(load_by_ref("checkout-oom-leak")[0], 1)
    sim.run_until(60)
    assert data_lines(sim.data_status()) == []


def test_the_primary_roles_lag_and_backups_after_a_failover():
    sim = Simulation(load_by_ref("db-failover-lost-writes")[0], 1)
    sim.run_until(800)
    db, classes = data_lines(sim.data_status())
    assert db.startswith("config-db: primary config-db-2 | config-db-0 diverged | config-db-1 replica lag 0.3s")
    assert "nightly-0200 (taken 10h before start, restore ~120 min, never tried)" in db
    assert classes.startswith("classes: interactive p0")


def test_waves_and_expired_names_appear_while_they_last():
    storm = Simulation(load_by_ref("reconnect-storm")[0], 1)
    storm.run_until(12 * 60)
    assert any("reconnect wave" in line for line in data_lines(storm.data_status()))
    dns = Simulation(load_by_ref("dns-resolver-storm")[0], 1)
    dns.run_until(5 * 60)
    assert not any("unresolved" in line for line in data_lines(dns.data_status()))
    dns.run_until(10 * 60)
    assert any("of names unresolved (resolver cluster-dns)" in line for line in data_lines(dns.data_status()))


def test_blind_dashboards_show_only_the_database_tools():
    sim = Simulation(load_by_ref("backbone-withdrawn-dns-unreachable")[0], 1)
    sim.run_until(12 * 60)
    live = data_lines(sim.data_status())
    assert "auth-dns: anycast routes withdrawn, unreachable from outside" in live
    assert any(line.startswith("users: ") and "unresolved (resolver auth-dns)" in line for line in live)
    assert data_lines(sim.data_status(), metrics_live=False) == []  # the metrics pipeline is what shows them
    split = Simulation(load_by_ref("partition-split-brain-failover")[0], 1)
    split.run_until(15 * 60)
    (db,) = data_lines(split.data_status(), metrics_live=False)
    assert db.startswith("metadata-db: primary metadata-db-1 (60 ms away) | metadata-db-0 diverged, ")
    assert "writes only here" in db
