"""Grafana provisioning for a session: a Prometheus datasource and the in-app dashboards as JSON.

Two dashboards over the families of simulator.exports.metrics, laid out like the console's
dashboards panel: **RED per service** (rate, errors, p50/p95/p99, then the same split by zone and by
version, and the SLO), **USE per instance** (CPU, memory against the limit, restarts, health) with the
service's saturation signals (pool, disk, cache, connections, replicas). Change annotations (deploys,
config pushes, flags, scaling, drains) come from ``misfortune_changes_total`` on every graph.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

DATASOURCE_UID = "misfortune-prometheus"
"""The provisioned datasource's uid; every panel names it."""
DEFAULT_PROMETHEUS = "http://127.0.0.1:9090"

_DS = {"type": "prometheus", "uid": DATASOURCE_UID}
SVC = 'service="$service"'


def datasource_yaml(prometheus_url: str = DEFAULT_PROMETHEUS) -> str:
    """``provisioning/datasources/misfortune.yaml``."""
    return yaml.safe_dump(
        {
            "apiVersion": 1,
            "datasources": [
                {
                    "name": "Prometheus (misfortune)",
                    "type": "prometheus",
                    "uid": DATASOURCE_UID,
                    "access": "proxy",
                    "url": prometheus_url,
                    "isDefault": True,
                    "jsonData": {"timeInterval": "15s"},
                }
            ],
        },
        sort_keys=False,
    )


def dashboards_yaml(dashboards_path: str) -> str:
    """``provisioning/dashboards/misfortune.yaml``: load the dashboards from ``dashboards_path``."""
    return yaml.safe_dump(
        {
            "apiVersion": 1,
            "providers": [
                {
                    "name": "misfortune",
                    "type": "file",
                    "folder": "misfortune",
                    "disableDeletion": False,
                    "options": {"path": dashboards_path},
                }
            ],
        },
        sort_keys=False,
    )


def _target(expr: str, legend: str, ref: str) -> dict[str, Any]:
    return {"datasource": _DS, "expr": expr, "legendFormat": legend, "refId": ref, "range": True}


