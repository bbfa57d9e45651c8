"""What the dashboards show of a session's data and traffic extras: one line per database (primary,
each host's role and lag, backups) and per mechanism (classes, reconnect waves, names, buffers).

Pure text from :meth:`SessionPort.data_status`; the dashboards panel styles it. Empty for scenarios
that use none of them, so their dashboards do not change.
"""

from __future__ import annotations

from typing import Any

from scenarios.durations import format_duration


def data_lines(status: dict[str, Any], metrics_live: bool = True) -> list[str]:
    """Lines for the dashboards, most important first. While the metrics pipeline is down
    (``metrics_live`` false) only the databases' own tools are shown: classes, waves, names and buffers
    are figures from that pipeline."""
    lines = [_database(db) for db in status.get("databases", [])]
    if not metrics_live:
        return lines
    classes = status.get("classes", [])
    if classes:
        lines.append("classes: " + "  ".join(_traffic_class(c) for c in classes))
    for r in status.get("reconnects", []):
        if r["wave_rps"] > 0.5:
            lines.append(
                f"{r['service']}: reconnect wave {r['wave_rps']:,.0f} rps, {r['clients_away']:.0%} of clients away"
            )
    for name in status.get("withdrawn", []):
        lines.append(f"{name}: anycast routes withdrawn, unreachable from outside")
    for d in status.get("dns", []):
        if d["names_expired"] >= 0.01:
            lines.append(f"{d['service']}: {d['names_expired']:.0%} of names unresolved (resolver {d['resolver']})")
    for b in status.get("buffers", []):
        if b["messages"]:
            lines.append(f"{b['from']} -> {b['to']}: {b['messages']:,} messages buffered")
    return lines


def _database(db: dict[str, Any]) -> str:
    hosts = []
    for h in db["hosts"]:
        text = f"{h['host']} {h['role']}"
        if h["lag_s"] is not None:
            text += f" lag {h['lag_s']:g}s"
        if h["busy_for_s"] is not None:
            text += f" ({format_duration(h['busy_for_s'])} left)"
        if h.get("only_here"):
            text += f", {h['only_here']:,} writes only here"
        hosts.append(text)
    backups = ", ".join(
        f"{b['name']} (taken {format_duration(-b['taken_s'])} before start, restore ~{b['restore_minutes']} min, "
        f"{b['last_restore']})"
        for b in db["backups"]
    )
    line = f"{db['service']}: primary {db['primary'] or 'NONE'}"
    if db.get("primary_rtt_ms"):
        line += f" ({db['primary_rtt_ms']:g} ms away)"
    line += " | " + " | ".join(hosts)
    if db.get("reconciled_records"):
        line += f" | reconciled {db['reconciled_records']:,} writes"
    if backups:
        line += f" | backups: {backups}"
    return line


def _traffic_class(c: dict[str, Any]) -> str:
    shed = f" shed {c['shed_pct']:g}%" if c["shed_pct"] else ""
    return f"{c['class']} p{c['priority']} {c['rate']:,.0f} rps {c['error_ratio']:.1%} err{shed}"
