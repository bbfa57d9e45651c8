"""Fixes to Textual that every screen of misfortune needs, applied once on import (by ``tui.screens``).

Textual is pinned to 8.2.x in pyproject.toml; each fix names the upstream issue, and goes once Textual has it.

**Rendered lines outliving their widgets** (Textualize/textual#6665). ``StylesCache.get_inner_outer`` is an
``lru_cache(1024)`` on an instance method, so its key holds the ``StylesCache`` it was called on: one per
widget, with that widget's rendered lines (``Strip`` objects, each with seven small caches of its own).
The last 1,024 widgets ever painted kept them after the widgets were gone: in a game, the consoles and
screens already closed. That was ~240,000 objects (~110,000 in a fresh console's whole heap), each one
walked again by every full garbage collection (tui.heap's settle: ~0.2 s instead of ~0.1 s). The two
styles depend only on the two colours, so they are cached by the colours alone: the same answers, and a
widget's lines go with it.
"""

from __future__ import annotations

from functools import lru_cache

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.style import Style


@lru_cache(1024)
def inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    """The inner and outer background styles of a widget on ``base_background`` (as Textual's)."""
    return Style(background=base_background + background), Style(background=base_background)


def _get_inner_outer(_styles_cache: StylesCache, base_background: Color, background: Color) -> tuple[Style, Style]:
    return inner_outer(base_background, background)


def install() -> None:
    """Use :func:`inner_outer` for every ``StylesCache`` (idempotent); let go of what the old cache held."""
    original = StylesCache.__dict__["get_inner_outer"]
    if original is not _get_inner_outer:
        StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign]
        getattr(original, "cache_clear", lambda: None)()


install()
