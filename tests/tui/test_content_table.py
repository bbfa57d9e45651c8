"""ContentTable (tui.widgets.table): each cell is rendered once per content, and the table still shows
exactly what DataTable shows, also after a value, a style, the cursor or the focus changed."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import DataTable, Input

from tui.widgets.common import set_rows
from tui.widgets.table import ContentTable

ROWS = [
    ("checkout", Text("1,204/s"), Text("0.12%", style="bold red"), "eu-1"),
    ("payments", Text("310/s"), Text("0.00%"), "eu-2"),
    ("search", Text("88/s"), Text("4.10%", style="bold red"), "eu-1"),
    ("ledger", Text("12/s"), Text("0.00%"), "eu-2"),
]
"""Rows 1 and 3 show the same error ratio and zone in the same style: a click on each still selects its own
row (the row is in each cell's mouse data)."""


class Tables(App):
    """A DataTable and a ContentTable side by side with the same rows, and a field to move focus to."""

    def compose(self) -> ComposeResult:
        yield Input(id="field")
        yield DataTable(id="plain", cursor_type="row", zebra_stripes=True)
        yield ContentTable(id="cached", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_columns("service", "rate", "err %", "zone")
            set_rows(table, ROWS, [row[0] for row in ROWS])


def lines(table: DataTable) -> list[Strip]:
    return [table.render_line(y) for y in range(table.size.height)]


def same_pixels(app: App) -> bool:
    """Both tables' lines have the same text and the same styles, segment by segment."""
    plain, cached = app.query_one("#plain", DataTable), app.query_one("#cached", DataTable)
    return [list(strip) for strip in lines(plain)] == [list(strip) for strip in lines(cached)]


def rows_in_mouse_data(table: DataTable) -> list[int]:
    """Per data line, the row its cells select when clicked (-1 if the cells disagree)."""
    rows = []
    for y in range(1, table.row_count + 1):
        found = {segment.style.meta["row"] for segment in table.render_line(y) if segment.style and segment.style.meta}
        rows.append(found.pop() if len(found) == 1 else -1)
    return rows


def count_renders(monkeypatch) -> list:
    """Cells DataTable itself renders (ContentTable asks it only on a miss)."""
    calls: list = []
    render = DataTable._render_cell

    def counted(self, row_index, column_index, *args, **kwargs):
        if isinstance(self, ContentTable):
            calls.append((row_index, column_index))
        return render(self, row_index, column_index, *args, **kwargs)

    monkeypatch.setattr(DataTable, "_render_cell", counted)
    return calls


async def test_a_refill_renders_only_the_cells_that_changed(monkeypatch):
    app = Tables()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        cached = app.query_one("#cached", ContentTable)
        lines(cached)
        calls = count_renders(monkeypatch)
        changed = [ROWS[0], ("payments", Text("311/s"), Text("0.00%"), "eu-2"), *ROWS[2:]]
        for table in app.query(DataTable):
            set_rows(table, changed, [row[0] for row in changed])
        await pilot.pause()
        lines(cached)
        assert calls == [(1, 1)], "one figure changed: one cell rendered"
        assert "311/s" in cached.render_line(2).text
        assert same_pixels(app)


async def test_a_style_alone_changing_is_shown(monkeypatch):
    """Text compares equal when only its style differs: the cache key (and set_rows) must not."""
    app = Tables()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        cached = app.query_one("#cached", ContentTable)
        before = list(cached.render_line(2))
        calm = [ROWS[0], ("payments", Text("310/s"), Text("0.00%", style="bold red"), "eu-2"), *ROWS[2:]]
        for table in app.query(DataTable):
            assert set_rows(table, calm, [row[0] for row in calm]), "a style change is a change"
        await pilot.pause()
        assert list(cached.render_line(2)) != before
        assert same_pixels(app)


async def test_focus_and_cursor_show_as_in_datatable(monkeypatch):
    app = Tables()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        cached = app.query_one("#cached", ContentTable)
        assert same_pixels(app)
        assert rows_in_mouse_data(cached) == [0, 1, 2, 3]
        calls = count_renders(monkeypatch)
        for _visit in range(2):  # as a panel switched away from and back to
            cached.focus()
            await pilot.pause()
            lines(cached)
            app.query_one("#field", Input).focus()
            await pilot.pause()
            lines(cached)
        # Focus tints every row: each cell is rendered once focused (the blurred ones were drawn above),
        # and not again on the second visit.
        assert sorted(calls) == [(row, column) for row in range(-1, 4) for column in range(4)]
        for table in app.query(DataTable):
            table.move_cursor(row=2)
        app.query_one("#plain", DataTable).focus()
        await pilot.pause()
        plain_focused = [list(s) for s in lines(app.query_one("#plain", DataTable))]
        cached.focus()
        await pilot.pause()
        assert [list(s) for s in lines(cached)] == plain_focused, "focused, cursor on row 2: same pixels"
        app.query_one("#field", Input).focus()
        await pilot.pause()
        assert same_pixels(app), "both blurred again: same pixels"


async def test_a_wide_table_repaints_its_scroll_bar_only_when_its_sizes_change(monkeypatch):
    """ScrollView took every layout of the screen for a resize (it compares the screen's virtual size with
    its own): the scroll bar's repaint then came as a frame of its own after each panel switch."""
    from textual.scrollbar import ScrollBar

    app = Tables()
    async with app.run_test(size=(30, 12)) as pilot:
        await pilot.pause()
        cached = app.query_one("#cached", ContentTable)
        assert cached.show_horizontal_scrollbar, "wider than the terminal: it scrolls"
        repaints: list = []
        refresh = ScrollBar.refresh
        monkeypatch.setattr(ScrollBar, "refresh", lambda bar, *a, **k: repaints.append(bar) or refresh(bar, *a, **k))
        app.screen.refresh(layout=True)
        await pilot.pause()
        assert cached.horizontal_scrollbar not in repaints, "laid out again, nothing changed: no repaint"
        before = cached.virtual_size.width
        cached.update_cell("ledger", cached.ordered_columns[0].key, "a much longer service name", update_width=True)
        await pilot.pause()
        assert cached.virtual_size.width > before
        assert cached.horizontal_scrollbar.window_virtual_size == cached.virtual_size.width, "grown: bar follows"


def test_cells_are_measured_as_textual_measures_them():
    """measure_cell gives what textual.render.measure gives (wide characters, several lines, styles, empty)."""
    from rich.console import Console
    from textual.render import measure
    from textual.widgets import _data_table

    from tui.widgets.table import measure_cell

    console = Console(width=80)
    cells = [Text("1,204/s"), Text("日本語 ok"), Text("two\nlines that differ"), Text(""), Text("⚠ bold", "bold")]
    cells += [Text("a  b", justify="right"), "plain str", Text("tab\there")]
    for cell in cells:
        assert measure_cell(console, cell, 1) == measure(console, cell, 1), repr(cell)
    assert _data_table.measure is measure, "DataTable's own measure is back after a ContentTable measured"


class Fresh(App):
    """A table updated in place beside one filled afresh with the same rows."""

    def compose(self) -> ComposeResult:
        yield ContentTable(id="kept", cursor_type="row")
        yield ContentTable(id="fresh", cursor_type="row")

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_columns("service", "rate", "err %", "zone")
        set_rows(self.query_one("#kept", DataTable), ROWS)


async def test_the_same_rows_with_new_figures_are_updated_in_place(monkeypatch):
    """Only changed cells are set; columns widen (and never narrow) as in a refill; cursor and scroll stay."""
    app = Fresh()
    async with app.run_test(size=(24, 16)) as pilot:
        await pilot.pause()
        kept, fresh = app.query_one("#kept", DataTable), app.query_one("#fresh", DataTable)
        kept.move_cursor(row=2)
        kept.scroll_to(x=6, animate=False, immediate=True)
        await pilot.pause()
        assert kept.scroll_x == 6, "wider than the terminal: scrolled right"
        updated: list = []
        update = DataTable.update_cell_at
        monkeypatch.setattr(
            DataTable, "update_cell_at", lambda t, c, *a, **k: updated.append(c) or update(t, c, *a, **k)
        )
        monkeypatch.setattr(DataTable, "clear", lambda *a, **k: pytest.fail("the same rows: no refill"))
        changed = [ROWS[0], ("payments", Text("9/s"), Text("0.00%"), "eu-2"), *ROWS[2:]]
        changed[0] = ("checkout", Text("1,204,000/s"), ROWS[0][2], "eu-1")
        assert set_rows(kept, changed)
        monkeypatch.undo()
        set_rows(fresh, changed)
        await pilot.pause()
        assert sorted(updated) == [(0, 1), (1, 1)]
        assert kept.cursor_row == 2 and kept.scroll_x == 6
        assert [c.content_width for c in kept.ordered_columns] == [c.content_width for c in fresh.ordered_columns]
        kept.scroll_to(x=0, animate=False, immediate=True)
        await pilot.pause()
        assert [s.text for s in lines(kept)] == [s.text for s in lines(fresh)][: kept.size.height], "same text"
        shorter = [(name, Text("1/s"), err, zone) for name, _rate, err, zone in changed]
        set_rows(kept, shorter)
        set_rows(fresh, [])
        set_rows(fresh, shorter)
        await pilot.pause()
        widths = [c.content_width for c in kept.ordered_columns]
        assert widths == [c.content_width for c in fresh.ordered_columns], "as a refill"
        assert widths[1] == len("1,204,000/s"), "shorter figures: the column keeps its width (no jitter)"


async def test_other_rows_are_filled_afresh():
    app = Fresh()
    async with app.run_test(size=(40, 14)) as pilot:
        await pilot.pause()
        kept = app.query_one("#kept", DataTable)
        assert set_rows(kept, ROWS[:3])
        await pilot.pause()
        assert kept.row_count == 3
        assert set_rows(kept, ROWS[:3], ["a", "b", "c"]), "keys changed: filled afresh"
        assert [k.value for k in kept.rows] == ["a", "b", "c"]
