"""Text from files, seats and the network, made safe to show: one helper for every screen and terminal.

A scenario's briefing, a journal's note or a seat's hypothesis is data. Written to a terminal as it is,
an escape sequence in it could recolour the screen, move the cursor, set the window title, or hide
what follows; a carriage return could overwrite a line. :func:`clean` removes every control character
and escape sequence and keeps the rest. Rich/Textual markup is a separate matter: show the result as a
``Text`` (never as a markup string), so a ``[`` stays a ``[``.
"""

from __future__ import annotations

import re

_ESCAPE_SEQUENCES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                 # CSI: colours, cursor moves, erase (ESC [ ... final)
  | \x9b[0-?]*[ -/]*[@-~]?                   # CSI, 8-bit form
  | [\x1b][\]PX^_].*?(?:\x07|\x1b\\|\x9c|$)  # OSC (titles, hyperlinks, clipboard), DCS, SOS, PM, APC
  | [\x9d\x90\x98\x9e\x9f].*?(?:\x07|\x1b\\|\x9c|$)  # the same, 8-bit forms
  | \x1b[ -/]*[0-~]?                         # any other escape (charset, keypad, reset: ESC c)
    """,
    re.VERBOSE | re.DOTALL,
)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
"""C0 and C1 controls (not tab and newline, handled apart), DEL, bidirectional overrides (text that
reads differently than it is stored) and the Unicode line and paragraph separators."""


def clean(text: object, *, keep_newlines: bool = False) -> str:
    """``str(text)`` with escape sequences and control characters removed, tabs as spaces.

    Line breaks (``\\n``, ``\\r\\n``, a lone ``\\r``) become ``\\n`` when ``keep_newlines`` is true and a
    space otherwise, so a one-line field stays one line.
    """
    value = str(text)
    if value.isprintable():  # the common case: nothing to do
        return value
    value = _ESCAPE_SEQUENCES.sub("", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    if not keep_newlines:
        value = value.replace("\n", " ")
    return _CONTROLS.sub("", value)


def format_percent(value: float) -> str:
    """A percentage to three significant figures, whole from 100 up: ``0.0123``, ``18.5``, ``247``, ``1,204``.

    Reports carry the error budget burned to three decimals; shown whole (``247.493``) it claims a
    precision nobody reads and makes figures hard to compare at a glance.
    """
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
