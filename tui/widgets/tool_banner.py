"""An honest line at the top of a panel when the tool behind it is down (observability shares fate):
"no data since 00:14:05". Hidden while every tool it watches works."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from scenarios.durations import format_clock
from scenarios.text import clean
from tui.port import SessionPort
from tui.widgets.common import show

WORDING = {
    "metrics": "dashboards: no data since {since} (metrics datasource on {service} unreachable)",
    "alerting": "alerting: rules not evaluated since {since} ({service} unreachable): no alert is not all clear",
    "logging": "logs: no new lines since {since} (log pipeline on {service} unreachable)",
    "status_page": "status page: unreachable since {since} (runs on {service}); updates will not publish",
    "pager": "pager: notifications failing since {since} (relay on {service} unreachable)",
}
"""What each tool's banner says while it is down."""
VIA_METRICS = (
    "alerting: no data since {since} (rules read the metrics datasource on {service}, unreachable): "
    "no alert is not all clear"
)
"""The alerting banner while the metrics its rules read are down."""


def tool_lines(session: SessionPort, tools: tuple[str, ...]) -> list[str]:
    """One line per watched tool that is down now."""
    return [
        (VIA_METRICS if t.via == "metrics" else WORDING[t.tool]).format(
            since=format_clock(t.down_since), service=clean(t.service)
        )
        for t in session.tool_status()
        if t.tool in tools and t.down_since is not None
    ]


class ToolBanner(Static):
    """Warns, in the panel it sits in, that the tools behind the panel are down."""

    def __init__(self, tools: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False, classes="tool-banner")
        self.tools = tools
        self.display = False

    def show(self, session: SessionPort) -> None:
        """Redraw from ``session``."""
        lines = tool_lines(session, self.tools)
        self.display = bool(lines)
        if lines:
            show(self, Content.styled("\n".join(f"⚠ {line}" for line in lines), "$text-warning bold"))
