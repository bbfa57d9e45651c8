"""Hypotheses: write one, attach evidence (log line, trace, metric), mark it confirmed or rejected."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Input, Label, Static

from scenarios.durations import format_clock
from tui.widgets.common import ActionRequest, Panel, set_rows
from tui.widgets.table import ContentTable

HYPOTHESIS_EXAMPLE = "what fails, where, since when, why: e.g. <service> since <change> because <mechanism>"
"""The draft's placeholder: the shape of a hypothesis, naming no scenario's service or cause."""
STATUS_STYLE = {"open": "$text-warning", "confirmed": "$text-success bold", "rejected": "$text-muted strike"}


class HypothesesPanel(Panel):
    """The console sets ``candidate`` (what is selected elsewhere); ctrl+e attaches it to the draft."""

    BINDINGS = [
        Binding("c", "decide('confirm')", "Confirm", id="hypotheses.confirm"),
        Binding("r", "decide('reject')", "Reject", id="hypotheses.reject"),
        Binding("delete", "clear_evidence", "Clear evidence", id="hypotheses.clear", show=False),
    ]

    def __init__(self, session, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        self.candidate = ""
        self.evidence: list[str] = []

    def compose(self) -> ComposeResult:
        yield Label("New hypothesis (enter to add)", classes="panel-title", markup=False)
        yield Input(placeholder=HYPOTHESIS_EXAMPLE, id="hypothesis-text")
        yield Static("", id="evidence")
        yield Label("Hypotheses  [c] confirm  [r] reject (selected row)", classes="panel-title", markup=False)
        yield ContentTable(id="hypothesis-list", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for widget in self.query("#hypothesis-list").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("#", "written", "status", "hypothesis", "evidence")
        self._show_evidence()

    def set_candidate(self, reference: str) -> None:
        """What the trainee selected last (a log line, a trace, a metric)."""
        self.candidate = reference
        self._show_evidence()

    def attach(self, reference: str | None = None) -> str | None:
        """Attach ``reference`` (or the current candidate) to the draft hypothesis."""
        reference = reference or self.candidate
        if not reference:
            self.screen.notify("Select a log line, a trace or a metric first", severity="warning")
            return None
        if reference not in self.evidence:
            self.evidence.append(reference)
        self._show_evidence()
        return reference

    def action_clear_evidence(self) -> None:
        self.evidence.clear()
        self._show_evidence()

    def _show_evidence(self) -> None:
        parts: list = [Content.styled("Evidence: ", "bold")]
        if self.evidence:
            parts.append("; ".join(self.evidence))
        else:
            parts.append(Content.styled("none attached", "$text-muted"))
        parts.append(Content.styled("\nSelected: ", "bold"))
        parts.append(self.candidate or Content.styled("nothing (pick a log line, trace or metric)", "$text-muted"))
        parts.append(Content.styled("   ctrl+e attach · del clear", "$text-muted"))
        for widget in self.query("#evidence").results(Static):  # absent if torn down mid-mount
            widget.update(Content.assemble(*parts))

    @on(Input.Submitted, "#hypothesis-text")
    def _add(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        self.post_message(
            ActionRequest({"action": "hypothesis", "op": "add", "text": text, "evidence": list(self.evidence)})
        )
        event.input.value = ""
        self.evidence.clear()
        self._show_evidence()

    def action_decide(self, op: str) -> None:
        table = self.query_one("#hypothesis-list", DataTable)
        if table.row_count == 0:
            self.screen.notify("No hypothesis to " + op, severity="warning")
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        if key:
            self.post_message(ActionRequest({"action": "hypothesis", "op": op, "id": int(key)}))

    def refresh_from_session(self) -> None:
        rows, keys = [], []
        for h in self.session.incident_view().hypotheses:
            rows.append(
                (
                    str(h.id),
                    format_clock(h.t),
                    self.tone(h.status, STATUS_STYLE.get(h.status, "")),
                    h.text,
                    "; ".join(h.evidence) or "-",
                )
            )
            keys.append(str(h.id))
        set_rows(self.query_one("#hypothesis-list", DataTable), rows, keys)
