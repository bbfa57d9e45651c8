"""A virtual log view in the manner of toolong: renders only visible lines, filters in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from simulator.views import LogRecord
from tui.widgets.log_buffer import LEVEL_RANK, LogBuffer, LogQuery
from tui.widgets.log_matches import Matches
from tui.widgets.scrolling import SteadyScrollBars


class LogView(SteadyScrollBars, ScrollView, can_focus=True):
    """Live tail or filtered view over a :class:`LogBuffer`, with a line cursor."""

    COMPONENT_CLASSES = {"logview--warn", "logview--error", "logview--cursor", "logview--debug"}
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="logs.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="logs.down"),
        Binding("pageup", "cursor(-20)", "Page up", show=False, id="logs.pageup"),
        Binding("pagedown", "cursor(20)", "Page down", show=False, id="logs.pagedown"),
        Binding("home", "oldest", "Oldest", show=False, id="logs.oldest"),
        Binding("end", "follow", "Follow", id="logs.follow"),
        Binding("f", "toggle_follow", "Follow/pause", id="logs.toggle_follow"),
        Binding("enter", "select_line", "Open trace", id="logs.select"),
    ]

    @dataclass
    class LineSelected(Message):
        """The trainee chose a line (enter): its text and trace id (may be empty)."""

        text: str
        trace_id: str

    @dataclass
    class Filtered(Message):
        """A filter finished: how many lines match."""

        query: LogQuery
        count: int

    following: reactive[bool] = reactive(True)
    cursor: reactive[int] = reactive(-1, always_update=True)
    """Position in the visible list; -1 means the last line."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.buffer = LogBuffer()
        self.query_state = LogQuery()
        self._matches: Matches | None = None  # None: every line is visible
        self._pending_from: int | None = None  # buffer end when the running filter started
        self._cache: LRUCache[tuple[int, int, bool], Strip] = LRUCache(512)
        self._styles: dict[int, Style] = {}
        self._shown_size: Size | None = None
        """The size of the last Resize (None: not laid out yet)."""

    # --- data -------------------------------------------------------------------------------

    @property
    def visible_count(self) -> int:
        return len(self.buffer) if self._matches is None else len(self._matches)

    def _absolute(self, y: int) -> int:
        return self.buffer.base + y if self._matches is None else self._matches[y]

    def append(self, records: list[LogRecord]) -> None:
        """Add new lines (one batch per refresh); matched lines join the filtered view."""
        if not records:
            return
        start = self.buffer.end
        base_before = self.buffer.base
        self.buffer.extend(records)
        if self.buffer.base != base_before and self._matches is not None:
            self._matches.drop_below(self.buffer.base)
        if self._matches is not None and self._pending_from is None:
            self._matches.extend(self.buffer.filter(self.query_state, start))
        self._cache.clear()
        self._update_size()

    def set_query(self, query: LogQuery) -> None:
        """Filter the view (in a worker thread); an empty query shows every line again."""
        self.query_state = query
        if query.empty:
            self._matches = None
            self._pending_from = None
            self._cache.clear()
            self._update_size()
            self.post_message(self.Filtered(query, len(self.buffer)))
            return
        self._pending_from = self.buffer.end
        self._run_filter(query, self._pending_from)

    @work(thread=True, exclusive=True, group="log-filter")
    def _run_filter(self, query: LogQuery, end: int) -> None:
        # Newest slice first: the trainee sees the latest matches within milliseconds, the rest follows.
        worker = get_current_worker()
        parts: list[Matches] = []
        for lo, found in self.buffer.filter_newest_first(query, end):
            if worker.is_cancelled:
                return
            if not parts:
                self.app.call_from_thread(self._filter_partial, query, lo, found)
            parts.append(found)
        matches = Matches()
        for part in reversed(parts):
            matches.extend(part)
        self.app.call_from_thread(self._filter_done, query, end, matches)

    def _filter_partial(self, query: LogQuery, lo: int, found: Matches) -> None:
        """Show the newest slice's matches while older lines are still being scanned."""
        if query != self.query_state or self._pending_from is None:
            return
        self._matches = Matches(found)
        self.cursor = -1
        self._cache.clear()
        self._update_size()

    def _filter_done(self, query: LogQuery, end: int, found: Matches) -> None:
        if query != self.query_state:
            return
        found.drop_below(self.buffer.base)  # the oldest lines may have left while the filter ran
        found.extend(self.buffer.filter(query, start=end))  # lines that arrived meanwhile
        self._matches = found
        self._pending_from = None
        self.cursor = -1
        self._cache.clear()
        self._update_size()
        self.post_message(self.Filtered(query, len(found)))

    # --- view -------------------------------------------------------------------------------

    def _update_size(self) -> None:
        # Lines are cut to the view's width (no horizontal scroll), so the virtual width stays 0: a
        # width taken from the view changed as the panel came on screen and cost a second layout.
        self.virtual_size = Size(0, self.visible_count)
        if self._shown_size is not None:
            # Laid out before (a hidden panel keeps its size): the scroll bars follow now, in this frame,
            # not after the next layout (a frame of their own).
            self._scroll_update(self.virtual_size)
        if self.following:
            # Once the view has been laid out its end is known now (a hidden panel keeps its last size):
            # scrolling after the next frame, Textual's default, painted the new lines a frame after the
            # rest of a panel switch.
            self.scroll_end(animate=False, immediate=self._shown_size is not None, x_axis=False)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        # The view gets a Resize each time its panel comes back on screen, at the size it had: nothing moves.
        if event.size != self._shown_size:
            self._shown_size = event.size
            self._cache.clear()
            self._update_size()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()

    def _style_for(self, rank: int) -> Style:
        style = self._styles.get(rank)
        if style is None:
            if rank >= LEVEL_RANK["ERROR"]:
                style = self.get_component_rich_style("logview--error")
            elif rank == LEVEL_RANK["WARN"]:
                style = self.get_component_rich_style("logview--warn")
            elif rank == LEVEL_RANK["DEBUG"]:
                style = self.get_component_rich_style("logview--debug")
            else:
                style = self.rich_style
            self._styles[rank] = style
        return style

    def render_line(self, y: int) -> Strip:
        scroll_y = int(self.scroll_offset.y)
        row = scroll_y + y
        width = self.size.width
        if row >= self.visible_count:
            return Strip.blank(width, self.rich_style)
        cursor = self._cursor_row()
        index = self._absolute(row)
        key = (index, width, row == cursor)
        strip = self._cache.get(key)
        if strip is None:
            style = self._style_for(self.buffer.level(index))
            if row == cursor:
                style = style + self.get_component_rich_style("logview--cursor")
            text = self.buffer.line(index)
            strip = Strip([Segment(text[:width].ljust(width), style)], width)
            self._cache[key] = strip
        return strip

    def _cursor_row(self) -> int:
        count = self.visible_count
        if count == 0:
            return -1
        return count - 1 if self.cursor < 0 else min(self.cursor, count - 1)

    def watch_cursor(self) -> None:
        self._cache.clear()
        self.refresh()

    # --- actions ----------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        row = self._cursor_row()
        if row < 0:
            return
        new = max(0, min(self.visible_count - 1, row + delta))
        self.following = False
        self.cursor = new
        self.scroll_to_region_row(new)

    def scroll_to_region_row(self, row: int) -> None:
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def action_oldest(self) -> None:
        """The cursor to the oldest line kept (the view's own Home scrolled there and left the cursor on the
        newest line, so the next Page down jumped back to the end)."""
        if self.visible_count:
            self.following = False
            self.cursor = 0
            self.scroll_to(y=0, animate=False)

    def action_follow(self) -> None:
        self.following = True
        self.cursor = -1
        self.scroll_end(animate=False)

    def action_toggle_follow(self) -> None:
        if self.following:
            self.following = False
            self.cursor = self._cursor_row()
        else:
            self.action_follow()

    def selected(self) -> tuple[str, str] | None:
        """(text, trace id) of the line under the cursor."""
        row = self._cursor_row()
        if row < 0:
            return None
        index = self._absolute(row)
        return self.buffer.line(index), self.buffer.trace_id(index)

    def selected_body(self) -> str | None:
        """The whole message of the entry under the cursor when it has several lines (a stack trace)."""
        row = self._cursor_row()
        return None if row < 0 else self.buffer.body(self._absolute(row))

    def action_select_line(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.post_message(self.LineSelected(*chosen))
