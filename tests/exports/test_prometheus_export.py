"""Metrics for Prometheus: live scrapes by a real prometheus, promtool's checks, TSDB blocks from an export."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from realtools import Prometheus, journal, need

from scenarios.catalog import load_by_ref
from simulator.exports.metrics import MetricsAccumulator
from simulator.session.simulation import Simulation
from tui.cli import main
from tui.live_exports import LiveExports
from tui.session import LocalSession

pytest.importorskip("prometheus_client", reason="needs pip install 'misfortune[export]'")

START = "2026-01-05T09:00:00Z"


def _totals(sim, service: str) -> tuple[float, float]:
    return sim.metric(service, "req_total").last(), sim.metric(service, "err_total").last()


def test_counters_add_up_to_the_engines_own_counts_by_zone_and_version():
    sc, _ = load_by_ref("checkout-oom-leak")
    sim = Simulation(sc, 3)
    acc = MetricsAccumulator()
    for _ in range(900):
        sim.advance(1.0)
        acc.observe(sim)
    req, err = _totals(sim, "checkout")
    counted = {k: v for k, v in acc.requests.items() if k[0] == "checkout"}
    assert sum(counted.values()) == pytest.approx(req, rel=1e-9)
    assert sum(v for k, v in counted.items() if k[3] == "5xx") == pytest.approx(err, rel=1e-9)
    assert err > 0, "the leak's OOM kills fail requests within 15 minutes"
    zones = {k[1] for k in counted}
    assert zones == set(sc.topology.zones)
    families = {f.name: f for f in acc.families(sim)}
    for name in ("up", "process_resident_memory_bytes", "http_request_duration_seconds", "process_cpu_seconds"):
        assert families[name].samples, name
    memory = {dict(s.labels)["instance"]: s.value for s in families["process_resident_memory_bytes"].samples}
    for inst in sim.instances("checkout"):
        assert memory[inst.id] == pytest.approx(inst.memory_mb * 1024 * 1024)


def test_promtool_accepts_the_exposition(tmp_path):
    promtool = need("promtool")
    from simulator.exports.exposition import render

    sc, _ = load_by_ref("checkout-oom-leak")
    sim = Simulation(sc, 3)
    acc = MetricsAccumulator()
    for _ in range(60):
        sim.advance(10.0)
        acc.observe(sim)
    text = render(acc.families(sim))
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == b"" and result.stderr.strip() == b"", result.stdout + result.stderr
    om = render(acc.families(sim), openmetrics=True)
    assert om.rstrip().endswith(b"# EOF")
    assert b"# TYPE http_requests counter" in om


def test_a_real_prometheus_scrapes_a_running_session_and_sees_the_incident(tmp_path):
    session = LocalSession.start("checkout-oom-leak", 3, journal=False)
    live = LiveExports(("127.0.0.1", 0))
    live.start()
    config = (
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: misfortune\n"
        "    honor_labels: true\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{live.metrics_address[1]}']}}]\n"
    )
    prom = Prometheus(tmp_path, config)
    try:
        deadline = time.monotonic() + 60.0  # ~7 s quiet; a loaded machine takes longer to get there
        while time.monotonic() < deadline and session.now < 1500:
            session.sim.advance(60.0)  # 4 simulated minutes a wall second: the leak's kills come quickly
            live.update(session, force=True)
            time.sleep(0.25)
        assert session.now >= 1500
        req, err = _totals(session.sim, "checkout")
        errors = 'sum(http_requests_total{service="checkout",code="5xx"})'
        total = 'sum(http_requests_total{service="checkout"})'

        def scraped_ratio() -> float:
            ratio = prom.query(f"{errors} / {total}")
            return float(ratio[0]["value"][1]) if ratio else math.nan

        deadline = time.monotonic() + 30.0  # a loaded machine scrapes late: wait for the final snapshot's scrape
        while scraped_ratio() != pytest.approx(err / req, rel=1e-6) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert scraped_ratio() == pytest.approx(err / req, rel=1e-6)
        # When Prometheus scraped the final snapshot: the rates below are read over the minute up to then.
        scraped_at = float(prom.query('max(timestamp(http_requests_total{service="checkout"}))')[0]["value"][1])

        def error_rate(service: str) -> float:
            result = prom.query(
                f'sum(increase(http_requests_total{{service="{service}",code="5xx"}}[1m])) / '
                f'sum(increase(http_requests_total{{service="{service}"}}[1m]))',
                at=scraped_at,
            )
            return float(result[0]["value"][1])

        # The error rate Prometheus computes from its own scrapes shows the leaking service failing.
        assert error_rate("checkout") > 0.001
        assert error_rate("checkout") > 5 * error_rate("catalog")
        restarts = prom.query('max(service_restarts_total{service="checkout"})')
        assert float(restarts[0]["value"][1]) >= 1, "OOM kills are restarts"
        up = prom.query('count(up{service="checkout"})')
        assert float(up[0]["value"][1]) == len(session.instances("checkout"))
    finally:
        prom.stop()
        live.stop()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One export (OpenMetrics, rules, Grafana) turned into TSDB blocks, served by a real prometheus."""
    promtool = need("promtool")
    need("prometheus")
    tmp = tmp_path_factory.mktemp("export")
    path = journal(tmp)
    om, rules, grafana = tmp / "session.om", tmp / "rules.yml", tmp / "grafana"
    args = ["export", str(path), "--openmetrics", str(om), "--rules", str(rules), "--grafana", str(grafana)]
    assert main([*args, "--start", START]) == 0
    blocks = tmp / "tsdb"
    made = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(blocks)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    from simulator.session.journal_session import replay_journal

    sim, _ = replay_journal(path)
    prom = Prometheus(tmp, tsdb=blocks)
    yield {"sim": sim, "prom": prom, "rules": rules, "grafana": grafana, "promtool": promtool}
    prom.stop()


