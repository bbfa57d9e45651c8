"""The narrow console's panel switcher: one line in place of the tab strip, which does not fit 80 columns.

It numbers the panels ("3/11 Logs"), lists every panel's key with the current one lit, and names the
keys that step through them, so every panel stays one key away at any width.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.registry import PANELS


class PanelSwitcher(Static, can_focus=True):
    """Shows which panel is up and how to reach the others; focusable, so Escape can leave a field for it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.active = ""

    def show(self, active: str) -> None:
        """Light panel ``active`` (an id from tui.registry.PANELS)."""
        if active == self.active:
            return
        self.active = active
        ids = [pid for pid, _key, _title in PANELS]
        at = ids.index(active) if active in ids else 0
        title = PANELS[at][2]
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f" ◀ {at + 1}/{len(PANELS)} {title} ▶ ", style="bold reverse")
        line.append("  [ ] prev/next  ", style="dim")
        for pid, key, _title in PANELS:
            line.append(f" {key}", style="bold underline" if pid == active else "")
        self.update(line, layout=False)  # one line tall (console.tcss): no layout to redo
