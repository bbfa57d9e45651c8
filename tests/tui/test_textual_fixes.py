"""Fixes to Textual (tui.textual_fixes): a closed screen's widgets take their rendered lines with them, and
the styles they are painted with are Textual's."""

from __future__ import annotations

import asyncio
import gc
import weakref

from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.color import Color
from textual.style import Style
from textual.widgets import Label

import tui.screens  # noqa: F401  (installs the fixes, as every app of misfortune does)
from tui import heap
from tui.textual_fixes import inner_outer


class Cards(App):
    """A screen of bordered labels on a tinted background (each label paints with its inner/outer styles)."""

    CSS = "Label { border: round $accent; background: $boost; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        for n in range(40):
            yield Label(f"card {n}")


async def test_a_closed_apps_widgets_leave_no_rendered_lines_behind():
    async def play() -> list[weakref.ref]:
        app = Cards()
        async with app.run_test(size=(60, 200)) as pilot:
            await pilot.pause()
            caches = [weakref.ref(label._styles_cache) for label in app.query(Label)]
            assert all(ref()._cache for ref in caches), "each label rendered its lines"
        return caches

    # An earlier console of this process may have settled the heap (tui.heap): what a later full collection
    # freezes is not freed until the next settle, so nothing is frozen meanwhile here.
    heap.stop()
    # In a task of its own: the context Textual notes its active app in goes with the task.
    caches = await asyncio.create_task(play())
    gc.collect()
    kept = sum(ref() is not None for ref in caches)
    assert kept == 0, f"{kept} of {len(caches)} labels' rendered lines outlived their app"


def test_the_inner_and_outer_styles_are_textuals():
    base, tint = Color(18, 18, 18), Color(255, 255, 255, 0.04)
    assert inner_outer(base, tint) == (Style(background=base + tint), Style(background=base))
    assert StylesCache().get_inner_outer(base, tint) == inner_outer(base, tint)
