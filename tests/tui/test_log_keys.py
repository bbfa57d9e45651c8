"""The log view's keys move its line cursor and its scroll together: Home, Page down, End."""

from __future__ import annotations

from textual.app import App, ComposeResult

from simulator.views import LogRecord
from tui.widgets.log_view import LogView


class LogsOnly(App):
    def compose(self) -> ComposeResult:
        yield LogView(id="logs")


async def test_home_then_page_down_reads_on_from_the_oldest_line():
    app = LogsOnly()
    async with app.run_test(size=(100, 24)) as pilot:
        view = app.query_one(LogView)
        view.append(
            [LogRecord(float(t), "INFO", "cart", "v1", "zone-a", "cart-1", f"line {t}", "") for t in range(500)]
        )
        view.focus()
        await pilot.pause()
        assert view.following and view._cursor_row() == 499
        await pilot.press("home")
        assert not view.following and view._cursor_row() == 0 and view.scroll_offset.y == 0
        await pilot.press("pagedown")  # once jumped back to the newest line: the cursor had stayed there
        assert view._cursor_row() == 20 and view.scroll_offset.y <= 20
        assert "line 20" in view.selected()[0]
        await pilot.press("end")
        assert view.following and view._cursor_row() == 499
