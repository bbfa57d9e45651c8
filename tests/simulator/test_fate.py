"""Observability that shares fate: the team's tools fail with the services they run on."""

from __future__ import annotations

import math

import pytest
from simkit import sim_of, tiny

from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.inspect import collect, inspect, inspect_text


def act(**fields):
    return ACTION_ADAPTER.validate_python(fields)


def fate_spec(tools: dict, bad_deploy_at: str = "6m") -> dict:
    """web serves users; monitoring (2 instances) runs the tools named; an automation run breaks monitoring
    at 5m; web gets a bad deploy at ``bad_deploy_at`` that an error-ratio rule pages on."""
    spec = tiny(
        faults=[
            {"type": "automation_run", "at": "5m", "service": "monitoring", "name": "os-upgrade", "every": 0},
            {"type": "bad_deploy", "at": bad_deploy_at, "service": "web", "version": "v2", "error_rate": 0.5},
        ]
    )
    spec["topology"]["services"][0]["capacity_rps"] = 1000
    spec["topology"]["services"].append({"name": "monitoring", "replicas": 2, "startup": "10s", "error_rate": 0.0})
    spec["observability"] = tools
    spec["alerting"] = {
        "slo_burn_alerts": False,
        "rules": [
            {
                "name": "WebErrors",
                "service": "web",
                "metric": "error_ratio",
                "threshold": 0.05,
                "window": "1m",
                "for": "1m",
                "severity": "page",
            }
        ],
    }
    return spec


def restore_monitoring(sim) -> None:
    result = sim.apply(act(action="restart", service="monitoring"))
    assert result.accepted, result.message


def test_dashboards_go_blank_while_the_metrics_pipeline_is_down_and_say_since_when():
    sim = sim_of(fate_spec({"metrics": "monitoring"}))
    sim.run_until(600)
    series = sim.metric("web", "rate")
    before = [v for t, v in zip(series.times, series.values, strict=True) if t < 300]
    after = [v for t, v in zip(series.times, series.values, strict=True) if t > 301]
    assert before and all(not math.isnan(v) for v in before)
    assert after and all(math.isnan(v) for v in after)
    status, alerting = sim.tool_status()
    assert (status.tool, status.service, status.via) == ("metrics", "monitoring", None)
    assert status.down_since == pytest.approx(300, abs=1)
    assert (alerting.tool, alerting.via, alerting.down_since) == ("alerting", "metrics", status.down_since)
    sli = sim.sli_status()
    assert sli["no_data_since"] == pytest.approx(300, abs=1)
    restore_monitoring(sim)
    sim.run_until(900)
    status, alerting = sim.tool_status()
    assert status.down_since is None and status.gaps[0][1] is not None
    assert alerting.down_since is None and alerting.gaps == status.gaps
    series = sim.metric("web", "rate")
    assert not math.isnan(series.values[-1])
    # The points missed while it was down are never filled in.
    gap = [v for t, v in zip(series.times, series.values, strict=True) if 310 < t < status.gaps[0][1] - 1]
    assert gap and all(math.isnan(v) for v in gap)
    assert sim.sli_status()["breaching"] and "no_data_since" not in sim.sli_status()


def test_alerts_stop_while_the_alert_evaluator_is_down():
    blind = sim_of(fate_spec({"alerting": "monitoring"}))
    blind.run_until(900)
    assert not blind.pages() and all(a.state != "firing" for a in blind.alert_list())
    seeing = sim_of(fate_spec({}))
    seeing.run_until(900)
    assert [p.alert for p in seeing.pages()] == ["WebErrors"]


def test_pages_wait_while_the_pager_is_down_and_go_out_late():
    sim = sim_of(fate_spec({"pager": "monitoring"}))
    sim.run_until(900)
    assert not sim.pages()
    assert [a.state for a in sim.alert_list() if a.name == "WebErrors"] == ["firing"]
    assert sim.compression() is None
    restore_monitoring(sim)
    sim.run_until(1000)
    (page,) = sim.pages()
    assert page.t > 900
    assert any("sent late: it fired at 00:0" in e.text for e in sim.timeline())


def test_log_lines_written_while_the_log_pipeline_is_down_are_lost():
    sim = sim_of(fate_spec({"logging": "monitoring"}))
    sim.run_until(900)
    assert sim.logs(service="web", until=299)
    assert not sim.logs(since=302)
    assert sim.log_store.lost > 0
    restore_monitoring(sim)
    sim.run_until(1000)
    assert sim.logs(service="web", level="ERROR", since=950)


