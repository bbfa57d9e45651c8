"""The help screen (``?``): every key that works on the screen underneath, generated from the bindings."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

from tui.registry import GROUP_ORDER, purpose


@dataclass(frozen=True)
class KeyHelp:
    """One row of the help table."""

    group: str
    """What the key is for (tui.registry.purpose)."""
    keys: str
    description: str
    binding_id: str


def key_help(screen: Screen) -> list[KeyHelp]:
    """The product's active bindings on ``screen`` (focused widget, screen, app), keys merged, by purpose.

    Only bindings with an id are the product's: the toolkit's own (focus next, copy text, cursor keys of
    a table) have none and stay out of the list.
    """
    app = screen.app
    rows: dict[str, list] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.id:
            continue
        entry = rows.setdefault(binding.id, [binding, []])
        display = app.get_key_display(binding)
        if display not in entry[1]:
            entry[1].append(display)
    result = [
        KeyHelp(purpose(bid), " ".join(keys), binding.description or binding.tooltip or binding.action, bid)
        for bid, (binding, keys) in rows.items()
    ]
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    return sorted(result, key=lambda r: order.get(r.group, len(order)))


class HelpScreen(ModalScreen[None]):
    """Keys of the screen it was opened over; any of escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90; max-width: 96%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { width: 100%; text-style: bold; color: $primary; padding: 0 0 1 0; }
    HelpScreen DataTable { height: auto; max-height: 100%; }
    HelpScreen #help-foot { color: $text-muted; padding-top: 1; }
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, over: Screen) -> None:
        super().__init__()
        self.rows = key_help(over)
        self.title_text = over.title or "this screen"  # never a class name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Keys: {self.title_text}", id="help-title", markup=False)
            yield DataTable(cursor_type="row", zebra_stripes=False, id="help-keys")
            yield Label("Ctrl+P opens the command palette. Escape closes this help.", id="help-foot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "What it does")
        group = ""
        for row in self.rows:
            if row.group != group:
                group = row.group
                table.add_row(Text(group, style="bold underline"), Text(""))
            table.add_row(Text(row.keys, style="bold"), Text(row.description))
        table.focus()
