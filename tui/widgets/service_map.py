"""Service map: every service in every zone at a glance (ready/total, error ratio), coloured by health."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Label

from tui.widgets.common import Panel, fmt_pct, set_rows
from tui.widgets.table import ContentTable


def cell_health(ready: int, total: int, error_ratio: float) -> str:
    """healthy, degraded or down for one service in one zone."""
    if total == 0:
        return "empty"
    if ready == 0 or error_ratio >= 0.2:
        return "down"
    if ready < total or error_ratio >= 0.01:
        return "degraded"
    return "healthy"


STYLE = {
    "healthy": "$text-success",
    "degraded": "$text-warning bold",
    "down": "$text-error bold reverse",
    "empty": "$text-muted",
}


class ServiceMapPanel(Panel):
    """Rows are services, columns zones; a cell reads `ready/total err%`."""

    def compose(self) -> ComposeResult:
        yield Label("Service x zone health (ready/total, error ratio)", classes="panel-title", markup=False)
        yield ContentTable(id="map-grid", cursor_type="cell", zebra_stripes=False)
        yield Label("healthy · degraded (not all ready or >1% errors) · down (none ready or >20%)", id="map-legend")

    def on_mount(self) -> None:
        self._zones = list(self.session.briefing().zones)
        for widget in self.query("#map-grid").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("service", *self._zones)

    def refresh_from_session(self) -> None:
        cells: dict[tuple[str, str], list] = {}
        order: list[str] = []
        for inst in self.session.instances():
            if inst.service not in order:
                order.append(inst.service)
            c = cells.setdefault((inst.service, inst.zone), [0, 0, 0.0, 0.0])
            c[0] += 1
            c[1] += 1 if inst.ready and inst.in_rotation else 0
            c[2] += inst.rate * inst.error_ratio
            c[3] += inst.rate
        rows = []
        for service in order:
            row: list = [service]
            for zone in self._zones:
                total, ready, errors, rate = cells.get((service, zone), [0, 0, 0.0, 0.0])
                ratio = errors / rate if rate > 0 else 0.0
                health = cell_health(ready, total, ratio)
                text = f"{ready}/{total} {fmt_pct(ratio, 1)}" if total else "-"
                row.append(self.tone(f" {text} ", STYLE[health]))
            rows.append(tuple(row))
        set_rows(self.query_one("#map-grid", DataTable), rows)
