"""Fixes to Textual (tui.textual_fixes): a closed screen's widgets take their rendered lines with them, and
the styles they are painted with are Textual's; a rendered line makes its caches when it first uses them."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.cache import FIFOCache
from textual.color import Color
from textual.strip import Strip
from textual.style import Style
from textual.widgets import Label

import tui.screens  # noqa: F401  (installs the fixes, as every app of misfortune does)
from tui import heap
from tui.textual_fixes import _TEXTUAL_STRIP_INIT, STRIP_CACHES, STRIP_FIELDS, inner_outer


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


def _set_caches(strip: Strip) -> dict[str, FIFOCache]:
    """The cache slots of ``strip`` that are set (reading the slots themselves, so none is made)."""
    slots = {name: Strip.__dict__[name] for name in STRIP_CACHES}
    out = {}
    for name, slot in slots.items():
        try:
            out[name] = slot.__get__(strip, Strip)
        except AttributeError:
            pass
    return out


def test_a_line_is_built_without_caches_and_makes_each_of_textuals_size_on_first_use():
    assert len(STRIP_CACHES) == 7 and STRIP_CACHES["_crop_cache"] == 16 and STRIP_CACHES["_divide_cache"] == 4
    line = Strip([Segment("hello world")])
    assert _set_caches(line) == {}
    first = line.crop(1, 5)
    assert first.text == "ello"
    assert line.crop(1, 5) is first, "the crop is cached, as Textual's"
    made = _set_caches(line)
    assert list(made) == ["_crop_cache"]
    assert made["_crop_cache"]._maxsize == 16
    assert [piece.text for piece in line.divide([3, 11])] == ["hel", "lo world"]
    assert set(_set_caches(line)) == {"_crop_cache", "_divide_cache"}


def test_a_line_holds_what_textuals_own_constructor_gives_it():
    segments = [Segment("a", RichStyle(bold=True)), Segment("bc")]
    ours, textuals = Strip(segments, 3), Strip.__new__(Strip)
    _TEXTUAL_STRIP_INIT(textuals, segments, 3)
    for name in STRIP_FIELDS:
        assert getattr(ours, name) == getattr(textuals, name), name
    assert ours._segments is not segments, "a copy of the segments, as Textual's"
    assert ours == textuals and ours.cell_length == 3
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = ours.nothing


async def test_a_painted_screens_lines_carry_no_empty_caches():
    app = Cards()
    async with app.run_test(size=(60, 200)) as pilot:
        await pilot.pause()
        lines = [line for label in app.query(Label) for line in label._styles_cache._cache.values()]
        assert lines, "the labels rendered their lines"
        empty = sum(not cache for line in lines for cache in _set_caches(line).values())
        assert empty == 0, f"{empty} empty caches on {len(lines)} lines"
