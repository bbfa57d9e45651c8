"""The console's status line: clock, speed, incident state, severity, SLI and budget, pages, unread
messages, hints."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from scenarios.durations import format_clock
from tui.port import SessionPort


class StatusBar(Static):
    """One line that summarises the incident; redrawn only when its text changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._last: tuple | None = None

    def show(self, session: SessionPort, unread: int = 0) -> None:
        """Redraw from ``session``; ``unread`` messages arrived since the comms panel was last open."""
        sli = session.sli_status()
        incident = session.incident_view()
        open_pages = sum(1 for p in session.pages() if p.acked_at is None)
        speed = session.speed
        compressed = session.compression()
        no_data = sli.get("no_data_since")  # the metrics pipeline is down: the SLI is unknown to the team
        hints = len(incident.hints)
        state = (
            format_clock(session.now),
            speed,
            incident.state,
            incident.severity,
            round(sli["availability"] * 100, 3),
            round(sli["objective"] * 100, 3),
            bool(sli["breaching"]),
            round(sli["budget_burned_pct"], 1),
            open_pages,
            hints,
            session.finished,
            unread,
            no_data,
            (compressed.speed, compressed.eta) if compressed is not None and speed else None,
        )
        if state == self._last:
            return
        self._last = state
        clock, _, inc_state, severity, avail, objective, breaching, burned, pages, hints, finished, unread = state[:12]
        no_data, skip = state[12:]
        speed_text = "PAUSED" if speed == 0 else f"{speed:g}x"
        if skip is not None:
            speed_text = f"SKIPPING {skip[0]:g}x to {format_clock(skip[1])}"
        # Single spaces between fields, padding only around the reversed badges: 80 columns hold it all.
        parts: list[tuple[str, str] | str] = [
            (f" {clock}", "bold"),
            (f" {speed_text}", "$text-warning bold" if speed == 0 else "$text-accent"),
            f" {inc_state.upper() if not finished else 'ENDED'}",
            (f" {severity or 'sev ?'}", "$text-error bold" if severity == "SEV1" else "$text-muted"),
            *_sli_parts(avail, objective, breaching, burned, no_data),
            " ",
            (f" pages {pages} " if pages else f"pages {pages}", "$text-error bold reverse" if pages else "$text-muted"),
            " ",
            (
                f" msgs {unread} " if unread else f"msgs {unread}",
                "$text-warning bold reverse" if unread else "$text-muted",
            ),
        ]
        if hints:  # none yet: nothing to say, and 80 columns are tight
            parts.append((f" hints {hints}", "$text-warning"))
        self.update(Content.assemble(*parts), layout=False)  # one line tall (console.tcss)


def _sli_parts(avail: float, objective: float, breaching: bool, burned: float, no_data: float | None) -> list:
    """The SLI and budget fields; while the metrics pipeline is down, only since when there is no data."""
    if no_data is not None:
        return [(f" SLI no data since {format_clock(no_data)}", "$text-warning bold"), f"/{objective:g}%"]
    return [
        (f" SLI {avail:.3f}%", "$text-error bold" if breaching else "$text-success"),
        f"/{objective:g}%",
        (f" burned {burned:.1f}%", "$text-error" if burned >= 50 else "$text"),  # of the error budget
    ]
