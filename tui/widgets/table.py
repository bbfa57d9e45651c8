"""A DataTable whose cells are rendered once per content, not once per table update.

Textual's DataTable keys its rendered cells by the table's update count and its focus state: any
``clear``/``add_row``/``update_cell``, and every focus change, re-renders every visible cell (~0.15 ms
each, ~10 ms for the dashboards' RED table, on every panel switch). :class:`ContentTable` keys them by
what they show instead (the cell's text and styles, its place, width and the styles it is drawn in), so
a refill that changes two figures renders two cells, and a table shown again in a state it was shown
in before (focused or not) renders nothing new.

A table wider than its panel also no longer repaints its scroll bar after every layout of the screen
(ScrollView compares the screen's idea of its virtual size with its own, which differ whenever it
scrolls): that repaint came after the switch's frame, as a frame of its own.

Its cells are also measured without building Rich console options per cell (a Text cell's width is its
longest line), which was most of a refill's cost.

Only how cells are rendered and measured changes: rows, keys, cursor, messages and the pixels on screen are
DataTable's own. Rests on DataTable's private ``_render_cell`` and caches (textual is pinned to 8.2.x
in pyproject.toml; tests/tui/test_content_table.py checks a cell is rendered once and what it shows).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable, _data_table

CELL_CACHE_SIZE = 4000
"""Rendered cells kept per table (a few screens' worth); the cache starts afresh when full."""
COMPONENTS = (
    "datatable--cursor",
    "datatable--hover",
    "datatable--header-cursor",
    "datatable--header-hover",
    "datatable--fixed-cursor",
)
"""The component classes a cell's style is taken from besides the row's (cursor, hover): their styles
change with focus and theme, so they are part of a cell's cache key."""


class _LastCell:
    """Stands in for DataTable's own cell cache: it keeps only the cell just rendered.

    DataTable's cache is keyed by the update count, so after any update it held nothing reusable; and being
    an LRU of linked lists, each clear left thousands of objects in cycles for the garbage collector.
    """

    __slots__ = ("key", "value")

    def __init__(self) -> None:
        self.key: Any = None
        self.value: Any = None

    def __contains__(self, key: object) -> bool:
        return False

    def __setitem__(self, key: object, value: Any) -> None:
        self.key, self.value = key, value

    def __getitem__(self, key: object) -> Any:
        assert key == self.key, "the cell asked for is not the one just rendered"
        return self.value

    def clear(self) -> None:
        self.key = self.value = None


def text_key(cell: object) -> tuple | None:
    """What a cell shows, as a hashable key: its text, style, spans and layout options; None when the
    cell is not a Rich ``Text`` (then it is rendered the table's own way).

    ``Text.__eq__`` ignores the text's own style: two cells equal as Text can still look different.
    """
    if not isinstance(cell, Text):
        return None
    return (
        cell.plain,
        cell.style,
        tuple(cell.spans),
        cell.justify,
        cell.overflow,
        cell.no_wrap,
        cell.end,
        cell.tab_size,
    )


def measure_cell(console: Any, renderable: Any, default: int, *, container_width: int | None = None) -> int:
    """``textual.render.measure``, without building console options for a plain ``Text`` cell.

    A Text's width is its longest line (``Text.__rich_measure__`` reads no option): building the options
    per cell was most of a refill's cost (~140 cells per dashboards read).
    """
    if type(renderable) is Text:
        return max((cell_len(line) for line in renderable.plain.splitlines()), default=0)
    return _MEASURE(console, renderable, default, container_width=container_width)


_MEASURE = _data_table.measure


@contextmanager
def _cells_measured_fast() -> Iterator[None]:
    """DataTable's module looks ``measure`` up at each call: point it at :func:`measure_cell` meanwhile."""
    _data_table.measure = measure_cell
    try:
        yield
    finally:
        _data_table.measure = _MEASURE


class ContentTable(DataTable):
    """A DataTable that renders each cell once per content (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cell_render_cache = _LastCell()  # type: ignore[assignment]
        self._cells: dict[tuple, Any] = {}
        """Rendered cells by :meth:`_cell_key`."""
        self._component_key: tuple | None = None
        """The cursor and hover styles, read once per render (focus and theme change them)."""
        self._scrolled_for: tuple | None = None
        """Size, container size and virtual size the scroll bars were last set for."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        now = (size, container_size, self.virtual_size)
        if now == self._scrolled_for and size == self._size:
            return False  # laid out again, nothing changed: the scroll bars are right
        self._scrolled_for = now
        return super()._size_updated(size, virtual_size, container_size, layout)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._component_key = None
        return super().render_lines(crop)

    def _update_dimensions(self, new_rows: Any) -> None:
        with _cells_measured_fast():
            super()._update_dimensions(new_rows)

    def _update_column_widths(self, updated_cells: Any) -> None:
        with _cells_measured_fast():
            super()._update_column_widths(updated_cells)

    def _components(self) -> tuple:
        """The styles besides the row's that a cell may be drawn in, and the switches that pick them."""
        if self._component_key is None:
            self._component_key = (
                tuple(self.get_component_rich_style(name) for name in COMPONENTS),
                self.show_cursor,
                self.fixed_rows,
                self.fixed_columns,
                self.cursor_foreground_priority,
                self.cursor_background_priority,
                self.cell_padding,
            )
        return self._component_key

    def _cell_key(self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool, hover: bool):
        """Everything a rendered cell depends on, or None when it is not to be cached by content."""
        if column_index < 0:
            return None  # row labels: this app's tables have none
        label, cells = self._get_row_renderables(row_index)
        if column_index >= len(cells):
            return None
        content = text_key(cells[column_index])
        if content is None:
            return None
        if row_index < 0:
            height = self.header_height
        else:
            height = self.ordered_rows[row_index].height
            if height == 0:
                return None  # auto height: DataTable edits the rendered cell once the row is measured
        return (
            row_index,
            column_index,
            content,
            base_style,
            width,
            height,
            cursor,
            hover,
            self._show_hover_cursor,
            self._components(),
        )

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ):
        key = self._cell_key(row_index, column_index, base_style, width, cursor, hover)
        if key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        lines = self._cells.get(key)
        if lines is None:
            if len(self._cells) >= CELL_CACHE_SIZE:
                self._cells.clear()
            lines = self._cells[key] = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return lines
