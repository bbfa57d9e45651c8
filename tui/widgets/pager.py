"""Pager: the incidents (alerts grouped, with status, severity and roles), pages with age, acknowledgement
and escalation, firing and pending alerts."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from scenarios.durations import format_clock
from scenarios.text import clean
from tui.widgets.common import Panel, fmt_age, set_rows, show
from tui.widgets.table import ContentTable
from tui.widgets.tool_banner import ToolBanner

INCIDENT_STYLES = {
    "escalated": "$text-error bold reverse",
    "triggered": "$text-error bold",
    "acknowledged": "$text-warning bold",
    "mitigated": "$text-accent bold",
    "resolved": "$text-success",
}
"""How each incident status reads in the incidents table."""
ROLE_COLUMNS = (("imoc", "IC"), ("comms", "comms"), ("tloc", "ops"))
"""The incident roles shown as columns (action vocabulary role, column title)."""
INCIDENTS_TITLE = "Incidents  [s] severity  [p] who holds each role  [v] read whole"
"""The incidents table's title: the keys that act on the incident highlighted in it."""
NEXT_STEP = {
    "escalated": "#{n} escalated to the secondary: acknowledge its page now (a).",
    "triggered": "#{n} is triggered: acknowledge its page (a), then size it (s).",
    "unpaged": "#{n} has paged nobody yet (its alerts so far are tickets): look at what fired, size it (s).",
    "acknowledged": "#{n} is acknowledged: size it (s), name roles (p), post a status update (o).",
    "mitigated": "#{n}: alerts quiet and the SLI has held. Declare it resolved once its cause is gone (x).",
    "resolved": "#{n} is resolved: the cause is gone and the SLI recovered.",
}
"""What the highlighted incident's status asks of the trainee next (from the status, never the cause)."""
PAGING = ("escalated", "triggered")
"""Steps that ask for a page to be acknowledged."""
OTHER_PAGING = "#{n} is paging you: acknowledge it (a). "
"""Said before the step of the incident in view when another one's page waits."""
NO_INCIDENT = "No incident yet: one opens when an alert fires, with the alerts that fire for the same cause."


class PagerPanel(Panel):
    """Incidents (each with its status, severity, roles, alerts and age), pages and alerts; on the console
    `a` acknowledges every open page, `s` and `p` open the severity and role forms on the incident
    highlighted here."""

    class IncidentInView(Message):
        """The incident highlighted in the incidents table changed: forms default to it."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    def compose(self) -> ComposeResult:
        yield Label(INCIDENTS_TITLE, id="incidents-title", classes="panel-title", markup=False)
        yield Static(NO_INCIDENT, id="incident-none", markup=False)
        yield ContentTable(id="incidents", cursor_type="row", zebra_stripes=True)
        yield Static("", id="incident-next", markup=False)
        yield ToolBanner(("alerting", "pager"), id="pager-tools")
        yield Label(
            "Pages  [a] acknowledge  [v] read a row whole", id="pages-title", classes="panel-title", markup=False
        )
        yield ContentTable(id="pages", cursor_type="row", zebra_stripes=True)
        yield Label("Alerts", classes="panel-title", markup=False)
        yield ContentTable(id="alerts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for widget in self.query("#incidents").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("#", "status", "sev", *(title for _, title in ROLE_COLUMNS), "age", "alerts")
        for widget in self.query("#pages").results(DataTable):
            widget.add_columns("#", "alert", "sev", "sent", "age", "state", "to")
        for widget in self.query("#alerts").results(DataTable):
            widget.add_columns("alert", "service", "sev", "state", "since", "summary")

    def refresh_from_session(self) -> None:
        self.query_one(ToolBanner).show(self.session)
        now = self.session.now
        rows = []
        for p in sorted(self.session.pages(), key=lambda p: -p.number):
            if p.acked_at is not None:
                state = self.tone(f"acked {fmt_age(p.acked_at - p.t)}", "$text-success")
            elif p.escalated_at is not None:
                state = self.tone("ESCALATED to secondary", "$text-error bold")
            else:
                state = self.tone("OPEN", "$text-warning bold")
            rows.append((str(p.number), p.alert, p.severity, format_clock(p.t), fmt_age(now - p.t), state, p.to))
        set_rows(self.query_one("#pages", DataTable), rows)
        alerts = []
        for a in self.session.alert_list(include_resolved=True):
            style = {"firing": "$text-error bold", "pending": "$text-warning"}.get(a.state, "$text-muted")
            alerts.append((a.name, a.service, a.severity, self.tone(a.state, style), fmt_age(now - a.since), a.summary))
        set_rows(self.query_one("#alerts", DataTable), alerts)
        self._show_incidents(now)

    def _show_incidents(self, now: float) -> None:
        """A row per incident: number, status (from the simulated system), severity, role holders, age, alerts."""
        incidents = self.session.incidents()
        rows = []
        for incident in incidents:
            # Still triggered, and nobody acknowledged in time: the page went on to the secondary.
            status = "ESCALATED" if incident.escalated and incident.status == "triggered" else incident.status.upper()
            holders = dict(incident.roles)
            alerts = ", ".join(incident.alerts)
            if incident.firing:
                alerts = f"{incident.firing} firing: {alerts}"
            rows.append(
                (
                    str(incident.number),
                    self.tone(status, INCIDENT_STYLES.get(status.lower(), "bold")),
                    incident.severity or "not set",
                    *(holders.get(role) or "nobody" for role, _ in ROLE_COLUMNS),
                    fmt_age(now - incident.opened_at),
                    alerts,
                )
            )
        table = self.query_one("#incidents", DataTable)
        table.display = bool(rows)
        self.query_one("#incident-none", Static).display = not rows
        set_rows(table, rows, [str(i.number) for i in incidents])
        self._show_next_step()

    def _show_next_step(self) -> None:
        """One line under the table: what the highlighted incident's status asks for next."""
        number = self.incident_in_view()
        incidents = self.session.incidents()
        incident = next((i for i in incidents if i.number == number), None)
        line = self.query_one("#incident-next", Static)
        line.display = incident is not None
        if incident is not None:
            status = _step(incident)
            text = NEXT_STEP[status].format(n=incident.number)
            if status not in PAGING:
                # Another incident's page waits while the one in view asks for less: say so first (`a`
                # acknowledges every open page, whichever incident is highlighted).
                paging = next((i for i in incidents if i.number != number and _step(i) in PAGING), None)
                if paging is not None:
                    text = OTHER_PAGING.format(n=paging.number) + text
            show(line, text)

    def incident_in_view(self) -> int:
        """The incident highlighted in the table (0 when there is none)."""
        table = self.query_one("#incidents", DataTable)
        if not table.row_count:
            return 0
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return int(key or 0)

    @on(DataTable.RowHighlighted, "#incidents")
    def _incident_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key:
            self.post_message(self.IncidentInView(int(key)))
            self._show_next_step()


