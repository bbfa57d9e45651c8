"""Runbooks: the team's runbook per service, one shown as Markdown. Reading one is journalled.

A runbook may be stale on purpose (the postmortem asks for it to be fixed): the panel shows it as the
team wrote it, and never says which.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Markdown, OptionList, Static
from textual.widgets.option_list import Option

from scenarios.text import clean
from tui.widgets.common import Panel
from tui.widgets.text import plain


class RunbooksPanel(Panel):
    """The list of runbooks on the left (by service), the highlighted one on the right."""

    def compose(self) -> ComposeResult:
        books = self.session.runbooks()
        with Horizontal():
            yield OptionList(
                *(Option(plain(f"{rb.service}: {rb.title}", keep_newlines=False), id=rb.service) for rb in books),
                id="runbook-list",
            )
            with VerticalScroll(id="runbook-page"):
                if books:
                    yield Markdown(id="runbook-body")
                else:
                    yield Static("This team has no runbooks for these services.", id="runbook-none")
        self.shown = ""

    def on_mount(self) -> None:
        if self.session.runbooks():
            self.show(self.session.runbooks()[0].service, journal=False)

    @on(OptionList.OptionHighlighted, "#runbook-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            # Built hidden in the background, the panel highlights its first entry: not a read.
            self.show(event.option.id, journal=bool(self.region))

    def show(self, service: str, journal: bool = True) -> None:
        """Show the runbook of ``service``; a read by the trainee is journalled (investigation path)."""
        book = next((rb for rb in self.session.runbooks() if rb.service == service), None)
        if book is None:
            return
        if service != self.shown:
            self.shown = service
            title, body = clean(book.title), clean(book.body, keep_newlines=True)
            self.query_one("#runbook-body", Markdown).update(f"# {title}\n\n{body}")
            self.query_one("#runbook-page", VerticalScroll).scroll_home(animate=False)
        if journal:
            self.session.look("runbook", service=service)

    def read_shown(self) -> None:
        """The trainee opened the panel on the runbook already shown: that is a read too."""
        if self.shown:
            self.session.look("runbook", service=self.shown)
