"""A screen that paints once the messages a key set off have been handled, not halfway through them.

Textual paints a screen on its update timer, which the screen resumes as soon as its own message queue is
empty (``Screen._on_idle``); the timer's next tick paints whatever widgets have told the screen they
changed by then. A key's consequences travel through other widgets' queues first: a focus move is a Blur
and a Focus message, each restyles its widget and those restyles repaint the tab strip's active tab and
underline, scroll bars, a list's highlight. Their ``Update`` messages reached the screen a turn or two of
the event loop after it went idle, just after the tick, so they made a second frame one refresh tick
(1/60 s) later, plus its own paint: the frame a panel switch settled in came 45-60 ms after the key.

:class:`SettledPaint` gives the screen an update timer whose tick first lets the event loop run until no
message waits in any queue of the app (its widgets, scroll bars and screens, and the app itself), at most
:data:`MAX_TURNS` turns, then paints as Textual does. With nothing in flight (the usual case) it paints at
once, after one look over the queues (~0.1 ms for the console's ~200 widgets); otherwise each turn runs
work the frame would have waited for anyway. Frame pacing stays Textual's (at most one tick per 1/60 s).

Its compositor also keeps the full map a reflow built and does not render what is hidden behind widgets in
front of it (:class:`ReflowedCompositor`); a repaint a widget asks for while the frame is laid out is
painted in that frame (:meth:`SettledPaint._compositor_refresh`). A hidden widget tree can be laid out
and rendered off screen, so that its first showing costs what a later one does
(:meth:`SettledPaint.arrange_offstage`, :meth:`SettledPaint.render_offstage`: the console's pre-warm).

Rests on Screen's private ``_update_timer``, ``_on_timer_update``, ``_compositor`` and
``_compositor_refresh``, on the Compositor's map flag, ``cuts``, ``visible_widgets``, ``_render_chops`` and
``_get_renders``, on Widget's ``_size_updated``, ``_repaint_required`` and ``_layout_required``, and on the
app's registry of started nodes (textual is pinned to 8.2.x in pyproject.toml). tests/tui/test_paint.py
checks that a change five messages after a key, every panel switch and every first visit of a pre-warmed
panel paint once, that a switch arranges the screen once, that a covered widget is not rendered and the
picture is Textual's, and that a repaint asked for during a layout lands in its frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from textual import events
from textual._compositor import Compositor, MapGeometry, ReflowResult
from textual.errors import NoWidget
from textual.geometry import Region, Size
from textual.screen import UPDATE_PERIOD, Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

MAX_TURNS = 16
"""Turns of the event loop a tick waits at most (a busy app never holds a frame back longer than this)."""


class ReflowedCompositor(Compositor):
    """A Compositor that knows its full map is current after a reflow.

    A reflow arranges every widget (the full map) but leaves the map marked stale when a widget new to the
    screen was marked dirty before it (a panel switch always does), so the first widget that asks its size
    while the frame is painted arranged the whole screen a second time (~1 ms per switch).
    """

    def reflow(self, parent: Widget, size: Size) -> ReflowResult:
        result = super().reflow(parent, size)
        self._full_map_invalidated = False  # the map reflow just built is the full map
        return result

    def _render_chops(self, crop: Region, is_rendered_line: Callable[[int], bool]) -> Sequence[Mapping[int, Strip]]:
        """As Compositor's, without rendering a widget whose every cell on the lines painted is already
        filled by widgets in front of it (the chops are filled front to back, the first strip wins).

        Textual renders every visible widget, then drops what is hidden: a container under its children
        (the tab pane, content switcher and tabbed content under a panel, the panel under its scroll view)
        still rendered each line, and a panel switch dirties them all (~4 ms of a 160x48 dashboards switch,
        plus dividing those lines into cuts). What is painted is the same.
        """
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        intersection = Region.intersection
        contains_region = Region.contains_region
        visible = self.visible_widgets.items()
        if crop:
            overlaps = crop.overlaps
            widgets = [(widget, region, clip) for widget, (region, clip) in visible if overlaps(clip)]
        else:
            widgets = [(widget, region, clip) for widget, (region, clip) in visible]
        for widget, region, clip in widgets:
            render_region = intersection(region, clip)
            if not render_region:
                continue
            first_cut, last_cut = render_region.column_span
            lines = [
                (y, [cut for cut in cuts[y] if last_cut >= cut >= first_cut])
                for y in render_region.line_range
                if is_rendered_line(y)
            ]
            if all(chops[y][cut] is not None for y, line_cuts in lines for cut in line_cuts[:-1]):
                continue  # hidden behind what is in front of it
            if contains_region(clip, region):
                strips = widget.render_lines(Region(0, 0, region.width, region.height))
            else:
                x, y, width, height = render_region
                strips = widget.render_lines(Region(x - region.x, y - region.y, width, height))
            render_x = render_region.x
            top = render_region.y
            for y, line_cuts in lines:
                chops_line = chops[y]
                pieces = strips[y - top].divide([cut - render_x for cut in line_cuts[1:]])
                for cut, piece in zip(line_cuts, pieces, strict=False):
                    if chops_line.get(cut) is None:
                        chops_line[cut] = piece
        return cast("Sequence[Mapping[int, Strip]]", chops)


class SettledPaint(Screen):
    """A Screen whose update timer paints once the messages in flight are handled (module docstring)."""

    _settled_timer: Timer | None = None
    _offstage: Compositor | None = None
    """While :meth:`render_offstage` runs: the layout of the hidden widgets it renders."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compositor = ReflowedCompositor()

    @property
    def _update_timer(self) -> Timer:  # type: ignore[override]
        """Screen's update timer (paused and resumed by Screen itself), ticking :meth:`_paint_when_settled`."""
        if self._settled_timer is None:
            self._settled_timer = self.set_interval(
                UPDATE_PERIOD, self._paint_when_settled, name="screen_update", pause=True
            )
        return self._settled_timer

    async def _paint_when_settled(self) -> None:
        for _turn in range(MAX_TURNS):
            if not self._messages_in_flight():
                break
            await asyncio.sleep(0)  # one turn of the event loop: every pump with a message handles it
        self._on_timer_update()

    def _compositor_refresh(self) -> None:
        """Paint, taking in the widgets that asked for a repaint while this frame was laid out.

        Laying out calls widgets back with their new sizes: a table that gained a row repaints its scroll
        bar then. Textual posts that repaint on the widget's next idle, after the frame, so it became a
        frame of its own ~30 ms later (the pager at 1x, about one switch in ten). Painting such a widget in
        this frame, and dropping the repaint it would post, leaves one frame. A widget that also asked for
        a layout is left to Textual (laying out again here left a list's scroll bar stale in a snapshot).
        """
        if self.is_current:
            late = {
                widget
                for widget in self._compositor.visible_widgets
                if widget._repaint_required and not widget._layout_required
            }
            if late:
                for widget in late:
                    widget._repaint_required = False
                self._compositor.update_widgets(late)
        super()._compositor_refresh()

    def _messages_in_flight(self) -> bool:
        """True while a message waits in the app's queue or in any started node's (the app's registry:
        every widget, scroll bars included)."""
        app = self.app
        return not app._message_queue.empty() or any(not node._message_queue.empty() for node in app._registry)

    # --- hidden widgets laid out and rendered ahead of their first visit -------------------------------

    def find_widget(self, widget: Widget) -> MapGeometry:
        """As Screen's; while :meth:`render_offstage` runs, a hidden widget it renders is found in its layout
        (a widget renders at the size its region has)."""
        offstage = self._offstage
        if offstage is not None:
            try:
                return offstage.find_widget(widget)
            except NoWidget:
                pass
        return super().find_widget(widget)

    def arrange_offstage(self, root: Widget, size: Size, resize_all: bool = False) -> tuple[Compositor, bool]:
        """Lay out the hidden widget ``root`` (and everything under it) as if it filled ``size``, as the screen
        will when it is shown: each widget gets its size and a Resize now, not in the key press that shows it.

        Returns the layout and whether any widget's size changed. A widget may answer its Resize with a new
        size of its own (a table sizes itself once its rows are measured, on its idle): lay out again once
        those messages are handled, until nothing changes, then render (:meth:`render_offstage`). With
        ``resize_all`` every widget gets a Resize, changed or not, as each does when the screen shows it (a
        list wraps its lines again if a scroll bar came with its render). The screen's own layout is not
        touched; when ``root`` is shown at ``size``, its widgets find their sizes unchanged.
        """
        compositor = Compositor()
        compositor.reflow(root, size)
        changed = False
        for widget, geometry in compositor.layers:
            region, _order, _clip, virtual_size, container_size, _virtual_region, _gutter = geometry
            resized = widget._size_updated(region.size, virtual_size, container_size)
            changed = changed or resized
            if resized or resize_all:
                widget.post_message(events.Resize(region.size, virtual_size, container_size))
        return compositor, changed

    def render_offstage(self, layout: Compositor, focused: Widget | None = None) -> int:
        """Render the lines of every widget ``layout`` shows, as a frame would, so the widgets' line and cell
        caches hold them when the screen first shows them. Nothing is written to the terminal.

        ``focused``, the widget that will have the focus when they are shown, is rendered a second time with
        its ``:focus`` styles (tables key their cells by them); they are undone before this returns, with no
        Focus or Blur event sent and nothing else run meanwhile. Returns the lines rendered.
        """
        self._offstage = layout
        try:
            lines = sum(len(strips) for _region, _clip, strips in layout._get_renders())
            shown = layout.visible_widgets.get(focused) if focused is not None else None
            if shown is not None and not focused.has_focus:
                focused.has_focus = True  # restyles it (Widget.watch_has_focus), as a focus would
                try:
                    lines += sum(len(strips) for _region, _clip, strips in layout._get_renders(shown[1]))
                finally:
                    focused.has_focus = False
            return lines
        finally:
            self._offstage = None
