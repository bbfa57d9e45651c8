"""Dashboards: RED per service with sparklines, splits by zone and version, resources per instance,
change annotations, and a detail chart of one metric over a chosen window."""

from __future__ import annotations

import math
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Label, Select, Static

from scenarios.durations import format_clock
from scenarios.text import clean
from tui.widgets.common import BLOCKS, Panel, fmt_ms, fmt_pct, fmt_rate, set_rows, show, sparkline
from tui.widgets.data_lines import data_lines
from tui.widgets.table import ContentTable
from tui.widgets.tool_banner import ToolBanner, tool_lines

METRICS = (
    "rate",
    "error_ratio",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "cpu",
    "memory_ratio",
    "pool_ratio",
    "ready",
    "restarts",
    "retry_rate",
    "hit_ratio",
    "connections",
    "conn_limit",
    "gc_ratio",
    "cert_days",
    "probe_success",
)
"""Service metrics a detail chart can show (a cache's hit ratio, a database's connections: the services
they apply to; elsewhere the chart is empty)."""
INSTANCE_METRICS = ("memory_mb", "cpu", "rate", "error_ratio")
"""Metrics kept per instance (sampled more coarsely)."""
WINDOWS = (("5m", 300.0), ("15m", 900.0), ("1h", 3600.0), ("all", 0.0))
SPARK_SECONDS = 120.0
SPARK_WIDTH = 24


MEMORY_TREND_SECONDS = 600.0
"""Window of each instance's memory sparkline in the resources table (which pods leak?)."""
MEMORY_TREND_WIDTH = 16


def memory_trend(session, inst) -> str:
    """One instance's memory over the last minutes, on a 0-to-limit scale (a leak climbs, a restart drops)."""
    series = session.metric(inst.service, "memory_mb", instance=inst.id, start=session.now - MEMORY_TREND_SECONDS)
    return sparkline(series.values, MEMORY_TREND_WIDTH, 0.0, inst.memory_limit_mb or 0.0)


RATIO_METRICS = ("error_ratio", "cpu", "memory_ratio", "pool_ratio", "hit_ratio", "gc_ratio", "probe_success")


def _pct_digits(top: float) -> int:
    """Decimals a percentage needs for a chart whose top is ``top`` (a ratio) to read as more than zero:
    an error ratio of 0.02 % drawn as full bars under a "0.0%" label looked like an outage at zero."""
    pct = abs(top) * 100
    if pct == 0 or math.isnan(pct) or pct >= 1:
        return 1
    return 2 if pct >= 0.1 else 3


def _fmt(metric: str, v: float, top: float | None = None) -> str:
    """``v`` as the dashboards show ``metric``; ``top``: the chart's highest value, which sets how many
    decimals a percentage gets."""
    if math.isnan(v):
        return "-"
    if metric.endswith("_ms"):
        return fmt_ms(v)
    if metric in RATIO_METRICS:
        return fmt_pct(v, _pct_digits(v if top is None else top))
    if metric == "rate":
        return fmt_rate(v)
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"