def _step(incident) -> str:
    """The NEXT_STEP key for an incident: a triggered one with no page has nothing to acknowledge."""
    if incident.status != "triggered":
        return incident.status
    return "escalated" if incident.escalated else "triggered" if incident.pages else "unpaged"


class SideSummary(Static):
    """The wide layout's always-visible column: open pages, firing alerts, operations, hints."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._last: Content | None = None

    def show(self, session) -> None:
        now = session.now
        parts: list = [Content.styled("PAGER\n", "bold $text-accent")]
        pages = sorted(session.pages(), key=lambda p: -p.number)
        for p in pages[:6]:
            if p.acked_at is not None:
                parts.append(Content.styled(f"#{p.number} acked  {clean(p.alert)}\n", "$text-muted"))
            else:
                style = "$text-error bold" if p.escalated_at is not None else "$text-warning bold"
                tag = "ESCALATED" if p.escalated_at is not None else "OPEN"
                parts.append(Content.styled(f"#{p.number} {tag} {fmt_age(now - p.t)} {clean(p.alert)}\n", style))
        if not pages:
            parts.append(Content.styled("no pages\n", "$text-muted"))
        parts.append(Content.styled("\nALERTS\n", "bold $text-accent"))
        firing = [a for a in session.alert_list(include_resolved=False) if a.state in ("firing", "pending")]
        for a in firing[:6]:
            style = "$text-error" if a.state == "firing" else "$text-warning"
            parts.append(Content.styled(f"{a.state:<7} {clean(a.name)}\n", style))
        if not firing:
            parts.append(Content.styled("none firing\n", "$text-muted"))
        ops = [o for o in session.operation_list() if o.finished_at is None]
        parts.append(Content.styled("\nIN FLIGHT\n", "bold $text-accent"))
        for o in ops[:5]:
            parts.append(clean(f"{o.kind} {o.service} {o.done}/{o.total}") + "\n")
        if not ops:
            parts.append(Content.styled("nothing\n", "$text-muted"))
        hints = session.incident_view().hints
        if hints:
            parts.append(Content.styled("\nHINTS\n", "bold $text-warning"))
            for _, text in hints[-3:]:
                parts.append(f"{clean(text)}\n")
        content = Content.assemble(*parts)
        if content != self._last:
            self._last = content
            self.update(content)