def test_status_updates_fail_while_the_status_page_is_down():
    sim = sim_of(fate_spec({"status_page": "monitoring"}))
    sim.run_until(400)
    result = sim.apply(act(action="status_update", text="We are investigating errors."))
    assert not result.accepted
    assert "runs on monitoring, which is down" in result.message
    assert not sim.incident_view().status_updates
    restore_monitoring(sim)
    sim.run_until(500)
    assert sim.apply(act(action="status_update", text="We are investigating errors.")).accepted


def test_tools_never_fail_without_an_observability_section():
    sim = sim_of(fate_spec({}))
    sim.run_until(600)
    assert sim.tool_status() == []
    assert not math.isnan(sim.metric("web", "rate").values[-1])
    assert "no_data_since" not in sim.sli_status()


def test_alert_rules_go_blind_with_the_metrics_they_read():
    # Only the metrics pipeline is named: the rules read it, so web's bad deploy at 6m pages nobody
    # while monitoring is down, and the console says since when there is no data.
    sim = sim_of(fate_spec({"metrics": "monitoring"}))
    sim.run_until(900)
    assert not sim.pages() and all(a.state != "firing" for a in sim.alert_list())
    (alerting,) = [t for t in sim.tool_status() if t.tool == "alerting"]
    assert (alerting.service, alerting.via) == ("monitoring", "metrics")
    assert alerting.down_since == pytest.approx(300, abs=1)
    assert any(
        "alert evaluation stopped" in e.text and "read the metrics pipeline on monitoring" in e.text
        for e in sim.timeline()
    )
    # A scripted noise alert cannot fire either: nothing evaluates.
    sim.alerts.fire_noise("DiskAlmostFull", "web", "ticket", "disk", 60.0)
    assert all(a.name != "DiskAlmostFull" for a in sim.alert_list())
    restore_monitoring(sim)
    sim.run_until(1200)
    assert [p.alert for p in sim.pages()] == ["WebErrors"]  # evaluated again once the data is back
    assert any("alerting works again (monitoring is back)" in e.text for e in sim.timeline())


def test_alerting_on_its_own_service_is_still_blind_without_the_metrics():
    spec = fate_spec({"metrics": "monitoring", "alerting": "alertmanager"})
    spec["topology"]["services"].append({"name": "alertmanager", "replicas": 2, "error_rate": 0.0})
    sim = sim_of(spec)
    sim.run_until(900)
    assert not sim.pages()
    (alerting,) = [t for t in sim.tool_status() if t.tool == "alerting"]
    # Its own service works: the banner names the metrics datasource that is down, not alertmanager.
    assert (alerting.service, alerting.via) == ("monitoring", "metrics")


def test_an_independent_alerting_path_keeps_paging_while_dashboards_are_blank():
    sim = sim_of(fate_spec({"metrics": "monitoring", "alerting_independent": True}))
    sim.run_until(900)
    assert [t.tool for t in sim.tool_status()] == ["metrics"]
    assert [p.alert for p in sim.pages()] == ["WebErrors"]


def test_inspect_shows_what_the_monitoring_shows_while_the_metrics_are_down():
    sim = sim_of(fate_spec({"metrics": "monitoring"}))
    sim.run_until(600)  # web's bad deploy fails half its requests; nobody can see it
    data = inspect(sim, "metrics", service="web")
    assert data["sli"] == {"service": "web", "objective": 0.99, "no_data_since": pytest.approx(300, abs=1)}
    (web,) = data["services"]
    assert web["rate"] is None and web["error_ratio"] is None and web["p99_ms"] is None
    assert web["ready"] == web["desired"] == 3  # the orchestrator still answers
    assert all(i["cpu"] is None and i["memory_mb"] is None for i in data["instances"])
    assert data["signals"][0]["retry_rate"] is None
    text = "\n".join(inspect_text(collect(sim, "metrics", service="web")))
    assert "SLI web: no data since 00:05:01" in text
    assert "availability" not in text and "50.00" not in text
    # Once the pipeline is back the figures are the monitoring's again.
    restore_monitoring(sim)
    sim.run_until(900)
    data = inspect(sim, "metrics", service="web")
    assert data["sli"]["availability"] < 0.99 and data["services"][0]["error_ratio"] > 0.4
