"""An OptionList that keeps its rendered lines when it is shown again at the size it had.

Textual's OptionList drops its line and option caches and repaints on every Resize event. A panel's list
gets one each time its panel comes back on screen (the layout sends Resize to every widget it shows), at
the size it already had: the repaint came after the panel switch's frame, as a frame of its own.
"""

from __future__ import annotations

from textual import events
from textual.widgets import OptionList

from tui.widgets.scrolling import SteadyScrollBars


class SteadyOptionList(SteadyScrollBars, OptionList):
    """An OptionList whose caches are dropped on a resize only when its width changed (its lines wrap at
    the width; its height only decides how many of them show)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cached_width: int | None = None
        """The content width the caches were made for (None: never laid out)."""

    def _on_resize(self, event: events.Resize) -> None:
        # The width OptionList wraps at (its scrollable content region's), from the event's size: a list laid
        # out while hidden (tui.screens.paint's off-screen layout) has no region on screen yet.
        width = event.size.width - self.styles.gutter.width - self.scrollbar_gutter.width
        if width == self._cached_width:
            event.prevent_default()  # OptionList's own handler (next in the MRO) would drop them all
        self._cached_width = width