class MetricChart(Widget):
    """A block chart of one series with change markers underneath (height set in CSS).

    The chart is drawn when it is painted, for the size it has then: drawing on plot and again on
    resize cost a second layout and frame each time the dashboards came on screen.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: tuple = ()
        self._drawn: tuple[tuple, Size, Content] | None = None

    def plot(self, title: str, times: tuple[float, ...], values: tuple[float, ...], changes: list, metric: str) -> None:
        self._data = (title, times, values, changes, metric)
        self.refresh()

    def render(self) -> Content:
        if not self._data:
            return Content("")
        drawn = self._drawn
        if drawn is None or drawn[0] is not self._data or drawn[1] != self.size:
            drawn = self._drawn = (self._data, self.size, self._draw())
        return drawn[2]

    def _draw(self) -> Content:
        title, times, values, changes, metric = self._data
        height = max(3, self.size.height - 3)
        width = max(10, self.size.width - 10)
        if len(values) > width:
            step = len(values) / width
            cols = []
            col_times = []
            for i in range(width):
                chunk = [v for v in values[int(i * step) : int((i + 1) * step)] if not math.isnan(v)]
                cols.append(max(chunk) if chunk else math.nan)
                col_times.append(times[int(i * step)])
        else:
            cols, col_times = list(values), list(times)
        finite = [v for v in cols if not math.isnan(v)]
        lo = min(finite, default=0.0)
        hi = max(finite, default=1.0)
        lo = min(lo, 0.0)
        span = (hi - lo) or 1.0
        lines: list = [
            Content.styled(f"{title}   last {_fmt(metric, finite[-1] if finite else math.nan, hi)}", "bold"),
            Content.styled(f"   (scale from {_fmt(metric, lo, hi)})\n", "$text-muted"),
        ]
        for row in range(height, 0, -1):
            # Top: the highest value; middle: half way; bottom row: the floor it stands on (zero for
            # every metric that cannot go negative), so a small change never looks like a cliff.
            if row == height:
                label = _fmt(metric, hi, hi)
            elif row == (height + 1) // 2 and height >= 5:
                label = _fmt(metric, lo + span * row / height, hi)
            elif row == 1:
                label = _fmt(metric, lo, hi)
            else:
                label = ""
            cells = []
            for v in cols:
                if math.isnan(v):
                    cells.append(" ")
                    continue
                level = (v - lo) / span * height
                if level >= row:
                    cells.append("█")
                elif level > row - 1:
                    cells.append(BLOCKS[max(1, int((level - row + 1) * 8))])
                else:
                    cells.append(" ")
            lines.append(Content.styled(f"{label:>9} ", "$text-muted"))
            lines.append(Content.styled("".join(cells) + "\n", "$text-accent"))
        marks = [" "] * len(cols)
        labels = []
        if col_times:
            t0, t1 = col_times[0], col_times[-1]
            for ch in changes:
                if t0 <= ch.t <= t1 + 1:
                    pos = min(len(cols) - 1, int((ch.t - t0) / ((t1 - t0) or 1) * (len(cols) - 1)))
                    marks[pos] = "▲"
                    labels.append(f"▲{format_clock(ch.t)} {ch.summary}")
        lines.append(Content.styled(" " * 10 + "".join(marks) + "\n", "$text-warning bold"))
        start = format_clock(col_times[0]) if col_times else ""
        end = format_clock(col_times[-1]) if col_times else ""
        lines.append(Content.styled(f"{'':>10}{start}{end:>{max(1, len(cols) - len(start))}}\n", "$text-muted"))
        lines.append(Content.styled("  ".join(labels) or "no changes in this window", "$text-warning"))
        return Content.assemble(*lines)


class DashboardsPanel(Panel):
    """RED, splits, resources and a detail chart; enter on a service row charts it."""

    BINDINGS = [
        Binding("w", "cycle_window", "Window", id="dashboards.window"),
        Binding("n", "cycle_metric", "Metric", id="dashboards.metric"),
    ]

    @dataclass
    class MetricViewed(Message):
        """The detail chart now shows this metric (evidence candidate)."""

        reference: str
        service: str
        metric: str
        window: str

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dash-scroll"):
            yield ToolBanner(("metrics",), id="dash-tools")
            yield Label(
                "RED per service (sparklines: last 2 min)  [enter] chart  [n] metric  [w] window",
                classes="panel-title",
                markup=False,
            )
            yield ContentTable(id="red", cursor_type="row", zebra_stripes=True)
            yield Static("", id="annotations")
            yield Static("", id="data-status")
            yield Label("Detail", classes="panel-title", markup=False)
            with Horizontal(id="detail-controls"):
                services = [sv.name for sv in self.session.services()]
                yield Select([(n, n) for n in services], id="detail-service", value=services[0], allow_blank=False)
                yield Select([(m, m) for m in METRICS], id="detail-metric", value="error_ratio", allow_blank=False)
                yield Select([], id="detail-split", prompt="all", allow_blank=True)
                yield Select([(w, w) for w, _ in WINDOWS], id="detail-window", value="15m", allow_blank=False)
            yield MetricChart(id="chart")
            yield Label("Splits by zone, version and client", classes="panel-title", markup=False)
            yield ContentTable(id="splits", cursor_type="row", zebra_stripes=True)
            yield Label("Resources per instance", classes="panel-title", markup=False)
            yield ContentTable(id="resources", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for widget in self.query("#red").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("service", "rate", "err %", "p50", "p95", "p99", "ready", "errors", "p99 trend")
        for widget in self.query("#splits").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("service", "split", "rate", "err %", "p99", "errors")
        for widget in self.query("#resources").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns(
                "instance",
                "zone",
                "version",
                "state",
                "cpu",
                "memory / limit",
                f"memory {MEMORY_TREND_SECONDS / 60:.0f} min (0-limit)",
                "pool",
                "restarts",
                "last exit",
            )
        if self.query("#detail-split"):  # absent if torn down mid-mount
            self._fill_splits_select()

    def _fill_splits_select(self) -> None:
        service = self.query_one("#detail-service", Select).value
        if not isinstance(service, str):
            return
        options = [(f"zone={z}", f"zone={z}") for z in self.session.split_values(service, "zone")]
        options += [(f"version={v}", f"version={v}") for v in self.session.split_values(service, "version")]
        options += [(f"client={c}", f"client={c}") for c in self.session.split_values(service, "client")]
        options += [(f"instance={i.id}", f"instance={i.id}") for i in self.session.instances(service)]
        self.query_one("#detail-split", Select).set_options(options)

    def refresh_from_session(self) -> None:
        s = self.session
        now = s.now
        start = now - SPARK_SECONDS
        self.query_one(ToolBanner).show(s)
        # While the metrics pipeline is down only the orchestrator's view (ready, restarts) is fresh.
        blind = bool(tool_lines(s, ("metrics",)))
        red, keys = [], []
        for sv in s.services():
            err = s.metric(sv.name, "error_ratio", start=start).values
            p99 = s.metric(sv.name, "p99_ms", start=start).values
            bad = sv.error_ratio >= 0.01 and not blind
            red.append(
                (
                    sv.name,
                    "-" if blind else fmt_rate(sv.rate),
                    self.tone("-" if blind else fmt_pct(sv.error_ratio), "$text-error bold" if bad else ""),
                    "-" if blind else fmt_ms(sv.p50_ms),
                    "-" if blind else fmt_ms(sv.p95_ms),
                    "-" if blind else fmt_ms(sv.p99_ms),
                    self.tone(f"{sv.ready}/{sv.desired}", "$text-warning" if sv.ready < sv.desired else ""),
                    self.tone(sparkline(err, SPARK_WIDTH, 0.0, 0.02), "$text-error" if bad else "$text-accent"),
                    self.tone(sparkline(p99, SPARK_WIDTH), "$text-accent"),
                )
            )
            keys.append(sv.name)
        set_rows(self.query_one("#red", DataTable), red, keys)
        changes = s.change_log()
        recent = [c for c in changes if c.t >= now - 3600]
        note = clean("  ".join(f"▲ {format_clock(c.t)} {c.summary} ({c.by})" for c in recent[-4:]))
        show(
            self.query_one("#annotations", Static),
            Content.styled(note or "no changes in the last hour", "$text-warning"),
        )
        data = data_lines(s.data_status(), metrics_live=not blind)
        show(self.query_one("#data-status", Static), Content("\n".join(clean(line) for line in data)))
        self.query_one("#data-status", Static).display = bool(data)
        splits = []
        for sv in s.services():
            for dim in ("zone", "version", "client"):
                for value in s.split_values(sv.name, dim):
                    kw = {dim: value}
                    rate = s.metric(sv.name, "rate", start=start, **kw)
                    err = s.metric(sv.name, "error_ratio", start=start, **kw)
                    p99 = s.metric(sv.name, "p99_ms", start=start, **kw)
                    e = err.last()
                    bad = not math.isnan(e) and e >= 0.01
                    splits.append(
                        (
                            sv.name,
                            f"{dim}={value}",
                            fmt_rate(rate.last()),
                            self.tone(fmt_pct(e), "$text-error bold" if bad else ""),
                            fmt_ms(p99.last()),
                            self.tone(
                                sparkline(err.values, SPARK_WIDTH, 0.0, 0.02), "$text-error" if bad else "$text-accent"
                            ),
                        )
                    )
        set_rows(self.query_one("#splits", DataTable), splits)
        resources = []
        for inst in s.instances():
            mem = inst.memory_mb / inst.memory_limit_mb if inst.memory_limit_mb else 0.0
            mem = 0.0 if blind else mem
            state_style = "" if inst.state == "running" and inst.ready else "$text-warning bold"
            resources.append(
                (
                    inst.id,
                    inst.zone,
                    inst.version,
                    self.tone(inst.state + ("" if inst.ready else " (not ready)"), state_style),
                    "-" if blind else fmt_pct(inst.cpu, 0),
                    self.tone(
                        f"- / {inst.memory_limit_mb:.0f} MB"
                        if blind
                        else f"{inst.memory_mb:.0f} / {inst.memory_limit_mb:.0f} MB",
                        "$text-error bold" if mem >= 0.9 else "",
                    ),
                    self.tone(memory_trend(s, inst), "$text-error" if mem >= 0.9 else "$text-accent"),
                    "-" if blind else fmt_pct(inst.pool_ratio, 0),
                    self.tone(str(inst.restarts), "$text-warning bold" if inst.restarts else ""),
                    inst.last_exit or "",
                )
            )
        set_rows(self.query_one("#resources", DataTable), resources)
        self.draw_detail(journal=False)

    # --- detail ------------------------------------------------------------------------------

    def detail_reference(self) -> tuple[str, str, str, str]:
        service = self.query_one("#detail-service", Select).value
        metric = self.query_one("#detail-metric", Select).value
        split = self.query_one("#detail-split", Select).value
        window = self.query_one("#detail-window", Select).value
        return (
            service if isinstance(service, str) else "",
            metric if isinstance(metric, str) else "error_ratio",
            split if isinstance(split, str) else "",
            window if isinstance(window, str) else "15m",
        )

    def draw_detail(self, journal: bool = True) -> None:
        service, metric, split, window = self.detail_reference()
        if not service:
            return
        seconds = dict(WINDOWS)[window]
        start = self.session.now - seconds if seconds else None
        kw: dict[str, str] = {}
        if split:
            dim, value = split.split("=", 1)
            kw[dim] = value
            if dim == "instance" and metric not in INSTANCE_METRICS:
                metric = "memory_mb"
        series = self.session.metric(service, metric, start=start, **kw)
        title = f"{service}{' ' + split if split else ''} {metric} ({window})"
        self.query_one(MetricChart).plot(title, series.times, series.values, self.session.change_log(), metric)
        if journal:
            reference = f"metric:{service}{'[' + split + ']' if split else ''}.{metric}"
            self.session.look("metric", service=service, metric=metric, split=split, window=window)
            self.post_message(self.MetricViewed(reference, service, metric, window))

    @on(Select.Changed)
    def _detail_changed(self, event: Select.Changed) -> None:
        if event.select.id == "detail-service":
            self._fill_splits_select()
        if event.select.id and event.select.id.startswith("detail-"):
            # Selects report their first value as they mount, also while the panel is built hidden in the
            # background: only a metric actually on screen is a look (journal, evidence candidate).
            self.draw_detail(journal=bool(self.region))

    @on(DataTable.RowSelected, "#red")
    def _chart_service(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.query_one("#detail-service", Select).value = event.row_key.value

    def action_cycle_window(self) -> None:
        select = self.query_one("#detail-window", Select)
        names = [w for w, _ in WINDOWS]
        current = select.value if isinstance(select.value, str) else "15m"
        select.value = names[(names.index(current) + 1) % len(names)]

    def action_cycle_metric(self) -> None:
        select = self.query_one("#detail-metric", Select)
        current = select.value if isinstance(select.value, str) else METRICS[0]
        select.value = METRICS[(METRICS.index(current) + 1) % len(METRICS)]
