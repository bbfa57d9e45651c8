"""A scenario's alert rules as a Prometheus rule file over the exported metric names.

The in-app rules (simulator.telemetry.alerts) average a metric over ``window`` and compare it with the
threshold every 15 s, pending for ``for:`` before firing; the burn-rate rules are derived from the SLO.
Each becomes the PromQL that asks the same question of the families in simulator.exports.metrics.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from scenarios.language.incident import AlertRule
from scenarios.language.scenario import Scenario

EVAL_INTERVAL = "15s"
"""The rule group's interval: the engine evaluates its rules every 15 simulated seconds."""

GAUGES = {
    "cpu": ("service_cpu_utilization_ratio", 1.0),
    "memory_ratio": ("service_memory_utilization_ratio", 1.0),
    "pool_ratio": ("db_client_connection_pool_utilization_ratio", 1.0),
    "disk_ratio": ("filesystem_usage_ratio", 1.0),
    "hit_ratio": ("cache_hit_ratio", 1.0),
    "probe_success": ("probe_success", 1.0),
    "cert_days": ("ssl_certificate_expiry_seconds", 1.0 / 86400.0),
    "connections": ("pg_stat_activity_count", 1.0),
    "p99_ms": ("http_request_duration_seconds", 1000.0),
    "p50_ms": ("http_request_duration_seconds", 1000.0),
}
"""In-app metric -> (exported gauge, factor back to the in-app unit)."""
QUANTILES = {"p99_ms": "0.99", "p50_ms": "0.5"}


def _duration(seconds: float) -> str:
    return f"{max(int(round(seconds)), 1)}s" if seconds > 0 else "0s"


def _selector(service: str, **extra: str) -> str:
    pairs = {"service": service, **extra}
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def error_ratio_expr(service: str, window: str) -> str:
    """PromQL: the service's share of failed requests over ``window``."""
    errors = f"sum(rate(http_requests_total{_selector(service, code='5xx')}[{window}]))"
    total = f"sum(rate(http_requests_total{_selector(service)}[{window}]))"
    return f"{errors} / {total}"


def metric_expr(scenario: Scenario, rule: AlertRule) -> str:
    """PromQL for the in-app metric of ``rule`` averaged over its window, in the in-app unit."""
    w = _duration(rule.window)
    s = rule.service
    if rule.metric == "error_ratio":
        return error_ratio_expr(s, w)
    if rule.metric == "rate":
        return f"sum(rate(http_requests_total{_selector(s)}[{w}]))"
    if rule.metric == "retry_rate":
        return f"sum(rate(http_client_retries_total{_selector(s)}[{w}]))"
    if rule.metric == "restarts":
        return f"increase(service_restarts_total{_selector(s)}[{w}])"
    if rule.metric == "ready_ratio":
        replicas = scenario.service(s).replicas
        return f"avg_over_time(kube_deployment_status_replicas_available{_selector(s)}[{w}]) / {replicas}"
    name, factor = GAUGES[rule.metric]
    extra = {"quantile": QUANTILES[rule.metric]} if rule.metric in QUANTILES else {}
    expr = f"avg_over_time({name}{_selector(s, **extra)}[{w}])"
    return expr if factor == 1.0 else f"{expr} * {factor:g}"


def alert_name(name: str, service: str) -> str:
    """A valid alert name: the scenario's name without a trailing service (that is a label) and spaces."""
    if name.endswith(" " + service):
        name = name[: -len(service) - 1]
    return re.sub(r"[^A-Za-z0-9_]", "_", name.strip()) or "Alert"


def rule_groups(scenario: Scenario) -> dict[str, Any]:
    """The rule file's content: one group with the SLO burn-rate rules and the scenario's rules."""
    rules: list[dict[str, Any]] = []
    slo = scenario.slo
    budget = 1.0 - slo.availability / 100.0
    if scenario.alerting.slo_burn_alerts:
        for alert, factor, short, long, for_s, severity in (
            ("SLOBurnRateFast", 14.4, "5m", "1h", 120.0, "page"),
            ("SLOBurnRateSlow", 6.0, "30m", "6h", 900.0, "ticket"),
        ):
            threshold = f"{factor * budget:.6g}"
            rules.append(
                {
                    "alert": alert,
                    "expr": f"({error_ratio_expr(slo.service, short)} > {threshold}) and "
                    f"({error_ratio_expr(slo.service, long)} > {threshold})",
                    "for": _duration(for_s),
                    "labels": {"severity": severity, "service": slo.service},
                    "annotations": {
                        "summary": f"{slo.service} is burning its error budget {factor:g}x too fast "
                        f"({short} and {long} windows)"
                    },
                }
            )
        if slo.latency_p99_ms:
            latency = GAUGES["p99_ms"][0]
            rules.append(
                {
                    "alert": "LatencySLO",
                    "expr": f"avg_over_time({latency}{_selector(slo.service, quantile='0.99')}[5m]) * 1000 "
                    f"> {slo.latency_p99_ms:g}",
                    "for": "5m",
                    "labels": {"severity": "page", "service": slo.service},
                    "annotations": {"summary": f"{slo.service} p99 latency above {slo.latency_p99_ms:g} ms"},
                }
            )
    for rule in scenario.alerting.rules:
        rules.append(
            {
                "alert": alert_name(rule.name, rule.service),
                "expr": f"{metric_expr(scenario, rule)} {rule.op} {rule.threshold:g}",
                "for": _duration(rule.for_),
                "labels": {"severity": rule.severity, "service": rule.service},
                "annotations": {
                    "summary": rule.summary or f"{rule.service} {rule.metric} {rule.op} {rule.threshold:g}"
                },
            }
        )
    return {"groups": [{"name": f"misfortune-{scenario.id}", "interval": EVAL_INTERVAL, "rules": rules}]}


def rule_file(scenario: Scenario) -> str:
    """The rule file as YAML (``promtool check rules`` accepts it)."""
    return yaml.safe_dump(rule_groups(scenario), sort_keys=False, width=1000)
