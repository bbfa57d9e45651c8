"""What a trainee must never read: internals and spoilers, as a checker the visible-text tests share."""

from __future__ import annotations

import re

from textual.app import App

LEAKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Python None", re.compile(r"\bNone\b")),
    ("a raw dict", re.compile(r"\{'")),
    # Not "[b]" alone: the panels show one-letter keys that way ("[u] CPU").
    ("raw markup", re.compile(r"\[/[a-z$]*\]|\[(?:bold|dim|italic|reverse|underline|strike)\b|\[\$[a-z-]+|\[@click")),
    (
        "an internal id",
        re.compile(r"\b(?:console|app|logs|actions|hypotheses|help|briefing|confirm)\.[a-z_]+\.?[a-z_0-9]*\b"),
    ),
    ("a class name", re.compile(r"\b[A-Z][a-z]+(?:Screen|Panel|Widget|View)\b")),
    ("a reST literal", re.compile(r"``")),
    ("a Python type", re.compile(r"^\W*(?:int|float|str|bool|list|dict)\W*$")),
    # "at 448 MB" with the number lost; "in MB" (naming the unit of a field) is fine.
    ("a unit without its number", re.compile(r"(?:^|\b(?:at|of|to|from|by|limit|is|was)|->|=|:)\s*(?:MB|GB|ms)\b")),
)
"""What each leak looks like on screen."""


def screen_text(app: App) -> str:
    """Every character on the app's screen now (toasts and dialogs included), one line per row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def leaks(text: str) -> list[str]:
    """Each line of ``text`` that shows an internal, with what it shows."""
    found = []
    for line in text.splitlines():
        for what, pattern in LEAKS:
            if pattern.search(line):
                found.append(f"{what}: {line.strip()!r}")
    return found


def spoilers(text: str, answers: set[str]) -> list[str]:
    """Each answer (a root-cause service) that ``text`` names."""
    return sorted(a for a in answers if re.search(rf"\b{re.escape(a)}\b", text, re.IGNORECASE))
