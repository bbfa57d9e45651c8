"""Traces: recent sampled traces with error and slow filters, and a waterfall of one trace."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static, Switch

from scenarios.durations import format_clock
from scenarios.text import clean
from simulator.views import Span, Trace
from tui.widgets.common import Panel, fmt_ms, set_rows
from tui.widgets.table import ContentTable

SLOW_SHARE = 0.5
"""A span is marked slow when it takes at least this share of the whole trace (and is not trivial)."""


def span_order(trace: Trace) -> list[tuple[int, Span]]:
    """Spans depth-first from the root, with their depth."""
    children: dict[str, list[Span]] = {}
    for sp in trace.spans:
        children.setdefault(sp.parent_id, []).append(sp)
    out: list[tuple[int, Span]] = []

    def walk(parent: str, depth: int) -> None:
        for sp in sorted(children.get(parent, ()), key=lambda s: s.start_ms):
            out.append((depth, sp))
            walk(sp.span_id, depth + 1)

    walk("", 0)
    known = {sp.span_id for _, sp in out}
    out.extend((0, sp) for sp in trace.spans if sp.span_id not in known)  # orphans, if sampling cut a parent
    return out


class Waterfall(Static):
    """Bars positioned by start and duration; failing spans in $error, the culprit marked, slow in $warning."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Select a trace (enter) to see its waterfall.", id=id)
        self.trace: Trace | None = None

    def show_trace(self, trace: Trace | None) -> None:
        self.trace = trace
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        trace = self.trace
        if trace is None:
            return
        width = max(20, self.size.width)
        label_w = min(44, width // 2)
        bar_w = max(10, width - label_w - 10)
        total = max(trace.duration_ms, 1e-6)
        parts: list = [
            Content.styled(
                clean(
                    f"{trace.name}  {fmt_ms(trace.duration_ms)}  {trace.status}  at {format_clock(trace.t)}  "
                    f"trace={trace.trace_id}"
                )
                + "\n",
                "bold $text-error" if trace.error else "bold",
            )
        ]
        for depth, sp in span_order(trace):
            slow = sp.duration_ms >= SLOW_SHARE * total and sp.duration_ms >= 50 and depth > 0
            if sp.culprit:
                style = "$text-error bold reverse" if sp.status == "ERROR" else "$text-warning bold reverse"
            elif sp.status == "ERROR":
                style = "$text-error"
            elif slow:
                style = "$text-warning"
            else:
                style = "$text-accent"
            label = clean(f"{'  ' * depth}{sp.service}: {sp.name}")[: label_w - 1].ljust(label_w)
            start = int(sp.start_ms / total * bar_w)
            length = max(1, int(round(sp.duration_ms / total * bar_w)))
            start = min(start, bar_w - 1)
            length = min(length, bar_w - start)
            mark = " ◀ culprit" if sp.culprit else ""
            code = f" {sp.status_code}" if sp.status == "ERROR" else ""
            parts.append(Content.styled(label, "$text-error" if sp.status == "ERROR" else ""))
            parts.append(" " * start)
            parts.append(Content.styled("█" * length, style))
            parts.append(" " * (bar_w - start - length))
            parts.append(
                Content.styled(
                    clean(f" {fmt_ms(sp.duration_ms)}{code}{sp.error_type and ' ' + sp.error_type}{mark}") + "\n",
                    style if sp.culprit else "$text-muted",
                )
            )
        self.update(Content.assemble(*parts))


class TracesPanel(Panel):
    """Recent traces (newest first); enter opens the waterfall."""

    @dataclass
    class TraceOpened(Message):
        trace_id: str

    def compose(self) -> ComposeResult:
        with Horizontal(id="trace-filters"):
            yield Label("errors only", classes="switch-label")
            yield Switch(value=False, id="trace-errors")
            yield Label("slower than (ms)", classes="switch-label")
            yield Input(placeholder="e.g. 500", id="trace-slow", type="number")
        yield ContentTable(id="trace-list", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="waterfall-scroll"):
            yield Waterfall(id="waterfall")

    def on_mount(self) -> None:
        for widget in self.query("#trace-list").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("time", "request", "duration", "status", "spans", "trace id")

    def refresh_from_session(self) -> None:
        errors = self.query_one("#trace-errors", Switch).value
        slow_text = self.query_one("#trace-slow", Input).value.strip()
        try:
            slow = float(slow_text) if slow_text else None
        except ValueError:
            slow = None
        rows, keys = [], []
        for tr in self.session.traces(errors_only=errors, min_duration_ms=slow, limit=50):
            rows.append(
                (
                    format_clock(tr.t),
                    tr.name,
                    fmt_ms(tr.duration_ms),
                    self.tone(tr.status, "$text-error bold" if tr.error else "$text-success"),
                    str(len(tr.spans)),
                    tr.trace_id,
                )
            )
            keys.append(tr.trace_id)
        set_rows(self.query_one("#trace-list", DataTable), rows, keys)

    def open_trace(self, trace_id: str) -> bool:
        """Show one trace's waterfall and journal it; False when the trace is not retained."""
        trace = self.session.trace(trace_id)
        if trace is None:
            self.screen.notify(
                f"trace {clean(trace_id)} is not retained (only sampled traces are kept)", severity="warning"
            )
            return False
        self.session.look("trace", trace_id=trace_id)
        self.query_one(Waterfall).show_trace(trace)
        self.post_message(self.TraceOpened(trace_id))
        return True

    @on(DataTable.RowSelected, "#trace-list")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.open_trace(event.row_key.value)

    @on(Switch.Changed, "#trace-errors")
    @on(Input.Submitted, "#trace-slow")
    def _filters_changed(self) -> None:
        self.refresh_from_session()
