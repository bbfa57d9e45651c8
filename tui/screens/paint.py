"""A screen that paints once the messages a key set off have reached it, not halfway through them.

Textual paints a screen on its update timer, which the screen resumes as soon as its own message queue is
empty (``Screen._on_idle``); the timer's next tick paints whatever widgets have told the screen they
changed by then. A key's consequences travel through other widgets' queues first: a focus move is a Blur
and a Focus message, each restyles its widget and those restyles repaint the tab strip's active tab and
underline, scroll bars, a list's highlight. Their ``Update`` messages reach the screen one or two turns of
the event loop after it went idle, just after the tick, so they made a second frame one refresh tick
(1/60 s) later, plus its own paint: the frame a panel switch settled in came 45-60 ms after the key.

:class:`SettledPaint` gives the screen an update timer whose tick first lets the event loop run until the
screen's queue has stayed empty for :data:`QUIET_TURNS` turns (at most :data:`MAX_TURNS`), then paints as
Textual does. A turn with nothing to run costs microseconds; a turn that runs a widget's handler runs work
the frame has to wait for anyway. Frame pacing is Textual's own (at most one tick per 1/60 s).

Rests on Screen's private ``_update_timer`` and ``_on_timer_update`` (textual is pinned to 8.2.x in
pyproject.toml); tests/tui/test_paint.py checks a panel switch paints once, with the tab strip, focus and
scroll bars in that frame.
"""

from __future__ import annotations

import asyncio

from textual.screen import UPDATE_PERIOD, Screen
from textual.timer import Timer

QUIET_TURNS = 3
"""Turns of the event loop the screen's queue must stay empty before a tick paints."""
MAX_TURNS = 16
"""Turns a tick waits at most (a busy loop never holds a frame back longer than this)."""


class SettledPaint(Screen):
    """A Screen whose update timer paints once the messages in flight have reached it (module docstring)."""

    _settled_timer: Timer | None = None

    @property
    def _update_timer(self) -> Timer:  # type: ignore[override]
        """Screen's update timer (paused and resumed by Screen itself), ticking :meth:`_paint_when_settled`."""
        if self._settled_timer is None:
            self._settled_timer = self.set_interval(
                UPDATE_PERIOD, self._paint_when_settled, name="screen_update", pause=True
            )
        return self._settled_timer

    async def _paint_when_settled(self) -> None:
        quiet = 0
        for _turn in range(MAX_TURNS):
            await asyncio.sleep(0)
            quiet = quiet + 1 if self._message_queue.empty() else 0
            if quiet >= QUIET_TURNS:
                break
        self._on_timer_update()
