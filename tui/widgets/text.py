"""Outside text on screen: always a Rich ``Text`` built from cleaned strings, never a markup string.

Every string that comes from a seat, a scenario, a journal or the network goes through :func:`plain`
(or :func:`line` when parts of a line are styled; :func:`styled` for a Textual ``Content`` whose styles
name theme variables) before any widget sees it: control characters and
escape sequences are stripped by :func:`scenarios.text.clean`, and the result is never parsed as
markup, so ``[bold`` or ``[link=...]`` typed into a note shows as those characters.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from scenarios.text import clean

__all__ = ["line", "plain", "stack", "styled"]


def plain(s: object, style: str = "", *, keep_newlines: bool = True) -> Text:
    """``s`` as plain text (cleaned; newlines kept unless told otherwise), optionally in one style."""
    return Text(clean(s, keep_newlines=keep_newlines), style=style)


def line(*parts: object) -> Text:
    """A line from parts: a ``(text, style)`` pair is styled, anything else is plain; all are cleaned.

    ``line(("Root cause ", "bold"), summary)`` is the safe spelling of ``f"[b]Root cause[/] {summary}"``.
    """
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            text, style = part
            out.append(clean(text, keep_newlines=True), style=style)
        else:
            out.append(clean(part, keep_newlines=True))
    return out


def styled(*parts: object) -> Content:
    """A Textual ``Content`` from parts, for widgets whose styles use theme variables (``$success``).

    A ``(text, style)`` pair is styled, anything else is plain; every text is cleaned and none is
    parsed: ``styled(("Root cause ", "bold"), ("memory", "$error"), " in ", service)``.
    """
    pieces: list[Content | tuple[str, str] | str] = []
    for part in parts:
        if isinstance(part, Content):
            pieces.append(part)
        elif isinstance(part, Text):
            pieces.append(Content.from_rich_text(part))
        elif isinstance(part, tuple):
            text, style = part
            pieces.append((clean(text, keep_newlines=True), style))
        else:
            pieces.append(clean(part, keep_newlines=True))
    return Content.assemble(*pieces)


def stack(lines: list[Content]) -> Content:
    """Lines of content one under the other."""
    return Content("\n").join(lines)
