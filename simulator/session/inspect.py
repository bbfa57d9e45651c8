"""The headless inspector: what the console would show at one moment, as JSON-ready data or text.

Scenario authors use it to check what trainees will see; tests use it to assert on telemetry. It reads
only the Simulation's public queries, plus profiles taken on the spot (the window ends at the moment
inspected; no simulated time passes and nothing is journalled).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from scenarios.durations import format_clock
from simulator.diagnostics.desk import DEFAULT_CPU_SECONDS, take
from simulator.diagnostics.profiles import ProfileError, _rounded
from simulator.diagnostics.text import render
from simulator.session.signals import service_signals, signal_lines
from simulator.session.simulation import Simulation
from simulator.world.state import RUNNING

SHOW = ("metrics", "logs", "traces", "changes", "alerts", "profile", "dump", "data")
"""What the inspector can show."""


class InspectError(ValueError):
    """A request the inspector cannot answer (unknown service or instance, nothing to profile)."""


def _plain(value: Any) -> Any:
    """Records as dicts, NaN as None, floats rounded: stable JSON."""
    if hasattr(value, "as_dict") and not isinstance(value, type):
        value = value.as_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _rounded(value)


def pick_instance(sim: Simulation, service: str | None, instance: str | None, running: bool = True) -> str:
    """The instance asked for, or the first (running) instance of the service."""
    if instance is not None:
        if sim.world.instance(instance) is None:
            names = ", ".join(i.id for i in sim.world.all_instances() if service is None or i.service == service)
            raise InspectError(f"--instance: no instance {instance!r} at this time; instances: {names}")
        return instance
    if service is None:
        raise InspectError("--show profile and --show dump need --service S or --instance I")
    candidates = sim.world.services[service].instances
    for inst in candidates:
        if not running or inst.state == RUNNING:
            return inst.id
    raise InspectError(f"--service {service}: no running instance at this time; pass --instance")


def collect(
    sim: Simulation,
    show: str,
    service: str | None = None,
    instance: str | None = None,
    limit: int = 20,
    seconds: float = DEFAULT_CPU_SECONDS,
) -> dict[str, Any]:
    """What the console would show now: the views' own records (see :func:`inspect` for JSON)."""
    if show not in SHOW:
        raise InspectError(f"--show: unknown view {show!r}; choose one of {', '.join(SHOW)}")
    if service is not None and service not in sim.world.services:
        raise InspectError(f"--service: no service {service!r}; services: {', '.join(sim.service_names())}")
    head: dict[str, Any] = {"scenario": sim.scenario.id, "seed": sim.seed, "at_s": round(sim.now, 3), "show": show}
    tools = sim.tool_status()
    if tools:  # the scenario's tools share fate with its services: say which are down, and since when
        head["tools"] = tools
    if show == "metrics":
        services = [v for v in sim.services() if service is None or v.name == service]
        instances = sim.instances(service) if service or instance else []
        if instance is not None:
            instances = [i for i in sim.instances() if i.id == instance]
            if not instances:
                pick_instance(sim, service, instance)
        body: dict[str, Any] = {"sli": sim.sli_status(), "services": services, "instances": instances}
        body["signals"] = [service_signals(sim, v.name) for v in services]
        if "no_data_since" in body["sli"]:
            body = _as_monitoring_shows(body)
    elif show == "logs":
        body = {"logs": sim.logs(service=service, instance=instance, limit=limit)}
    elif show == "traces":
        body = {"traces": sim.traces(service=service, limit=limit)}
    elif show == "changes":
        body = {"changes": [c for c in sim.change_log() if service is None or c.service in (service, "")]}
    elif show == "alerts":
        body = {"alerts": [a for a in sim.alert_list() if service is None or a.service == service]}
    elif show == "data":
        body = sim.data_status()
    else:
        body = _profiles(sim, show, service, instance, seconds)
    return head | body


