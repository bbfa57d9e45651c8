"""Runbooks: the team's runbook per service, one shown as Markdown. Reading one is journalled.

A runbook may be stale on purpose (the postmortem asks for it to be fixed): the panel shows it as the
team wrote it, and never says which. The trainee can correct one (``e``): the correction is kept in
their data dir (simulator.reports.runbook_notes) and shown, marked as edited, whenever that runbook is
opened again. A runbook an earlier incident read and nobody reviewed afterwards (or last reviewed long
ago) is flagged stale: that comes from the trainee's own record, never from the scenario's answer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from scenarios.text import clean
from simulator.reports import RunbookNoteError, RunbookNotes, ShownRunbook, shown_runbook
from tui.widgets.common import Panel
from tui.widgets.markdown import Markdown
from tui.widgets.option_list import SteadyOptionList
from tui.widgets.text import plain


class RunbooksPanel(Panel):
    """The list of runbooks on the left (by service), the highlighted one on the right."""

    BINDINGS = [Binding("e", "edit", "Correct this runbook", id="runbooks.edit")]

    def compose(self) -> ComposeResult:
        books = self.session.runbooks()
        self.opened = datetime.now(UTC)
        """When this console opened: reads before it were earlier incidents."""
        self.notes = RunbookNotes.open()
        self.scenario = self.session.briefing().scenario_id
        with Horizontal():
            yield SteadyOptionList(*(self._option(rb) for rb in books), id="runbook-list")
            with VerticalScroll(id="runbook-page"):
                if books:
                    yield Markdown(id="runbook-body")
                else:
                    yield Static("This team has no runbooks for these services.", id="runbook-none")
        self.shown = ""

    def on_mount(self) -> None:
        if self.notes.problem:
            self.notify(clean(self.notes.problem), title="Runbook corrections", severity="warning", markup=False)
        # The body is absent if the panel was torn down mid-mount (the app closing while pre-warming).
        if self.session.runbooks() and self.query("#runbook-body"):
            self.show(self.session.runbooks()[0].service, journal=False)

    def _view(self, book) -> ShownRunbook:
        note = self.notes.note(self.scenario, book.service)
        return shown_runbook(book.title, book.body, note, self.opened, datetime.now(UTC))

    def _option(self, book) -> Option:
        view = self._view(book)
        marks = (" [edited]" if view.edited_at else "") + (" [stale]" if view.stale else "")
        return Option(plain(f"{book.service}: {book.title}{marks}", keep_newlines=False), id=book.service)

    @on(OptionList.OptionHighlighted, "#runbook-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            # Built hidden in the background, the panel highlights its first entry: not a read; nor is
            # the list re-labelled after a correction.
            self.show(event.option.id, journal=bool(self.region) and event.option.id != self.shown)

    def show(self, service: str, journal: bool = True, force: bool = False) -> None:
        """Show the runbook of ``service``; a read by the trainee is journalled (investigation path)."""
        book = next((rb for rb in self.session.runbooks() if rb.service == service), None)
        if book is None:
            return
        if service != self.shown or force:
            self.shown = service
            self.query_one("#runbook-body", Markdown).update(_markdown(self._view(book)))
            self.query_one("#runbook-page", VerticalScroll).scroll_home(animate=False)
        if journal:
            self.session.look("runbook", service=service)
            self._used(service)

    def read_shown(self) -> None:
        """The trainee opened the panel on the runbook already shown: that is a read too."""
        if self.shown:
            self.session.look("runbook", service=self.shown)
            self._used(self.shown)

    def _used(self, service: str) -> None:
        """This incident read the runbook: it wants a review afterwards (kept in the user's data)."""
        try:
            self.notes.used(self.scenario, service, self.opened, datetime.now(UTC))
            self.notes.save()
        except (OSError, RunbookNoteError):
            pass  # the flag is a reminder; the incident goes on without it

    def action_edit(self) -> None:
        """Open the runbook shown in the editor; its correction is kept for next time."""
        book = next((rb for rb in self.session.runbooks() if rb.service == self.shown), None)
        if book is None:
            self.notify("No runbook to correct here.", severity="warning")
            return
        current = self._view(book).body
        # Imported here, not with the panel: its TextArea (and Textual's document and syntax modules) is
        # ~0.5 MB a console would otherwise hold all session for a key few trainees press (~15 ms once).
        from tui.screens.runbook_editor import RunbookEditor

        self.app.push_screen(RunbookEditor(book.service, book.title, current), lambda text: self._save(book, text))

    def _save(self, book, text: str | None) -> None:
        if text is None:
            return
        try:
            note = self.notes.correct(self.scenario, book.service, book.body, text, datetime.now(UTC))
            self.notes.save()
        except RunbookNoteError as err:
            self.notify(clean(str(err)), title="Runbook not saved", severity="error", markup=False)
            return
        except OSError as err:
            self.notify(clean(f"{self.notes.path}: {err}"), title="Runbook not saved", severity="error", markup=False)
            return
        said = "Correction kept: it shows, marked edited, next time" if note.body else "Marked reviewed (no change)"
        self.notify(f"{said} ({clean(book.service)}).", title="Runbook", markup=False)
        self._relabel()
        self.show(book.service, journal=False, force=True)

    def _relabel(self) -> None:
        listing = self.query_one("#runbook-list", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        listing.add_options([self._option(rb) for rb in self.session.runbooks()])
        if highlighted is not None:
            listing.highlighted = highlighted


def _markdown(view: ShownRunbook) -> str:
    """The page: title, the edited and stale marks, the text (all of it cleaned: it is data)."""
    lines = [f"# {clean(view.title)}", ""]
    if view.edited_at:
        lines.append(
            f"> ✎ **Edited by you** on {clean(view.edited_at[:10])}: your correction replaces the team's text."
        )
        if view.team_changed:
            lines.append(">\n> The team's runbook has changed since; check your correction against it.")
        lines.append("")
    if view.stale:
        lines += [f"> ⚠ **Stale**: {clean(view.stale)}. Review it (e) when the incident is over.", ""]
    lines.append(clean(view.body, keep_newlines=True))
    return "\n".join(lines)
