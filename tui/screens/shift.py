"""The shift board: what has arrived (pages, tickets, noise, incidents), the clock, and the way into each
incident's console; and the shift report at the end.

The board re-reads the shift on a timer and rebuilds its small table; it holds no shift logic: keys
become steps applied through the :class:`tui.shift_session.ShiftDriver`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from scenarios.durations import format_clock, format_duration
from scenarios.language.actions import Ack
from scenarios.text import clean
from simulator.shift import HANDOFF_SECTIONS, CloseTicket, ShiftStep, pace_of, shift_report
from simulator.views import IncidentRecord, PageView
from tui.screens.lifecycle import while_shown
from tui.shift_session import ShiftDriver
from tui.shift_text import print_shift_report

REFRESH_SECONDS = 0.5


WHAT_WIDTH = 62
"""Characters of a row's description shown, so the status column stays on screen at 120 columns."""


def short(text: str) -> Text:
    """A row's description, cleaned and cut to WHAT_WIDTH."""
    text = clean(text)
    return Text(text if len(text) <= WHAT_WIDTH else text[: WHAT_WIDTH - 1] + "…")


def incident_name(records: Sequence[IncidentRecord], pages: Sequence[PageView]) -> str:
    """An incident on the board, named by what fired: the alert that paged first if one did (a ticket may
    fire first), else the first alert, and how many more fired."""
    paged = {p.number: p.alert for p in pages}
    lead = next((paged[n] for r in records for n in r.pages if n in paged), records[0].alerts[0])
    more = sum(len(r.alerts) for r in records) - 1
    return lead + (f" (+{more} more alert{'s' if more > 1 else ''})" if more else "")


