"""Logs panel: live tail into the widget's own store, and a query by service, level, place (zone, version or
instance), text and trace id."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select

from tui.widgets.common import Panel
from tui.widgets.log_buffer import LEVELS, QUERY_TEXT_MAX, LogQuery
from tui.widgets.log_view import LogView
from tui.widgets.tool_banner import ToolBanner


class LogsPanel(Panel):
    """The log view plus its query bar; enter in any query field applies the query."""

    def compose(self) -> ComposeResult:
        yield ToolBanner(("logging",), id="log-tools")
        with Horizontal(id="log-query"):
            yield Select([], id="log-service", prompt="service")
            yield Select([(lv, lv) for lv in LEVELS[1:]], id="log-level", prompt="level")
            yield Select([], id="log-where", prompt="where")
            yield Input(placeholder="text", id="log-text", max_length=QUERY_TEXT_MAX)
            yield Input(placeholder="trace id", id="log-trace", max_length=QUERY_TEXT_MAX)
        yield Label("", id="log-status", markup=False)
        yield LogView(id="log-view")

    def on_mount(self) -> None:
        self._index = 0
        self._places_offered = 0
        for widget in self.query("#log-service").results(Select):  # absent if torn down mid-mount
            widget.set_options([(s.name, s.name) for s in self.session.services()])
        if self.query(LogView):  # absent if torn down mid-mount
            self._show_status()

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def ingest(self) -> int:
        """Pull new lines from the session (always, visible or not, so nothing is missed)."""
        if not self.query(LogView):  # torn down mid-mount (the app closing while the console pre-warms)
            return 0
        records, self._index = self.session.log_tail(self._index)
        self.view.append(records)
        if records:
            self._show_status()
            self._offer_places()
        return len(records)

    def _offer_places(self) -> None:
        """Keep the zone/version/pod choice in step with the places seen (new pods, new versions)."""
        buffer = self.view.buffer
        if len(buffer.place_codes) == self._places_offered:
            return
        self._places_offered = len(buffer.place_codes)
        choice = self.query_one("#log-where", Select)
        value = choice.value
        with self.prevent(Select.Changed):
            choice.set_options([(w, w) for w in buffer.where_choices()])
            if isinstance(value, str) and value in buffer.where_choices():
                choice.value = value

    def refresh_from_session(self) -> None:
        self.query_one(ToolBanner).show(self.session)
        self._show_status()

    def current_query(self) -> LogQuery:
        service = self.query_one("#log-service", Select).value
        level = self.query_one("#log-level", Select).value
        where = self.query_one("#log-where", Select).value
        return LogQuery(
            where=where if isinstance(where, str) else "",
            service=service if isinstance(service, str) else "",
            level=level if isinstance(level, str) else "",
            text=self.query_one("#log-text", Input).value.strip(),
            trace_id=self.query_one("#log-trace", Input).value.strip(),
        )

    def run_query(self, query: LogQuery | None = None) -> None:
        """Apply a query (the form's by default) and journal it."""
        if query is not None:
            self.query_one("#log-text", Input).value = query.text
            self.query_one("#log-trace", Input).value = query.trace_id
            self.query_one("#log-service", Select).value = query.service or Select.NULL
            self.query_one("#log-level", Select).value = query.level or Select.NULL
            self.query_one("#log-where", Select).value = query.where or Select.NULL
        query = query or self.current_query()
        self.session.look(
            "log_query",
            service=query.service,
            level=query.level,
            text=query.text,
            trace_id=query.trace_id,
            **({"where": query.where} if query.where else {}),  # journals from before the filter stay alike
        )
        self.view.set_query(query)
        self._show_status(filtering=not query.empty)

    @on(Input.Submitted, "#log-text, #log-trace")
    def _submitted(self) -> None:
        self.run_query()
        self.view.focus()

    @on(Select.Changed, "#log-service, #log-level, #log-where")
    def _select_changed(self) -> None:
        if self.is_mounted and self.current_query() != self.view.query_state:
            self.run_query()

    @on(LogView.Filtered)
    def _filtered(self) -> None:
        self._show_status()

    def _show_status(self, filtering: bool = False) -> None:
        view = self.view
        q = view.query_state
        mode = "following" if view.following else "paused"
        shown = "filtering..." if filtering else f"{view.visible_count:,} shown"
        scope = "all lines" if q.empty else "query"
        self.query_one("#log-status", Label).update(
            f"{len(view.buffer):,} lines kept · {scope}: {shown} · {mode}  "
            "[f] follow/pause  [v] read whole  [enter] open trace  [ctrl+e] attach as evidence"
        )
