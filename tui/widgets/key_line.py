"""The console's footer: one line of the keys that work right now, redrawn only when they change.

Textual's Footer recomposes a widget per key on every focus change, which costs a restyle and a
layout each time a panel key is pressed; a single Static of styled text costs one repaint.
"""

from __future__ import annotations

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static


class KeyLine(Static):
    """Shown bindings of the focused widget chain (and the screen), as ``key description`` pairs."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._last: tuple = ()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen) -> None:
        """Redraw when the set of shown keys changed (signal from the screen)."""
        shown: list[tuple[str, str, bool]] = []
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.show or binding.description in seen:
                continue
            seen.add(binding.description)
            shown.append((self.app.get_key_display(binding), binding.description, enabled))
        signature = tuple(shown)
        if signature == self._last:
            return
        self._last = signature
        parts: list = []
        for key, description, enabled in shown:
            style = "" if enabled else "dim"
            parts.append(Content.styled(f" {key} ", f"bold $footer-key-foreground {style}"))
            parts.append(Content.styled(f"{description} ", f"$footer-description-foreground {style}"))
        self.update(Content.assemble(*parts), layout=False)  # one line tall (console.tcss)