_SERVICE_METRICS = ("rate", "error_ratio", "p50_ms", "p95_ms", "p99_ms", "cpu", "memory_ratio", "pool_ratio")
"""ServiceView fields that come from the metrics pipeline (the rest is the orchestrator's and the config's)."""
_INSTANCE_METRICS = ("memory_mb", "cpu", "rate", "error_ratio", "pool_ratio")
_SIGNAL_METRICS = ("retry_rate", "gc_ratio", "hit_ratio", "connections")


def _as_monitoring_shows(body: dict[str, Any]) -> dict[str, Any]:
    """The metrics view while the metrics pipeline is down: what the monitoring has (no data since when),
    not the engine's truth. Replica counts, states and restarts come from the orchestrator and stay."""
    sli = body["sli"]
    blank = math.nan
    return {
        "sli": {k: sli[k] for k in ("service", "objective", "no_data_since")},
        "services": [dataclasses.replace(v, **dict.fromkeys(_SERVICE_METRICS, blank)) for v in body["services"]],
        "instances": [dataclasses.replace(i, **dict.fromkeys(_INSTANCE_METRICS, blank)) for i in body["instances"]],
        "signals": [sg | dict.fromkeys(_SIGNAL_METRICS) for sg in body["signals"]],
    }


def inspect(sim: Simulation, show: str, **options: Any) -> dict[str, Any]:
    """What the console would show now, as JSON-ready data (stable for a scenario, seed and time)."""
    return _plain(collect(sim, show, **options))


def _profiles(sim: Simulation, show: str, service: str | None, instance: str | None, seconds: float) -> dict:
    target = pick_instance(sim, service, instance, running=show == "profile")
    out: dict[str, Any] = {"instance": target}
    kinds = ("cpu", "heap") if show == "profile" else ("threads", "crash")
    for kind in kinds:
        if kind == "crash" and not sim.world.instance(target).last_exit:
            out[kind] = None
            continue
        try:
            out[kind] = take(sim, kind, target, seconds)
        except ProfileError as err:
            out[kind] = {"error": str(err)}
    return out


def _down_since(tool: Any) -> float | None:
    return tool["down_since"] if isinstance(tool, dict) else tool.down_since


def _tool_line(tool: Any) -> str:
    """One down tool, as the console's banner says it."""
    t = tool if isinstance(tool, dict) else dataclasses.asdict(tool)
    what = {"metrics": "no data", "logging": "no new log lines", "alerting": "no alert evaluated"}.get(
        t["tool"], "not working"
    )
    why = f"its rules read the metrics on {t['service']}, down" if t.get("via") else f"{t['service']} is down"
    return f"! {t['tool']}: {what} since {format_clock(t['down_since'])} ({why})"


def inspect_text(data: dict[str, Any], width: int = 110) -> list[str]:
    """What :func:`collect` returned, as lines a person reads."""
    show = data["show"]
    out = [f"{data['scenario']} seed {data['seed']} at {format_clock(data['at_s'])}: {show}", ""]
    out += [_tool_line(t) for t in data.get("tools", ()) if _down_since(t) is not None]
    if show == "metrics":
        out += _metrics_text(data)
    elif show == "logs":
        out += [f"{format_clock(r.t)} {r.level:5} {r.service:14} {r.instance:30} {r.message}" for r in data["logs"]]
    elif show == "traces":
        out += [
            f"{format_clock(t.t)} {t.trace_id} {t.name:28} {t.duration_ms:8.0f}ms {t.status}"
            + "".join(f"  culprit {sp.service}" for sp in t.spans if sp.culprit)
            for t in data["traces"]
        ]
    elif show == "changes":
        out += [f"{format_clock(c.t)} {c.kind:7} {c.summary} ({c.by})" for c in data["changes"]]
    elif show == "alerts":
        out += [f"{a.state:9} {a.severity:6} {a.name}  {a.summary}" for a in data["alerts"]]
    elif show == "data":
        out += data_text(data)
    else:
        for kind in ("cpu", "heap") if show == "profile" else ("threads", "crash"):
            result = data[kind]
            if result is None:
                out += [f"{data['instance']}: no crash recorded since it started", ""]
            elif isinstance(result, dict):
                out += [f"{kind}: {result['error']}", ""]
            else:
                out += [*render(result, width), ""]
    return out


