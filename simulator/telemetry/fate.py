"""Observability that shares fate: the team's tools go down with the services they run on.

Each tick ``observe`` asks whether each tool's service is down (``world.recovery.service_down``). While
the metrics pipeline is down, dashboards get no new points (the series the views read are blanked for
those times; the points are never filled in); while alerting is down no rule is evaluated, and alert
rules read the metrics, so they stop with the metrics pipeline too unless the scenario gives them an
independent path; while the log pipeline is down new lines are lost; while the status page is down
status updates fail; while the pager is down pages wait and are sent when it is back. Every outage is
kept as a gap, so the console can say "no data since 00:14" and the debrief when each tool was blind.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scenarios.language.observability import TOOLS, Observability
from simulator.telemetry.series import Series
from simulator.views import ToolStatus
from simulator.world.events import Timeline
from simulator.world.recovery import service_down
from simulator.world.state import World

_WHAT = {
    "metrics": "the metrics pipeline stopped: dashboards get no new data",
    "alerting": "alert evaluation stopped: no alert fires or resolves",
    "logging": "the log pipeline stopped: new log lines are lost",
    "status_page": "the status page is unreachable: status updates fail",
    "pager": "the pager relay is down: pages are held",
}
"""What the timeline says when a tool goes down."""


def mask_series(series: Series, gaps) -> Series:
    """``series`` with no points inside ``gaps`` ((start, end or None) pairs): what a blind pipeline kept."""
    if not gaps:
        return series

    def blind(t: float) -> bool:
        return any(start <= t and (end is None or t < end) for start, end in gaps)

    values = tuple(math.nan if blind(t) else v for t, v in zip(series.times, series.values, strict=True))
    return Series(series.name, series.times, values)


class ToolFate:
    """Which of the team's tools are down now, and since when; their past outages as gaps."""

    def __init__(self, world: World, observability: Observability | None, timeline: Timeline) -> None:
        self.world = world
        self.timeline = timeline
        self.tools: list[tuple[str, str]] = observability.tools() if observability is not None else []
        self.down_above = observability.down_above if observability is not None else 0.5
        self.gaps: dict[str, list[list[float | None]]] = {tool: [] for tool, _ in self.tools}
        self.own: dict[str, str | None] = (
            {t: getattr(observability, t) for t, _ in self.tools} if observability is not None else {}
        )
        """The service each tool itself runs on (None: alerting, which fails only with the metrics)."""
        self.feeds: dict[str, str] = (
            {"alerting": "metrics"} if observability is not None and observability.alerts_read_metrics() else {}
        )
        """tool -> the tool it reads its data from: alert rules go blind with the metrics pipeline."""
        self.via: dict[str, str | None] = {}
        """The tool whose outage blinds a tool now (None: its own service is down)."""
        self.on_back: dict[str, Callable[[float], None]] = {}
        """Called with the time a tool comes back (the pager sends the pages it held)."""

    def observe(self, t: float) -> None:
        """Judge every tool's service at ``t``; open or close its gap."""
        for tool, service in self.tools:  # in TOOLS order: metrics before the alerting that reads it
            own = self.own.get(tool)
            down = own is not None and service_down(self.world.services[own], self.down_above)
            source = self.feeds.get(tool)
            via = source if not down and source is not None and self.down(source) else None
            if via is not None:
                down, service = True, dict(self.tools)[via]
            elif own is not None:
                service = own
            gaps = self.gaps[tool]
            open_gap = bool(gaps) and gaps[-1][1] is None
            if down and not open_gap:
                gaps.append([t, None])
                self.via[tool] = via
                why = f"its rules read the {via} pipeline on {service}, which is down" if via else f"{service} is down"
                self.timeline(t, "system", f"{_WHAT[tool]} ({why})")
            elif not down and open_gap:
                gaps[-1][1] = t
                cause = self.via.get(tool)
                back_on = dict(self.tools)[cause] if cause is not None else service
                self.timeline(t, "system", f"{tool.replace('_', ' ')} works again ({back_on} is back)")
                back = self.on_back.get(tool)
                if back is not None:
                    back(t)

    def down(self, tool: str) -> bool:
        """Whether the tool is down now."""
        gaps = self.gaps.get(tool)
        return bool(gaps) and gaps[-1][1] is None

    def down_since(self, tool: str) -> float | None:
        """When the tool's present outage began (None: it works)."""
        return self.gaps[tool][-1][0] if self.down(tool) else None

    def blind_at(self, tool: str, t: float) -> bool:
        """Whether the tool was down at ``t``."""
        for start, end in self.gaps.get(tool, ()):
            if start <= t and (end is None or t < end):
                return True
        return False

    def mask(self, series: Series) -> Series:
        """The series as dashboards saw it: no points while the metrics pipeline was down."""
        return mask_series(series, [(g[0], g[1]) for g in self.gaps.get("metrics", ())])

    def statuses(self) -> list[ToolStatus]:
        """Every tool that runs on a service of the system, in the console's order."""
        order = {tool: i for i, tool in enumerate(TOOLS)}
        out = []
        for tool, service in sorted(self.tools, key=lambda p: order[p[0]]):
            via = self.via.get(tool) if self.down(tool) else None
            shown = dict(self.tools)[via] if via is not None else (self.own.get(tool) or service)
            gaps = tuple((g[0], g[1]) for g in self.gaps[tool])
            out.append(ToolStatus(tool, shown, self.down_since(tool), gaps, via))
        return out
