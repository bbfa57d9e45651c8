"""Tiny deterministic scenarios built in code for engine tests.

Imports go to submodules: pytest puts tests/ on sys.path, where tests/scenarios and tests/simulator
shadow the real packages as namespace packages, so ``from scenarios import X`` does not work here.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from scenarios.language.scenario import Scenario
from scenarios.loader import load_scenario_text
from simulator.session.simulation import Simulation

# A harmless fault: no instance ever runs this version (a scenario needs at least one fault).
NO_FAULT = {"type": "memory_leak", "at": "0s", "service": "web", "version": "never-deployed"}


def base_spec() -> dict[str, Any]:
    """One service in three zones with flat, noiseless traffic: figures are computable by hand."""
    return {
        "id": "tiny",
        "title": "Tiny",
        "difficulty": 1,
        "briefing": "A tiny system for engine tests.",
        "duration": "1h",
        "slo": {"service": "web", "availability": 99.0},
        "topology": {
            "zones": ["zone-a", "zone-b", "zone-c"],
            "services": [
                {
                    "name": "web",
                    "replicas": 3,
                    "version": "v1",
                    "capacity_rps": 200,
                    "latency_ms": 20,
                    "error_rate": 0.0,
                    "startup": "10s",
                }
            ],
        },
        "traffic": {"base_rps": 300, "diurnal": False, "noise": 0.0},
        "history": [{"at": "-1h", "deploy": {"service": "web", "from": "v0", "to": "v1"}}],
        "faults": [NO_FAULT],
        "alerting": {"slo_burn_alerts": False, "rules": []},
        "resolution": {"healthy_for": "2m"},
        "root_cause": {"service": "web", "category": "test"},
        "solution": [{"at": "1m", "action": "resolve"}],
    }


def build(spec: dict[str, Any]) -> Scenario:
    """Validate a scenario dict through the real YAML loader."""
    return load_scenario_text(yaml.safe_dump(spec, sort_keys=False), "test.yaml")


def tiny(**top: Any) -> dict[str, Any]:
    """``base_spec()`` with top-level keys replaced."""
    spec = copy.deepcopy(base_spec())
    spec.update(top)
    return spec


def chain_spec(**web: Any) -> dict[str, Any]:
    """web -> api -> db, one replica set each, flat traffic."""
    spec = base_spec()
    web_svc = {**spec["topology"]["services"][0], "calls": {"api": 1.0}, **web}
    spec["topology"]["services"] = [
        web_svc,
        {
            "name": "api",
            "replicas": 3,
            "version": "a1",
            "capacity_rps": 400,
            "latency_ms": 15,
            "error_rate": 0.0,
            "calls": {"db": 1.0},
        },
        {
            "name": "db",
            "kind": "database",
            "replicas": 3,
            "version": "15.4",
            "capacity_rps": 3000,
            "latency_ms": 3,
            "error_rate": 0.0,
        },
    ]
    return spec


def sim_of(spec: dict[str, Any], seed: int = 0, **kw: Any) -> Simulation:
    """A Simulation of a scenario dict."""
    return Simulation(build(spec), seed=seed, **kw)


def load_oom() -> Scenario:
    """The shipped checkout-oom-leak scenario, through the catalog."""
    from scenarios.catalog import load_by_ref

    scenario, _ = load_by_ref("checkout-oom-leak")
    return scenario


GOLDEN_BASELINES: dict = {}
"""The nobody-acting answers the golden tests share (simulator.session.impact.shared_baselines): a
scenario's report and postmortem goldens score four sessions against one baseline per seed, replayed once
per process instead of four times (CI time)."""