def _num(value: float, spec: str, width: int) -> str:
    """A figure, or '-' right-aligned in its column when the monitoring has none."""
    return "-".rjust(width) if value is None or math.isnan(value) else format(value, spec)


def _metrics_text(data: dict[str, Any]) -> list[str]:
    sli = data["sli"]
    out = []
    if "no_data_since" in sli:
        since = format_clock(sli["no_data_since"])
        out.append(f"SLI {sli['service']}: no data since {since} (objective {sli['objective']:.4%})")
    else:
        out.append(f"SLI {sli['service']}: availability {sli['availability']:.4%} (objective {sli['objective']:.4%})")
    out.append(f"{'service':18} {'rate':>9} {'err %':>7} {'p50':>8} {'p99':>8} {'ready':>7} {'cpu':>5} {'mem':>5}")
    for s in data["services"]:
        out.append(
            f"{s.name:18} {_num(s.rate, '9.1f', 9)} {_num(s.error_ratio * 100, '7.2f', 7)} "
            f"{_num(s.p50_ms, '8.1f', 8)} {_num(s.p99_ms, '8.1f', 8)} "
            f"{s.ready:>3}/{s.desired:<3} {_num(s.cpu, '5.0%', 5)} {_num(s.memory_ratio, '5.0%', 5)}"
        )
    out += ["", *signal_lines(data.get("signals", [])), ""]
    for i in data["instances"]:
        out.append(
            f"  {i.id:32} {i.zone:12} {i.version:10} {i.state:9} cpu {_num(i.cpu, '4.0%', 4)} "
            f"mem {_num(i.memory_mb, '6.0f', 6)}/{i.memory_limit_mb:.0f} MB restarts {i.restarts} {i.last_exit or ''}"
        )
    return out


def data_text(data: dict[str, Any]) -> list[str]:
    """The data view as lines: each database's hosts and backups, the data lost, then the traffic extras."""
    out = []
    for db in data.get("databases", []):
        far = f" ({db['primary_rtt_ms']:g} ms away)" if db.get("primary_rtt_ms") else ""
        out.append(f"{db['service']}: primary {db['primary'] or 'NONE'}{far}")
        for h in db["hosts"]:
            lag = f" lag {h['lag_s']:g}s" if h["lag_s"] is not None else ""
            busy = f" ({h['busy_for_s']}s left)" if h["busy_for_s"] is not None else ""
            only = f", {h['only_here']:,} writes only here" if h.get("only_here") else ""
            out.append(f"  {h['host']:20} {h['zone']:14} {h['role']}{lag}{busy}{only}")
        if db.get("reconciled_records"):
            out.append(f"  reconciled: {db['reconciled_records']:,} writes replayed onto the primary")
        for b in db["backups"]:
            out.append(
                f"  backup {b['name']}: taken {format_clock(b['taken_s'])}, restore ~{b['restore_minutes']} min, "
                f"last restore: {b['last_restore']}"
            )
    if data.get("databases"):
        out.append(f"data lost: {data['data_lost_records']:,} writes, recovery point {data['data_lost_s']:g}s")
    for c in data.get("classes", []):
        out.append(
            f"class {c['class']:14} priority {c['priority']} rate {c['rate']:,.1f} err {c['error_ratio']:.2%}"
            + (f" shed {c['shed_pct']:g}%" if c["shed_pct"] else "")
            + (" deferrable" if c["deferrable"] else "")
        )
    for r in data.get("reconnects", []):
        out.append(f"reconnect {r['service']}: {r['clients_away']:.1%} of clients away, wave {r['wave_rps']:,.1f} rps")
    for name in data.get("withdrawn", []):
        out.append(f"{name}: anycast routes withdrawn, unreachable from outside")
    for d in data.get("dns", []):
        out.append(f"dns {d['service']} via {d['resolver']}: {d['names_expired']:.1%} of names expired")
    for b in data.get("buffers", []):
        out.append(f"buffer {b['from']} -> {b['to']}: {b['messages']:,} messages")
    return out or ["no databases with data and no traffic classes, reconnects, resolvers or buffers"]