class ShiftBoard(Screen):
    """Incoming pages and tickets of the shift; enter opens an incident's console."""

    DEFAULT_CSS = """
    ShiftBoard #shift-status { height: 1; padding: 0 1; background: $panel; }
    ShiftBoard #inbox { height: 1fr; }
    ShiftBoard #shift-notes { height: auto; max-height: 12; border-top: solid $primary 50%; padding: 0 1; }
    """

    BINDINGS = [
        Binding("enter", "open_incident", "Open incident", id="shift.open"),
        Binding("a", "ack", "Ack page", id="shift.ack"),
        Binding("c", "close_ticket", "Close ticket", id="shift.close_ticket"),
        Binding("n", "skip_quiet", "Skip quiet time", id="shift.skip"),
        Binding("space", "toggle_pause", "Pause/resume", id="shift.pause"),
        Binding("h", "handoff", "Handoff note", id="shift.handoff"),
        Binding("e", "end_shift", "End shift", id="shift.end"),
    ]

    def __init__(self, driver: ShiftDriver, previous: dict[str, Any] | None = None, follow_ups: str = "") -> None:
        super().__init__()
        self.driver = driver
        self.previous = previous
        self.follow_ups = follow_ups
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="shift-status")
        table: DataTable = DataTable(id="inbox", cursor_type="row", zebra_stripes=True)
        table.add_columns("TIME", "KIND", "#", "PRI", "WHAT", "STATUS")
        yield table
        with VerticalScroll(id="shift-notes"):
            yield Static(self._notes(), id="notes-text")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_board()
        self.set_interval(REFRESH_SECONDS, self.refresh_board)
        self.query_one(DataTable).focus()

    def _notes(self) -> Text:
        out = Text()
        if self.previous is not None:
            out.append("Handoff from the previous shift\n", style="bold")
            note = self.previous.get("note")
            if note is None:
                out.append("  (no handoff note was written)\n", style="yellow")
            else:
                for section in HANDOFF_SECTIONS:
                    for line in note[section]:
                        out.append(f"  {section.replace('_', ' ')}: ", style="dim")
                        out.append(clean(line) + "\n")
            left = [f"incident #{i['number']} {i['scenario']}" for i in self.previous.get("open_incidents", [])]
            left += [f"ticket #{n}" for n in self.previous.get("open_tickets", [])]
            if left:
                out.append("  left open when that shift ended: ", style="dim")
                out.append(clean(", ".join(left)) + "\n")
        if self.follow_ups:
            out.append(clean(self.follow_ups))
        if not out.plain:
            out.append(
                "enter opens the console of the selected incident (or of a page's incident); ctrl+t comes back "
                "here. n skips quiet time; h writes the handoff note before the shift ends.",
                style="dim",
            )
        return out

    # --- refresh -----------------------------------------------------------------------------

    @while_shown
    def refresh_board(self) -> None:
        """Re-read the shift: the status line and, when something changed, the inbox."""
        shift = self.driver.shift
        pages = shift.pages
        status = Text()
        status.append(f"shift {format_clock(shift.now)} / {format_clock(shift.length)}  ", style="bold")
        if shift.plan.starts_at:
            # Follow-the-sun: the on-call clock goes on from where the previous shift handed over.
            status.append(f"on-call clock {format_clock(shift.plan.starts_at + shift.now)}  ")
        status.append("PAUSED  " if self.driver.paused else f"{self.driver.speed:g}x  ")
        status.append(f"pages {len(pages)} (load: {pace_of(len(pages))})  ")
        status.append(f"open incidents {len(shift.known_incidents())}  ")
        status.append(f"open tickets {sum(1 for t in shift.tickets if t.closed_at is None)}  ")
        status.append(f"policy {shift.policy.name}")
        self.query_one("#shift-status", Static).update(status)
        rows = self._rows()
        key = tuple((r[0], r[-1]) for r in rows)
        if key == self._shown:
            return
        self._shown = key
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for row_key, cells in rows:
            table.add_row(*cells, key=row_key)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        if shift.finished:
            self.app.show_shift_report()

    def _rows(self) -> list[tuple[str, tuple]]:
        shift = self.driver.shift
        rows: list[tuple[float, str, tuple]] = []
        for run in shift.runs:
            if not run.detected:
                continue  # nothing shows it yet: the on-call learns of an incident from its alerts
            state = "resolved" if run.resolved else ("time up" if run.over else "OPEN")
            if run.handed_over:
                at, arrived = run.offset, "handed over"
                what = short(f"{run.scenario.title} ({run.scenario.slo.service}, from the previous shift)")
            else:
                # Named by what fired, as a pager names it: the scenario's title would tell the on-call
                # what is wrong before any tool does.
                records = run.sim.incidents()
                at = run.shift_time(min(r.opened_at for r in records))
                arrived = format_clock(at)
                what = short(incident_name(records, run.sim.pages()))
            severity = run.sim.incident_view().severity or "-"
            cells = (arrived, "incident", str(run.number), severity, what, state)
            rows.append((at, f"incident:{run.number}", cells))
        for page in shift.pages:
            if page.acked_at is not None:
                state = f"acked +{format_duration(page.acked_at - page.t)}"
            elif page.stopped:
                state = "stopped"
            elif page.exhausted_at is not None:
                state = "UNANSWERED"
            else:
                state = "PAGING" + (" (escalated)" if page.escalated else "")
            where = f" [incident #{page.incident}]" if page.incident else ""
            cells = ("", "page", str(page.number), page.priority, short(page.title + where), state)
            rows.append((page.t, f"page:{page.number}", (format_clock(page.t), *cells[1:])))
        for ticket in shift.tickets:
            state = "closed" if ticket.closed_at is not None else "open"
            what = short(f"{ticket.service}: {ticket.title}")
            rows.append(
                (
                    ticket.t,
                    f"ticket:{ticket.number}",
                    (format_clock(ticket.t), "ticket", str(ticket.number), "P3", what, state),
                )
            )
        for alert in shift.noise_alerts:
            what = short(f"{alert.service}: {alert.title}")
            rows.append(
                (alert.t, f"alert:{alert.number}", (format_clock(alert.t), "alert", str(alert.number), "-", what, ""))
            )
        rows.sort(key=lambda r: r[0], reverse=True)
        return [(key, cells) for _, key, cells in rows]

    # --- keys --------------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table takes the key itself): open its incident."""
        event.stop()
        self.action_open_incident()

    def _selected(self) -> tuple[str, int] | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        kind, _, number = key.partition(":")
        return kind, int(number)

    def action_open_incident(self) -> None:
        """Open the console of the selected incident (or the incident of the selected page)."""
        selected = self._selected()
        number = None
        if selected is not None and selected[0] == "incident":
            number = selected[1]
        elif selected is not None and selected[0] == "page":
            number = self.driver.shift.pages[selected[1] - 1].incident
        elif selected is not None and selected[0] == "ticket":
            number = self.driver.shift.tickets[selected[1] - 1].incident
        if number is None:
            self.notify("Select an incident, or a page of one.", severity="warning")
            return
        self.app.open_incident(number)

    def action_ack(self) -> None:
        """Acknowledge the selected page (every open page when no page is selected)."""
        selected = self._selected()
        page = selected[1] if selected is not None and selected[0] == "page" else None
        result = self.driver.apply(ShiftStep(self.driver.shift.now, Ack(action="ack", page=page)))
        self.notify(clean(result.message), severity="information" if result.accepted else "warning", markup=False)
        self.refresh_board()

    def action_close_ticket(self) -> None:
        """Close the selected ticket."""
        selected = self._selected()
        if selected is None or selected[0] != "ticket":
            self.notify("Select a ticket to close.", severity="warning")
            return
        step = ShiftStep(self.driver.shift.now, CloseTicket(action="close_ticket", ticket=selected[1]))
        result = self.driver.apply(step)
        self.notify(clean(result.message), severity="information" if result.accepted else "warning", markup=False)
        self.refresh_board()

    def action_skip_quiet(self) -> None:
        """Jump ahead to the next arrival."""
        self.driver.skip_quiet()
        self.refresh_board()

    def action_toggle_pause(self) -> None:
        """Pause or resume the shift clock."""
        self.driver.paused = not self.driver.paused
        self.refresh_board()

    def action_handoff(self) -> None:
        """Write the handoff note for the next shift."""
        self.app.write_handoff()

    def action_end_shift(self) -> None:
        """End the shift now and see the report."""
        self.app.end_shift()


class ShiftReportScreen(Screen):
    """The shift report, as ``misfortune shift`` prints it."""

    DEFAULT_CSS = """
    ShiftReportScreen VerticalScroll { padding: 0 1; }
    """

    BINDINGS = [Binding("q", "app.quit", "Quit", id="shift_report.quit")]

    def __init__(self, driver: ShiftDriver) -> None:
        super().__init__()
        self.driver = driver

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._report(), id="report-text")
        yield Footer()

    def _report(self) -> Text:
        # The command line's renderer, so the TUI and `misfortune shift` say the same thing.
        console = Console(record=True, width=max(self.app.size.width - 4, 60), file=_Null())
        print_shift_report(console, shift_report(self.driver.shift), self.driver.shift)
        if self.driver.journal_path:
            console.print(f"journal: {self.driver.journal_path}")
            console.print(f"next shift: misfortune shift --after {self.driver.journal_path}")
        return Text.from_ansi(console.export_text(styles=True))


class _Null:
    """A file that swallows what the recording console writes."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None
