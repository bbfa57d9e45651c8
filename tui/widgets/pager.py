"""Pager: pages with severity, age, acknowledgement and escalation; firing and pending alerts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Label, Static

from scenarios.durations import format_clock
from scenarios.text import clean
from simulator.incident import group_incidents, incident_summary
from tui.widgets.common import Panel, fmt_age, set_rows
from tui.widgets.tool_banner import ToolBanner


class PagerPanel(Panel):
    """Pages (newest first) and alerts; `a` on the console acknowledges every open page."""

    def compose(self) -> ComposeResult:
        yield Static("", id="incident-summary")
        yield ToolBanner(("alerting", "pager"), id="pager-tools")
        yield Label("Pages  [a] acknowledge  [v] read a row whole", classes="panel-title", markup=False)
        yield DataTable(id="pages", cursor_type="row", zebra_stripes=True)
        yield Label("Alerts", classes="panel-title", markup=False)
        yield DataTable(id="alerts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for widget in self.query("#pages").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("#", "alert", "sev", "sent", "age", "state", "to")
        for widget in self.query("#alerts").results(DataTable):  # absent if torn down mid-mount
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
        self._show_incident()

    def _show_incident(self) -> None:
        """One line for the incident that groups the alerts: status, severity, alerts, roles."""
        s = self.session
        summary = incident_summary(s.incident_view(), s.alert_list(include_resolved=True), s.pages())
        style = {"escalated": "bold red", "paged": "bold yellow", "resolved": "green"}.get(summary.status, "")
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Incident ", style="bold")
        line.append(summary.status.upper(), style=style or "bold")
        line.append(f" · {summary.severity or 'severity not set'}")
        if summary.alerts:
            more = f" (+{len(summary.alerts) - 1})" if len(summary.alerts) > 1 else ""
            line.append(f" · {len(summary.alerts)} alert(s): {summary.alerts[0]}{more}")
        if summary.roles:
            line.append(" · " + ", ".join(f"{role.upper()} {who}" for role, who in summary.roles))
        incidents = group_incidents(s.incident_view(), s.alert_list(include_resolved=True), s.pages())
        if len(incidents) > 1:
            line = self._incident_lines(summary.severity, summary.roles, incidents)
        self.query_one("#incident-summary", Static).update(line)

    @staticmethod
    def _incident_lines(severity, roles, incidents) -> Text:
        """Several incidents: severity and roles once (the session's), then a line per incident."""
        styles = {"escalated": "bold red", "paged": "bold yellow", "resolved": "green", "alerts cleared": "green"}
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{len(incidents)} incidents", style="bold")
        text.append(f" · {severity or 'severity not set'}")
        if roles:
            text.append(" · " + ", ".join(f"{role.upper()} {who}" for role, who in roles))
        for incident in incidents:
            text.append(f"\n#{incident.number} ", style="bold")
            text.append(incident.status.upper(), style=styles.get(incident.status, "bold"))
            text.append(f" · since {format_clock(incident.opened_at)} · {', '.join(incident.alerts)}")
            if incident.pages:
                text.append(f" · page {', '.join(str(n) for n in incident.pages)}")
        return text


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
