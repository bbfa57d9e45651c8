"""Scroll bars updated only when what they show changed.

Textual lays every visible scrollable widget's scroll bars out again on each layout of the screen and
repaints them whether or not they changed (a ScrollView's own virtual size never equals the one the
screen's layout passes it, so it always counts as changed). That repaint is asked for while the frame is
being painted, so it comes as a frame of its own, one refresh tick (up to 1/60 s) later: after a panel
switch that was the switch's last frame, with the same pixels as the one before.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size


class SteadyScrollBars:
    """Mix into a scrollable widget (listed before its Textual base class): its scroll bars are updated and repainted
    only when their inputs changed (the widget's virtual and container sizes, its overflow and scroll bar
    styles, which bars show). Moving the scroll position repaints them as before (Textual's own watchers)."""

    _scroll_inputs: tuple | None = None

    def _scroll_bar_inputs(self: Any, virtual_size: Size) -> tuple:
        styles = self.styles
        return (
            virtual_size,
            self._container_size,
            styles.overflow_x,
            styles.overflow_y,
            styles.scrollbar_size_vertical,
            styles.scrollbar_size_horizontal,
            self.show_vertical_scrollbar,
            self.show_horizontal_scrollbar,
        )

    def _scroll_update(self, virtual_size: Size) -> None:
        if self._scroll_bar_inputs(virtual_size) == self._scroll_inputs:
            return
        super()._scroll_update(virtual_size)  # type: ignore[misc]
        self._scroll_inputs = self._scroll_bar_inputs(virtual_size)
