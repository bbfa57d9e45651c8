"""A multi-line log entry (a JVM stack trace) is one row in the log view: a query matches any of its lines,
the row shows its first line and the frames that fit, `v` shows the whole trace wrapped; hostile text in
it is still shown as data."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll
from visible_text import screen_text

from simulator.views import LogRecord
from tests.tui.console_host import ConsoleHost as Host
from tui.screens.row_detail import RowDetailScreen
from tui.session import LocalSession
from tui.widgets.log_buffer import CHUNK, CONTINUED, LogBuffer, LogQuery
from tui.widgets.log_view import LogView

HOSTILE = (
    "java.lang.IllegalStateException: [bold red]pwned[/] \x1b]0;title\x07\x1b[31mred\r\n"
    "\tat com.shop.cart.CartController.add(CartController.java:42)\n"
    "Caused by: java.io.IOException: [link=http://evil]click[/link]\n"
    "\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:331)\n"
    "\t... 12 more"
)


def record(message: str, t: float = 1.0, trace: str = "") -> LogRecord:
    return LogRecord(t, "ERROR", "cart", "v1", "zone-a", "cart-abc-1", message, trace)


def test_a_stack_trace_is_one_row_whose_query_matches_any_of_its_lines():
    buffer = LogBuffer()
    buffer.extend([record("GET /api/cart 200 3ms"), record(HOSTILE, trace="ab" * 16), record("done")])
    assert len(buffer) == 3
    row = buffer.line(1)
    assert "\n" not in row and "\x1b" not in row and "\x07" not in row
    assert row.endswith(f"[bold red]pwned[/] red{CONTINUED}+4 lines trace={'ab' * 16}")
    assert buffer.filter(LogQuery(text="caused by: java.io")) == [1], "a query matches any line of an entry"
    assert buffer.filter(LogQuery(text="NioSocketImpl.implRead")) == [1]
    assert buffer.filter(LogQuery(text="pwned")) == [1]
    assert buffer.filter(LogQuery(trace_id="ab" * 16, text="12 more")) == [1]
    assert buffer.filter(LogQuery(service="cart", text="cartcontroller.add")) == [1]
    assert buffer.filter(LogQuery(text="12 more", service="nobody")) == []
    body = buffer.body(1)
    assert body is not None and body.split("\n")[1] == "    at com.shop.cart.CartController.add(CartController.java:42)"
    assert "\x1b" not in body and "\r" not in body and body.count("\n") == 4
    assert buffer.body(0) is None and buffer.body(2) is None


def test_bodies_are_shared_and_leave_with_their_chunk():
    buffer = LogBuffer(capacity=CHUNK)
    buffer.extend(record(HOSTILE if i % 2 else "plain", t=i) for i in range(2 * CHUNK))
    assert buffer.base == CHUNK
    assert buffer.multi_line_count == CHUNK // 2
    assert buffer.body(CHUNK - 1) is None and buffer.body(CHUNK + 1) == buffer.body(2 * CHUNK - 1)
    assert buffer.distinct_tails == 1, "every entry of the same trace shares one tail"
    assert buffer.filter(LogQuery(text="caused by")) == list(range(CHUNK + 1, 2 * CHUNK, 2))


@pytest.fixture(scope="module")
def session() -> LocalSession:
    s = LocalSession.start("db-pool-exhaustion", seed=3, journal=False)
    s.set_speed(0.0)
    s.sim.run_until(1500)
    return s


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_pool_timeout_trace_reads_as_one_row_and_opens_whole(session, size):
    entry = next(r for r in reversed(session.logs(service="orders")) if "HikariPool-1" in r.message)
    lines = entry.message.split("\n")
    assert len(lines) > 10
    app = Host(session)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("logs")
        await pilot.pause()
        view = screen.query_one(LogView)
        screen.panel("logs").ingest()
        screen.panel("logs").run_query(LogQuery(service="orders", text="HikariPool.createTimeoutException"))
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert view.visible_count >= 1
        found = [view._absolute(i) for i in range(view.visible_count)]
        assert all("HikariPool.createTimeoutException" in (view.buffer.body(i) or "") for i in found), "on a frame"
        assert all("HikariPool.createTimeoutException" not in view.buffer.line(i) for i in found), "not in the row"
        assert all(f"{CONTINUED}+{len(lines) - 1} lines" in view.buffer.line(i) for i in found)
        view.cursor = view.visible_count - 1
        view.focus()
        await pilot.pause()
        shown = screen_text(app)
        assert lines[0][: size[0] // 3] in shown.replace("\n", "") or "CannotGetJdbcConnectionException" in shown
        await pilot.press("v")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, RowDetailScreen)
        assert detail.detail.text.split("\n")[0] == lines[0]
        assert detail.detail.text.count("\n") == len(lines) - 1, "every line of the trace, one per line"
        assert "Caused by: java.sql.SQLTransientConnectionException" in detail.detail.text
        shown = screen_text(app)
        assert "    at org.springframework.jdbc.datasource.DataSourceUtils.getConnecti" in shown, (
            "a frame folds at the edge, it does not wrap after 'at'"
        )
        scroll = detail.query_one(VerticalScroll)
        while "Caused by: java.sql" not in screen_text(app).replace("\n", " ") and not scroll.is_vertical_scroll_end:
            scroll.scroll_page_down(animate=False)
            await pilot.pause()
        assert "Caused by: java.sql" in screen_text(app).replace("\n", " "), "reachable by scrolling the detail"


async def test_hostile_text_in_a_trace_is_shown_as_data(session):
    app = Host(session)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("logs")
        await pilot.pause()
        view = screen.query_one(LogView)
        view.append([record(HOSTILE, t=2000.0)])
        screen.panel("logs").run_query(LogQuery(text="pwned"))
        await screen.workers.wait_for_complete()
        view.cursor = 0
        view.focus()
        await pilot.pause()
        assert "[bold red]pwned[/]" in screen_text(app), "markup shows as the characters it is"
        await pilot.press("v")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]pwned[/]" in text and "[link=http://evil]click[/link]" in text
        assert "\x1b" not in app.screen.detail.text and "title" not in app.screen.detail.text
