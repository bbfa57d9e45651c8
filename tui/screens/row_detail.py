"""Any row read whole: a modal with the row's fields and its long text wrapped, and links onward.

Tables and the log view cut long text at the column's edge (at 80x24 a log line shows ~25 characters of
its message); ``v`` on any row opens it here. A row carrying a trace id links to the trace (``t``); a row
naming a service links to that service's dashboards (``d``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.widgets.message_rail import printable


@dataclass(frozen=True, slots=True)
class RowDetail:
    """What a row says, as fields and a body; the links it offers."""

    title: str
    fields: tuple[tuple[str, str], ...]
    text: str = ""
    """The long part (a message, a summary), wrapped in full."""
    trace_id: str = ""
    service: str = ""


class RowDetailScreen(ModalScreen[str]):
    """Dismisses with ``"trace"`` or ``"dashboards"`` when the trainee follows a link, else ``""``."""

    DEFAULT_CSS = """
    RowDetailScreen { align: center middle; }
    RowDetailScreen > VerticalScroll {
        width: 100; max-width: 96%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    RowDetailScreen #detail-title { text-style: bold; color: $primary; width: 100%; }
    RowDetailScreen #detail-body { width: 100%; margin-top: 1; }
    RowDetailScreen #detail-trace { width: 100%; text-wrap: nowrap; text-overflow: fold; }
    RowDetailScreen #detail-keys { color: $text-muted; margin-top: 1; width: 100%; }
    """

    BINDINGS = [
        Binding("escape,q,v", "close", "Close", id="detail.close"),
        Binding("t", "follow('trace')", "Open the trace", id="detail.trace"),
        Binding("d", "follow('dashboards')", "Dashboards of the service", id="detail.dashboards"),
    ]

    def __init__(self, detail: RowDetail) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        d = self.detail
        with VerticalScroll():
            yield Label(printable(d.title), id="detail-title", markup=False)
            body = Text()
            width = max((len(name) for name, _ in d.fields), default=0)
            for name, value in d.fields:
                body.append(f"{printable(name):<{width}}  ", style="bold")
                body.append(printable(value) + "\n")
            text = printable(d.text, one_line=False) if d.text else ""
            # A stack trace's frames are long words: they fold at the edge (under its wrapped first line)
            # rather than wrap after "at".
            head, _, frames = text.partition("\n") if "\n    at " in text else (text, "", "")
            if head:
                body.append("\n" + head)
            yield Static(body, id="detail-body")
            if frames:
                yield Static(Text(frames), id="detail-trace")
            keys = ["Esc close"]
            if d.trace_id:
                keys.append("t open the trace")
            if d.service:
                keys.append(f"d dashboards of {printable(d.service)}")
            yield Label(" · ".join(keys), id="detail-keys", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "follow":
            return bool(self.detail.trace_id if parameters[0] == "trace" else self.detail.service)
        return True

    def action_close(self) -> None:
        self.dismiss("")

    def action_follow(self, where: str) -> None:
        self.dismiss(where)
