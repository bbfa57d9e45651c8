"""A screen's timer callbacks do nothing once the screen is being taken down (tui.screens.lifecycle)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tui.screens.lifecycle import taken_down, while_shown


class Board(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="line")

    @while_shown
    def refresh_line(self) -> None:
        self.query_one("#line", Static).update("read")
        self.reads += 1

    @while_shown
    async def refresh_later(self) -> None:
        self.query_one("#line", Static).update("read")
        self.reads += 1


class Host(App):
    def on_mount(self) -> None:
        self.push_screen(Board())


async def test_a_screen_being_taken_down_reads_nothing_on_its_timers():
    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        board = app.screen
        assert isinstance(board, Board) and not taken_down(board)
        board.refresh_line()
        await board.refresh_later()
        assert board.reads == 2
        app._prune(board)  # what a switch to the next screen starts with: the children go first
        assert taken_down(board)
        board.refresh_line()  # unguarded, this raised NoMatches (the line is gone)
        await board.refresh_later()
        assert board.reads == 2


def test_the_guard_keeps_the_callbacks_name_and_kind():
    assert Board.refresh_line.__name__ == "refresh_line"
    import inspect

    assert inspect.iscoroutinefunction(Board.refresh_later)
    assert not inspect.iscoroutinefunction(Board.refresh_line)


class Keeper(App):
    """Installs the board and leaves it for another screen, as a shift does with an incident console."""

    def on_mount(self) -> None:
        self.install_screen(Board(), "board")
        self.push_screen("board")


async def test_an_installed_screen_off_the_stack_reads_nothing_while_the_app_shuts_down():
    app = Keeper()
    async with app.run_test() as pilot:
        await pilot.pause()
        board = app.get_screen("board")
        app.pop_screen()
        await pilot.pause()
        board.refresh_line()  # off the stack but running: it still reads
        assert board.reads == 1
        # At shutdown Textual closes such a screen's nodes one by one, in no order, while its timers run:
        app._running = False
        await board.query_one("#line").remove()
        board.refresh_line()  # unguarded: NoMatches, the line is gone
        assert board.reads == 1
        app._running = True  # let run_test's own shutdown go as usual
