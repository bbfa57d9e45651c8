"""The help screen (``?``): every key that works on the screen underneath, generated from the bindings."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label


@dataclass(frozen=True)
class KeyHelp:
    """One row of the help table."""

    where: str
    keys: str
    description: str
    binding_id: str


def key_help(screen: Screen) -> list[KeyHelp]:
    """Every active binding of ``screen`` (its focused widget, the screen itself and the app), keys merged."""
    app = screen.app
    rows: dict[tuple[int, str], list] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        place = (id(active.node), binding.action)
        entry = rows.setdefault(place, [active.node, binding, []])
        display = app.get_key_display(binding)
        if display not in entry[2]:
            entry[2].append(display)
    result = []
    for node, binding, keys in rows.values():
        where = "everywhere" if node is app else "this screen" if node is screen else type(node).__name__
        description = binding.description or binding.tooltip or binding.action
        result.append(KeyHelp(where, " ".join(keys), description, binding.id or ""))
    order = {"this screen": 0, "everywhere": 2}
    return sorted(result, key=lambda r: order.get(r.where, 1))


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
            yield DataTable(cursor_type="row", zebra_stripes=True, id="help-keys")
            yield Label("Ctrl+P opens the command palette. Escape closes this help.", id="help-foot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "What it does", "Where")
        for row in self.rows:
            table.add_row(row.keys, row.description, row.where)
        table.focus()
