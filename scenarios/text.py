"""Text from outside (scenarios, journals, seats, the network) made safe to show on a terminal or a page.

One helper at every boundary: :func:`clean` turns any value into a string with no control characters
and no terminal escape sequences, so a hostile ``\\x1b]8;;`` link, a ``\\r`` that rewrites the line or a
NUL never reaches a screen. It does not escape markup: screens show the result as plain text (a Rich
``Text``), never parse it.
"""

from __future__ import annotations

import re

__all__ = ["clean"]

_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?              # CSI: ESC [ parameters intermediates final (colours, cursor moves)
    | \x9b[0-?]*[ -/]*[@-~]?              # CSI as one 8-bit C1 byte
    | [\x1b\x9d]\].*?(?:\x07|\x1b\\|\x9c|$)   # OSC (titles, hyperlinks) up to BEL, ST or the end
    | \x1b[PX^_].*?(?:\x1b\\|\x9c|$)      # DCS, SOS, PM, APC up to ST or the end
    | [\x90\x98\x9e\x9f].*?(?:\x1b\\|\x9c|$)  # the same four as 8-bit C1 bytes
    | \x1b[ -/]*[0-~]?                    # any other escape (charset switches, resets)
    """,
    re.VERBOSE | re.DOTALL,
)
"""Terminal escape sequences, removed whole (their parameters would otherwise show as text)."""

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Bidirectional overrides: they make a line read differently from what it says."""
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
"""C0 and C1 control characters but tab and newline (handled on their own), DEL, bidi overrides."""


def clean(text: object, *, keep_newlines: bool = False) -> str:
    """``str(text)`` with escape sequences and control characters removed, tabs as spaces.

    Newlines (``\\n``, ``\\r\\n``, a lone ``\\r``) are kept as ``\\n`` when ``keep_newlines`` is set,
    otherwise each becomes a space so the words on either side stay apart.
    """
    out = str(text)
    if out.isprintable():  # the usual case, and fast: every character removed below is unprintable
        return out
    out = _ESCAPES.sub("", out)
    out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not keep_newlines:
        out = out.replace("\n", " ")
    return _CONTROLS.sub("", out)
