"""Small helpers shared by the console panels: text sparklines, number formats, cheap table updates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Static

from scenarios.text import clean
from tui.port import SessionPort
from tui.widgets.table import measure_cell, text_key
from tui.widgets.text import plain

BLOCKS = " ▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int, floor: float | None = None, top: float = 0.0) -> str:
    """A one-line block sparkline of the last ``width`` samples (NaN drawn as a gap).

    ``floor`` pins the bottom of the scale (0 for ratios) and ``top`` is the least the top may be,
    so noise around a tiny value does not look like spikes.
    """
    if width <= 0:
        return ""
    data = list(values)
    if len(data) > width:
        step = len(data) / width
        data = [
            max((v for v in data[int(i * step) : int((i + 1) * step)] if not math.isnan(v)), default=math.nan)
            for i in range(width)
        ]
    finite = [v for v in data if not math.isnan(v)]
    if not finite:
        return " " * width
    lo, hi = min(finite), max(max(finite), top)
    if floor is not None:
        lo = min(lo, floor)
    span = hi - lo or 1.0
    chars = [" " if math.isnan(v) else BLOCKS[1 + int((v - lo) / span * 7.999)] for v in data]
    return "".join(chars).rjust(width)


def fmt_rate(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:,.0f}/s"


def fmt_pct(ratio: float, digits: int = 2) -> str:
    return "-" if math.isnan(ratio) else f"{ratio * 100:.{digits}f}%"


def fmt_ms(v: float) -> str:
    if math.isnan(v):
        return "-"
    return f"{v / 1000:.1f}s" if v >= 10_000 else f"{v:.0f}ms"


def fmt_age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def set_rows(table: DataTable, rows: list[tuple], keys: list[str] | None = None) -> bool:
    """Show ``rows`` in ``table`` (keeps the cursor); returns True if anything changed.

    The same rows (count and keys) with some cells changed, the usual case each second, are updated in
    place, cell by cell: a refill re-measured every cell, and ``DataTable.clear`` scrolls the table back to
    its top left. Columns widen for a wider figure and never narrow, as with a refill (clear keeps widths).
    """
    # Text compares equal when only its style differs: compare what each cell shows.
    signature = ([tuple(text_key(c) or c for c in row) for row in rows], keys)
    previous = getattr(table, "_misfortune_rows", None)
    if previous == signature:
        return False
    table._misfortune_rows = signature  # type: ignore[attr-defined]
    if previous is not None and previous[1] == keys and len(previous[0]) == len(rows) == table.row_count:
        columns = table.ordered_columns
        for y, (before, after, row) in enumerate(zip(previous[0], signature[0], rows, strict=True)):
            for x, (was, now, cell) in enumerate(zip(before, after, row, strict=True)):
                if was != now:
                    value = _cell(cell)
                    # A column widens for a wider figure and never narrows, as in a refill.
                    wider = measure_cell(table.app.console, value, 1) > columns[x].content_width
                    table.update_cell_at(Coordinate(y, x), value, update_width=wider)
        return True
    cursor = table.cursor_row
    table.clear()
    for n, row in enumerate(rows):
        table.add_row(*(_cell(c) for c in row), key=keys[n] if keys else None)
    if rows:
        table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)
    return True


def _cell(value: Any) -> Any:
    """A str cell would be parsed as markup by the table: outside text goes in as plain Text."""
    return plain(value, keep_newlines=False) if isinstance(value, str) else value


def show(widget: Static, content: Content | str, *, layout: bool = True) -> bool:
    """Update ``widget`` only when what it shows changed; returns True if it did.

    ``Static.update`` repaints and lays the screen out again even for the same text (the console re-reads
    the visible panel every second); ``Content ==`` compares the text only, so the styles are compared too.
    """
    key = (content.plain, tuple(content.spans)) if isinstance(content, Content) else content
    if getattr(widget, "_misfortune_shown", None) == key:
        return False
    widget._misfortune_shown = key  # type: ignore[attr-defined]
    widget.update(content, layout=layout)
    return True


class Panel(Vertical):
    """A console panel: it reads the session when the console refreshes it (only while visible)."""

    def __init__(self, session: SessionPort, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session

    def refresh_from_session(self) -> None:
        """Re-read what this panel shows from the session."""

    def tone(self, text: str, style: str) -> Text:
        """Table cell text styled with theme tokens (DataTable cells take Rich text, not Textual styles)."""
        theme = self.app.theme
        if _TOKENS.get("theme") != theme:
            variables = self.app.get_css_variables()
            _TOKENS.clear()
            _TOKENS.update({f"${k}": v for k, v in variables.items() if v.startswith("#")})
            _TOKENS["$text-muted"] = "dim"
            _TOKENS["$text"] = ""
            _TOKENS["theme"] = theme
        return Text(clean(text), style=" ".join(_TOKENS.get(word, word) for word in style.split()))


_TOKENS: dict[str, str] = {}
"""Theme variables resolved for Rich styles, refreshed when the theme changes."""


class ActionRequest(Message):
    """A panel asks the console to validate, confirm if needed, and apply an action."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self.payload = payload
