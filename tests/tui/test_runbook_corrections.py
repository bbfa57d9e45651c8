"""Runbook corrections in the console: edit on the runbook panel, shown marked edited next time; stale flags."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Markdown, OptionList, TextArea

from simulator.reports.runbook_notes import RunbookNotes
from tui.screens.console import ConsoleScreen
from tui.screens.runbook_editor import RunbookEditor
from tui.session import LocalSession

SIZE = (120, 40)


class ConsoleHost(App):
    def __init__(self, session: LocalSession) -> None:
        super().__init__()
        self.session = session

    def on_mount(self) -> None:
        self.push_screen(ConsoleScreen(self.session))

    def show_debrief(self) -> None:
        pass


def storm() -> LocalSession:
    session = LocalSession.start("retry-storm", seed=1, journal=False)
    session.set_speed(0.0)
    return session


async def open_runbooks(pilot):
    await pilot.pause()
    await pilot.press("r")
    await pilot.pause()
    return pilot.app.screen


async def test_a_corrected_runbook_is_kept_and_shown_edited_in_the_next_incident():
    first = storm()
    book = first.runbooks()[0]
    app = ConsoleHost(first)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runbooks(pilot)
        assert "Stale" not in screen.query_one("#runbook-body", Markdown).source  # read now: not before
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RunbookEditor)
        area = app.screen.query_one("#runbook-edit", TextArea)
        assert area.text.startswith(book.body.strip()[:20])
        area.text = "1. Turn the retry flag off FIRST.\n2. Then scale out."
        await pilot.press("ctrl+s")
        await pilot.pause()
        body = screen.query_one("#runbook-body", Markdown).source
        assert "Edited by you" in body and "Turn the retry flag off FIRST" in body
        listing = screen.query_one("#runbook-list", OptionList)
        assert "[edited]" in str(listing.get_option_at_index(0).prompt)
    note = RunbookNotes.open().note("retry-storm", book.service)
    assert note is not None and note.body.startswith("1. Turn the retry flag off FIRST.")

    nxt = storm()  # the next incident, another console
    app = ConsoleHost(nxt)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runbooks(pilot)
        body = screen.query_one("#runbook-body", Markdown).source
        assert "Edited by you" in body and "Turn the retry flag off FIRST" in body
        assert book.body.strip().splitlines()[0] not in body  # the correction replaces the team's text
        assert "Stale" not in body  # reviewed (corrected) in the incident that used it


async def test_a_runbook_read_in_an_incident_and_never_reviewed_is_flagged_stale_next_time():
    first = storm()
    books = first.runbooks()
    app = ConsoleHost(first)
    async with app.run_test(size=SIZE) as pilot:
        await open_runbooks(pilot)  # reads the first runbook
    app = ConsoleHost(storm())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runbooks(pilot)
        body = screen.query_one("#runbook-body", Markdown).source
        assert "Stale" in body and "not reviewed since" in body
        listing = screen.query_one("#runbook-list", OptionList)
        assert "[stale]" in str(listing.get_option_at_index(0).prompt)
        assert "[stale]" not in str(listing.get_option_at_index(1).prompt)  # never read: nothing to review
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")  # unchanged: a review
        await pilot.pause()
        assert "Stale" not in screen.query_one("#runbook-body", Markdown).source
        assert books[0].body.strip().splitlines()[0] in screen.query_one("#runbook-body", Markdown).source
