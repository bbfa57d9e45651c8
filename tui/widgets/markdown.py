"""Textual's Markdown widget, imported without pygments until a code block in it needs highlighting.

``textual.widgets._markdown`` imports ``textual.highlight`` at load for its fenced code blocks, and that
imports pygments' lexers (~2.3 MB RSS, a console holds it all session). No shipped runbook has a code
block. :data:`Markdown` is Textual's own class, its module loaded with a stand-in for ``textual.highlight``
whose ``highlight`` imports the real one at its first call: a code block is highlighted exactly as
Textual does it (its theme classes it imports itself, when it highlights).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from textual.content import Content

HIGHLIGHT = "textual.highlight"
MARKDOWN = "textual.widgets._markdown"


def highlight(code: str, **options: Any) -> Content:
    """Textual's ``textual.highlight.highlight``, imported at the first call."""
    from textual.highlight import highlight as textuals

    return textuals(code, **options)


def _load_markdown() -> types.ModuleType:
    """Textual's Markdown module; loaded with the stand-in unless it or ``textual.highlight`` is loaded."""
    if MARKDOWN in sys.modules or HIGHLIGHT in sys.modules:
        return importlib.import_module(MARKDOWN)
    stand_in = types.ModuleType(HIGHLIGHT, "Stands in for textual.highlight while Textual's Markdown loads.")
    stand_in.highlight = highlight  # type: ignore[attr-defined]
    sys.modules[HIGHLIGHT] = stand_in
    try:
        return importlib.import_module(MARKDOWN)
    finally:
        if sys.modules.get(HIGHLIGHT) is stand_in:
            del sys.modules[HIGHLIGHT]


Markdown = _load_markdown().Markdown
