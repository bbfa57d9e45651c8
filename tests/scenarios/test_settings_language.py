"""The language of settings, internal traffic and the new fault fields: bounds and references are
checked at load time, with the file, the place and the fix."""

from __future__ import annotations

import pytest
import yaml

from scenarios.catalog import load_by_ref
from scenarios.loader import ScenarioError, load_scenario_text


def text_with(**changes) -> str:
    scenario, _ = load_by_ref("latent-bug-customer-config")
    data = yaml.safe_load(open("scenarios/library/latent-bug-customer-config.yaml", encoding="utf-8"))
    assert scenario.id == data["id"]
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split(".")
        for key in path:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value
    return yaml.safe_dump(data, sort_keys=False)


def problems(text: str) -> str:
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "s.yaml")
    return str(err.value)


def test_a_settings_value_out_of_bounds_is_named_where_it_is():
    fault = {"type": "config_change", "service": "edge", "revision": "r2", "sets": {"retries": 9}}
    out = problems(text_with(**{"faults.0": fault}))
    assert "faults[0].sets.retries" in out and "less than or equal to 5" in out


def test_an_unknown_setting_is_refused_with_the_valid_ones():
    fault = {"type": "config_change", "service": "edge", "revision": "r2", "sets": {"retry": 3}}
    out = problems(text_with(**{"faults.0": fault}))
    assert "unknown field 'retry'; did you mean 'retries'?" in out


def test_a_source_must_target_a_known_service():
    sources = [{"name": "nightly", "kind": "cron", "target": "nowhere", "rps": 5, "every": "1h", "lasts": "5m"}]
    out = problems(text_with(**{"traffic.sources": sources}))
    assert "traffic.sources[0].target: unknown service 'nowhere'" in out


def test_a_cron_run_longer_than_its_period_is_refused():
    sources = [{"name": "nightly", "kind": "cron", "target": "edge", "rps": 5, "every": "5m", "lasts": "10m"}]
    out = problems(text_with(**{"traffic.sources": sources}))
    assert "runs would overlap" in out


def test_flag_settings_must_name_a_known_service():
    flags = [{"name": "kill", "sets": [{"service": "nowhere", "sets": {"rate_limit": 10}}]}]
    out = problems(text_with(**{"topology.flags": flags}))
    assert "topology.flags[0].sets[0].service: unknown service 'nowhere'" in out


def test_settings_retries_count_against_the_calls_per_request_bound():
    scenario, _ = load_by_ref("latent-bug-customer-config")
    assert scenario.faults[0].type == "bad_config"
    services = [{"name": f"s{i}", "calls": {f"s{i + 1}": 20}} for i in range(3)] + [{"name": "s3"}]
    data = yaml.safe_load(text_with())
    data["topology"]["services"] += services
    load_scenario_text(yaml.safe_dump(data, sort_keys=False), "s.yaml")  # 8,420 calls: within the bound
    data["faults"].append({"type": "deploy", "service": "s0", "version": "v9", "sets": {"retries": 5}})
    out = problems(yaml.safe_dump(data, sort_keys=False))
    assert "dependency calls" in out