class _Layout:
    """Places panels on Grafana's 24-column grid, row by row."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.x = 0
        self.y = 0

    def row(self, title: str, repeat: str | None = None) -> None:
        self._newline()
        panel: dict[str, Any] = {
            "type": "row",
            "title": title,
            "id": len(self.panels) + 1,
            "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            "panels": [],
        }
        if repeat:
            panel["repeat"] = repeat
        self.panels.append(panel)
        self.y += 1

    def graph(self, title: str, unit: str, targets: list[tuple[str, str]], width: int = 8, **extra: Any) -> None:
        if self.x + width > 24:
            self._newline()
        refs = "ABCDEFGH"
        panel = {
            "type": "timeseries",
            "title": title,
            "id": len(self.panels) + 1,
            "datasource": _DS,
            "gridPos": {"h": 8, "w": width, "x": self.x, "y": self.y},
            "fieldConfig": {"defaults": {"unit": unit, **extra}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
            "targets": [_target(expr, legend, refs[i]) for i, (expr, legend) in enumerate(targets)],
        }
        self.panels.append(panel)
        self.x += width

    def _newline(self) -> None:
        if self.x:
            self.x = 0
            self.y += 8


def _variable(name: str, query: str, label: str, multi: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": _DS,
        "query": {"query": query, "refId": f"{name}-var"},
        "definition": query,
        "refresh": 2,
        "includeAll": multi,
        "multi": multi,
        "sort": 1,
    }


def _annotations() -> dict[str, Any]:
    return {
        "list": [
            {
                "name": "Changes",
                "datasource": _DS,
                "enable": True,
                "iconColor": "orange",
                "expr": "changes(misfortune_changes_total[1m]) > 0",
                "step": "15s",
                "titleFormat": "{{kind}}",
                "textFormat": "{{kind}} {{service}}",
                "tagKeys": "kind,service",
                "useValueForTime": False,
            }
        ]
    }


def _dashboard(uid: str, title: str, panels: list, variables: list, window: tuple[float, float] | None) -> dict:
    time_range = {"from": "now-30m", "to": "now"}
    if window is not None:
        time_range = {"from": str(int(window[0] * 1000)), "to": str(int(window[1] * 1000))}
    return {
        "uid": uid,
        "title": title,
        "tags": ["misfortune"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "5s" if window is None else "",
        "time": time_range,
        "timezone": "utc",
        "annotations": _annotations(),
        "templating": {"list": variables},
        "panels": panels,
    }


def red_dashboard(
    scenario_id: str, slo_service: str, slo_availability: float, window: tuple[float, float] | None = None
) -> dict[str, Any]:
    """RED per service (rate, errors, duration), splits by zone and version, and the SLO."""
    lay = _Layout()
    req = f"http_requests_total{{{SVC}}}"
    err = f'http_requests_total{{{SVC},code="5xx"}}'
    lay.row("$service", repeat="service")
    lay.graph("Request rate", "reqps", [(f"sum(rate({req}[$__rate_interval]))", "requests/s")])
    lay.graph(
        "Error ratio (5xx)",
        "percentunit",
        [(f"sum(rate({err}[$__rate_interval])) / sum(rate({req}[$__rate_interval]))", "5xx share")],
    )
    lay.graph(
        "Latency",
        "s",
        [(f'http_request_duration_seconds{{{SVC},quantile="{q}"}}', f"p{label}") for q, label in _QUANTILES],
    )
    for dimension in ("zone", "version"):
        lay.graph(
            f"Request rate by {dimension}",
            "reqps",
            [(f"sum by ({dimension}) (rate({req}[$__rate_interval]))", f"{{{{{dimension}}}}}")],
        )
        lay.graph(
            f"Error ratio by {dimension}",
            "percentunit",
            [
                (
                    f"sum by ({dimension}) (rate({err}[$__rate_interval])) / "
                    f"sum by ({dimension}) (rate({req}[$__rate_interval]))",
                    f"{{{{{dimension}}}}}",
                )
            ],
        )
        lay.graph(
            f"Instances by {dimension}" if dimension == "zone" else "Instances by version",
            "short",
            [
                (
                    f"count by ({dimension}) (up{{{SVC}}} == 1)"
                    if dimension == "zone"
                    else f"sum by (version) (service_version_info{{{SVC}}})",
                    f"{{{{{dimension}}}}}",
                )
            ],
        )
    budget = 1.0 - slo_availability / 100.0
    lay.row(f"SLO: {slo_service} {slo_availability:g}% available")
    lay.graph(
        "SLI availability (in-app window)",
        "percentunit",
        [(f'slo_sli_availability_ratio{{service="{slo_service}"}}', "{{service}}")],
        width=12,
    )
    lay.graph(
        "Error budget burn rate (5m / 1h)",
        "short",
        [
            (_burn(slo_service, budget, "5m"), "5m burn rate"),
            (_burn(slo_service, budget, "1h"), "1h burn rate"),
        ],
        width=12,
    )
    variables = [_variable("service", "label_values(http_requests_total, service)", "Service", multi=True)]
    return _dashboard(
        f"misfortune-red-{scenario_id}"[:40], f"{scenario_id}: services (RED)", lay.panels, variables, window
    )


_QUANTILES = (("0.5", "50"), ("0.95", "95"), ("0.99", "99"))


def _burn(service: str, budget: float, window: str) -> str:
    """Error ratio of the SLO service over ``window`` divided by its error budget (1 = spending it exactly)."""
    sel = f'service="{service}"'
    errors = f'sum(increase(http_requests_total{{{sel},code="5xx"}}[{window}]))'
    total = f"sum(increase(http_requests_total{{{sel}}}[{window}]))"
    return f"({errors} / {total}) / {budget:.6g}"


def use_dashboard(scenario_id: str, window: tuple[float, float] | None = None) -> dict[str, Any]:
    """USE per instance (utilisation, saturation, errors) and the service's saturation signals."""
    lay = _Layout()
    inst = f"{SVC}"
    lay.row("$service instances", repeat="service")
    lay.graph(
        "CPU utilisation per instance",
        "percentunit",
        [(f"rate(process_cpu_seconds_total{{{inst}}}[$__rate_interval])", "{{instance}} ({{zone}}, {{version}})")],
    )
    lay.graph(
        "Memory against the limit per instance",
        "percentunit",
        [
            (
                f"process_resident_memory_bytes{{{inst}}} / on (instance) container_spec_memory_limit_bytes{{{inst}}}",
                "{{instance}}",
            )
        ],
        max=1,
    )
    lay.graph(
        "Restarts per instance (OOM kills, crashes)",
        "short",
        [(f"increase(kube_pod_container_status_restarts_total{{{inst}}}[5m])", "{{instance}}")],
    )
    lay.graph("Health (up) per instance", "short", [(f"up{{{inst}}}", "{{instance}}")])
    lay.graph(
        "Replicas: available / desired",
        "short",
        [
            (f"kube_deployment_status_replicas_available{{{SVC}}}", "available"),
            (f"kube_deployment_spec_replicas{{{SVC}}}", "desired"),
        ],
    )
    lay.graph(
        "Connection pool in use",
        "percentunit",
        [(f"db_client_connection_pool_utilization_ratio{{{SVC}}}", "pool")],
        max=1,
    )
    lay.graph(
        "Retries to dependencies",
        "reqps",
        [(f"sum(rate(http_client_retries_total{{{SVC}}}[$__rate_interval]))", "retries/s")],
    )
    lay.graph(
        "Disk, cache hit ratio",
        "percentunit",
        [(f"filesystem_usage_ratio{{{SVC}}}", "disk used"), (f"cache_hit_ratio{{{SVC}}}", "cache hits")],
    )
    lay.graph(
        "Database connections, certificate days left",
        "short",
        [
            (f"pg_stat_activity_count{{{SVC}}}", "connections"),
            (f"ssl_certificate_expiry_seconds{{{SVC}}} / 86400", "certificate days left"),
        ],
    )
    variables = [_variable("service", "label_values(up, service)", "Service", multi=True)]
    return _dashboard(
        f"misfortune-use-{scenario_id}"[:40], f"{scenario_id}: instances (USE)", lay.panels, variables, window
    )


def dashboards(
    scenario_id: str, slo_service: str, slo_availability: float, window: tuple[float, float] | None = None
) -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON (``window``: wall-clock start and end in seconds; None follows the clock)."""
    return {
        f"{scenario_id}-red.json": red_dashboard(scenario_id, slo_service, slo_availability, window),
        f"{scenario_id}-use.json": use_dashboard(scenario_id, window),
    }


def dump(dashboard: dict[str, Any]) -> str:
    """A dashboard as the JSON Grafana provisions."""
    return json.dumps(dashboard, indent=2) + "\n"