def test_an_exported_session_becomes_tsdb_blocks_prometheus_can_query(exported):
    sim, prom = exported["sim"], exported["prom"]
    req, err = _totals(sim, "frontend")
    epoch = datetime.fromisoformat(START.replace("Z", "+00:00")).timestamp()
    end = epoch + sim.now
    total = prom.query('sum(http_requests_total{service="frontend"})', at=end)
    errors = prom.query('sum(http_requests_total{service="frontend",code="5xx"})', at=end)
    assert float(total[0]["value"][1]) == pytest.approx(req, rel=1e-9)
    assert float(errors[0]["value"][1]) == pytest.approx(err, rel=1e-9)
    before = prom.query('sum(http_requests_total{service="frontend"})', at=epoch + 600)
    assert float(before[0]["value"][1]) < req, "the history is there, not only the end"
    memory = prom.query('max(process_resident_memory_bytes{service="checkout"})', at=epoch + 900)
    assert float(memory[0]["value"][1]) > 300 * 1024 * 1024


def test_the_rule_file_passes_promtool(exported):
    checked = subprocess.run(
        [exported["promtool"], "check", "rules", str(exported["rules"])], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 5 rules found" in checked.stdout


def test_every_grafana_panel_query_runs_on_the_exported_session(exported):
    folder, prom, sim = exported["grafana"], exported["prom"], exported["sim"]
    ds = yaml.safe_load((folder / "provisioning" / "datasources" / "misfortune.yaml").read_text())
    uid = ds["datasources"][0]["uid"]
    provider = yaml.safe_load((folder / "provisioning" / "dashboards" / "misfortune.yaml").read_text())
    boards = Path(provider["providers"][0]["options"]["path"])
    files = sorted(boards.glob("*.json"))
    assert [f.name for f in files] == ["checkout-oom-leak-red.json", "checkout-oom-leak-use.json"]
    end = datetime.fromisoformat(START.replace("Z", "+00:00")).timestamp() + sim.now
    titles, empty = [], []
    for file in files:
        board = json.loads(file.read_text())
        assert board["time"]["to"] == str(int(end * 1000))
        exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
        exprs.append(board["annotations"]["list"][0]["expr"])
        for panel in board["panels"]:
            titles.append(panel["title"])
            for target in panel.get("targets", []):
                assert target["datasource"]["uid"] == uid
        for expr in exprs:
            query = expr.replace("$service", "checkout").replace("$__rate_interval", "1m")
            if not prom.query(query, at=end - 30):  # a bad query raises: status is not success
                empty.append(expr)
    for wanted in ("Request rate", "Error ratio (5xx)", "Latency", "Error ratio by zone", "Error ratio by version"):
        assert wanted in titles
    assert "Memory against the limit per instance" in titles and "CPU utilisation per instance" in titles
    # Only the panels for things checkout does not have (a disk-free cache, a database) may be empty.
    assert all(("cache_hit" in e or "pg_stat" in e or "misfortune_changes" in e) for e in empty), empty


def test_export_without_the_extra_says_what_to_install(tmp_path, capsys, monkeypatch):
    path = journal(tmp_path, until=60.0)
    for name in [m for m in sys.modules if m.startswith("prometheus_client")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    assert main(["export", str(path), "--openmetrics", str(tmp_path / "x.om")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'misfortune[export]'" in err and "Traceback" not in err
    assert not (tmp_path / "x.om").exists()


def test_export_rejects_bad_options_with_exit_2(tmp_path, capsys):
    path = journal(tmp_path, until=60.0)
    assert main(["export", str(path), "--openmetrics", str(tmp_path / "x"), "--start", "yesterday"]) == 2
    assert main(["export", str(path)]) == 2
    assert main(["export", str(tmp_path / "missing.jsonl"), "--rules", "r.yml"]) == 2
    err = capsys.readouterr().err
    assert "--start: 'yesterday' is not an ISO 8601 time" in err
    assert "say what to write" in err and "no such journal file" in err


def test_live_metrics_option_validates_its_address(capsys):
    assert main(["play", "checkout-oom-leak", "--metrics", "nowhere"]) == 2
    assert "is not HOST:PORT" in capsys.readouterr().err


def test_exports_do_not_load_prometheus_or_opentelemetry_on_import():
    code = (
        "import sys, simulator.exports.metrics, simulator.exports.rules, tui.commands.export_command; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('prometheus_client', 'opentelemetry', 'textual')]; "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


async def test_the_app_clock_feeds_the_live_endpoint():
    import urllib.request

    from tui.app import MisfortuneApp

    session = LocalSession.start("checkout-oom-leak", 3, journal=False)
    live = LiveExports(("127.0.0.1", 0))
    live.start()
    app = MisfortuneApp(session, "console", clock=False)
    app.live_exports = live
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            session.set_speed(60.0)
            for _ in range(5):
                app.advance_clock(1.0)  # 60 simulated seconds a pump
                await pilot.pause()
            session.set_speed(0.0)  # paused: the next pump after PUBLISH_EVERY publishes the final state
            time.sleep(0.6)
            app.advance_clock(0.1)
            with urllib.request.urlopen(live.metrics_url, timeout=5) as r:
                body = r.read().decode()
    finally:
        live.stop()
    line = next(x for x in body.splitlines() if x.startswith("misfortune_simulated_time_seconds "))
    assert float(line.split()[1]) == pytest.approx(session.now)
    assert session.now >= 240
    assert 'http_requests_total{code="2xx",service="frontend"' in body


def test_live_metrics_without_the_extra_say_what_to_install(capsys, monkeypatch):
    for name in [m for m in sys.modules if m.startswith("prometheus_client")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    assert main(["play", "checkout-oom-leak", "--metrics", "127.0.0.1:0"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'misfortune[export]'" in err and "Traceback" not in err
