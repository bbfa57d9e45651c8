"""Cross-checks of messages' conditions and claims: the actions, alerts and flags they name exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scenarios.language.actions import ACTION_NAMES
from scenarios.language.messages import MessageCondition, slo_alert_names

Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def alert_names(sc: Any) -> list[str]:
    """Every alert a scenario can fire: the SLO's, its rules and its noise alerts."""
    names = slo_alert_names(sc.slo.service, sc.slo.latency_p99_ms is not None) if sc.alerting.slo_burn_alerts else []
    names += [r.name for r in sc.alerting.rules]
    return names + [n.alert.name for n in sc.noise if n.alert]


def message_problems(sc: Any, refs: Any) -> Iterator[Problem]:
    """Problems of every message's ``when``, ``unless`` and ``claims``."""
    alerts = alert_names(sc)
    for i, msg in enumerate(sc.messages):
        for part in ("when", "unless"):
            cond = getattr(msg, part)
            if cond is not None:
                yield from _condition(("messages", i, part), cond, alerts, refs)
        for n, claim in enumerate(msg.claims):
            yield from _alert(("messages", i, "claims", n, "alert"), claim.alert, alerts)
            yield from refs.when(("messages", i, "claims", n, "until"), claim.until)


def _condition(at: Path, cond: MessageCondition, alerts: list[str], refs: Any) -> Iterator[Problem]:
    if cond.action is not None and cond.action not in ACTION_NAMES:
        yield (*at, "action"), f"unknown action {cond.action!r}; known: {', '.join(ACTION_NAMES)}"
    if cond.alert_firing is not None:
        yield from _alert((*at, "alert_firing"), cond.alert_firing, alerts)
    yield from refs.flag((*at, "flag"), cond.flag)


def _alert(where: Path, name: str, alerts: list[str]) -> Iterator[Problem]:
    if name not in alerts:
        yield where, f"unknown alert {name!r}; alerts of this scenario: {', '.join(alerts) or 'none'}"
