"""Changes: the change log (history before t=0 included), operations in flight, and every feature flag's state
with its history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Label

from scenarios.durations import format_clock
from tui.widgets.common import Panel, set_rows
from tui.widgets.table import ContentTable


class ChangesPanel(Panel):
    """Deploys, config pushes, flag flips, scaling, drains; rollouts with their progress."""

    def compose(self) -> ComposeResult:
        yield Label("In flight", classes="panel-title", markup=False)
        yield ContentTable(id="operations", cursor_type="row")
        yield Label(
            "Change log (newest first; negative times are before the incident began)",
            classes="panel-title",
            markup=False,
        )
        yield ContentTable(id="change-log", cursor_type="row", zebra_stripes=True)
        yield Label("Feature flags (state now, and every change)", classes="panel-title", markup=False)
        yield ContentTable(id="flags", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for widget in self.query("#operations").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("started", "operation", "progress", "state")
        for widget in self.query("#change-log").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("time", "kind", "service", "change", "by")
        for widget in self.query("#flags").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("flag", "state", "last change", "history")

    def refresh_from_session(self) -> None:
        ops = []
        for op in sorted(self.session.operation_list(), key=lambda o: -o.started):
            done = op.finished_at is not None
            ops.append(
                (
                    format_clock(op.started),
                    f"{op.kind} {op.service}: {op.summary}",
                    f"{op.kind} {op.service} {op.done}/{op.total}",
                    self.tone("done " + format_clock(op.finished_at), "$text-success")
                    if done
                    else self.tone(_in_progress(op), "$text-warning bold"),
                )
            )
        set_rows(self.query_one("#operations", DataTable), ops)
        rows = []
        for ch in reversed(self.session.change_log()):
            rows.append(
                (
                    self.tone(format_clock(ch.t), "$text-muted" if ch.t < 0 else ""),
                    ch.kind,
                    ch.service,
                    ch.summary,
                    ch.by,
                )
            )
        set_rows(self.query_one("#change-log", DataTable), rows)
        set_rows(self.query_one("#flags", DataTable), self._flag_rows())

    def _flag_rows(self) -> list[tuple]:
        """Each flag's state, with its changes from the change log (oldest first)."""
        changes = [ch for ch in self.session.change_log() if ch.kind == "flag"]
        rows: list[tuple] = []
        for name, on in sorted(self.session.flags().items()):
            mine = [ch for ch in changes if ch.summary.startswith(f"flag {name} ")]
            state = "on" if on else "off"
            if mine and mine[-1].after.endswith("%"):
                state += f" ({mine[-1].after} rollout)"
            history = " · ".join(f"{format_clock(ch.t)} {ch.after or ch.summary} ({ch.by})" for ch in mine)
            rows.append(
                (
                    name,
                    self.tone(state, "$text-success" if on else "$text-muted"),
                    format_clock(mine[-1].t) if mine else "-",
                    history or "no change recorded",
                )
            )
        return rows or [("", self.tone("No feature flags in this system.", "$text-muted"), "", "")]


def _in_progress(op) -> str:
    """An unfinished operation's state: with its ETA and what slows it when the scenario paces recoveries."""
    text = "in progress"
    if op.eta is not None:
        text += f", done about {format_clock(op.eta)}"
    return text + (f" ({op.note})" if op.note else "")
