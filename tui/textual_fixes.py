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

**Seven empty caches on every rendered line** (no upstream issue found). ``Strip.__init__`` gives each line
seven ``FIFOCache`` objects (crop, divide, style, filter, ...), ~900 bytes with their dicts, and a line
uses one or two of them, if any. A console holds ~3,500-3,800 lines (every panel's widgets keep theirs,
the pre-warmed hidden ones too): ~3 MB of empty caches. :func:`install` makes each cache on first use: a
line's unset cache slot raises AttributeError, and ``Strip.__getattr__`` (only asked then) makes it, of
Textual's own size. Caches and results are Textual's; a line is only built without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rich.segment import Segment
from textual._styles_cache import StylesCache
from textual.cache import FIFOCache
from textual.color import Color
from textual.strip import Strip
from textual.style import Style


@lru_cache(1024)
def inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    """The inner and outer background styles of a widget on ``base_background`` (as Textual's)."""
    return Style(background=base_background + background), Style(background=base_background)


def _get_inner_outer(_styles_cache: StylesCache, base_background: Color, background: Color) -> tuple[Style, Style]:
    return inner_outer(base_background, background)


_TEXTUAL_STRIP_INIT = Strip.__init__


def _strip_cache_sizes() -> dict[str, int]:
    """Each cache slot Textual's ``Strip.__init__`` fills, with its size (read from a line it builds)."""
    probe = Strip.__new__(Strip)
    _TEXTUAL_STRIP_INIT(probe, [])
    caches = ((name, getattr(probe, name, None)) for name in Strip.__slots__)
    return {name: cache._maxsize for name, cache in caches if isinstance(cache, FIFOCache)}


STRIP_CACHES = _strip_cache_sizes()
"""Strip's cache slots and their sizes, as Textual makes them (seven in Textual 8.2)."""
STRIP_FIELDS = ("_segments", "_cell_length", "_render_cache", "_link_ids", "_cell_count")
"""The rest of Strip's slots, which :func:`_strip_init` sets as Textual's ``__init__`` does."""


def _strip_init(self: Strip, segments: Iterable[Segment], cell_length: int | None = None) -> None:
    """Textual's ``Strip.__init__`` without its caches (made on first use, :func:`_strip_cache`)."""
    self._segments = list(segments)
    self._cell_length = cell_length
    self._render_cache = None
    self._link_ids = None
    self._cell_count = None


def _strip_cache(self: Strip, name: str) -> FIFOCache:
    """A cache slot of this line not set yet: made now, of Textual's size (Python asks only for an unset
    slot or an unknown name)."""
    size = STRIP_CACHES.get(name)
    if size is None:
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'", name=name, obj=self)
    cache: FIFOCache = FIFOCache(size)
    setattr(self, name, cache)
    return cache


def install() -> None:
    """Use :func:`inner_outer` for every ``StylesCache`` and lazy caches for every ``Strip`` (idempotent);
    let go of what the old cache held."""
    original = StylesCache.__dict__["get_inner_outer"]
    if original is not _get_inner_outer:
        StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign]
        getattr(original, "cache_clear", lambda: None)()
    if set(Strip.__slots__) == {*STRIP_CACHES, *STRIP_FIELDS}:  # (another Strip: the fix does not apply)
        Strip.__init__ = _strip_init  # type: ignore[method-assign]
        Strip.__getattr__ = _strip_cache  # type: ignore[attr-defined]


install()
