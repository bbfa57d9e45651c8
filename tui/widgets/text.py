"""Outside text on screen: always a Rich ``Text`` built from cleaned strings, never a markup string.

Every string that comes from a seat, a scenario, a journal or the network goes through :func:`plain`
(or :func:`line` when parts of a line are styled) before any widget sees it: control characters and
escape sequences are stripped by :func:`scenarios.text.clean`, and the result is never parsed as
markup, so ``[bold`` or ``[link=...]`` typed into a note shows as those characters.
"""

from __future__ import annotations

from rich.text import Text

from scenarios.text import clean

__all__ = ["line", "plain"]


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
