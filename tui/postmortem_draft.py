"""The trainee's edits of a postmortem draft: read them out of the Markdown, check them, write them back.

Pure text work (no Textual): the editor screen fills its fields from :func:`edits_from_draft` and saves
:func:`apply_edits`'s Markdown. Sections are ``## Title`` blocks; the engine's other sections (impact,
timeline, root cause, investigation path) are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PRIORITIES = ("P1", "P2", "P3")
WHYS = 5
WHYS_SECTION = "Five whys (written after the drill)"
ACTION_FORMAT = "action | owner | P1-P3 | deadline"


def postmortem_path(journal_path: str | Path) -> Path:
    """Where a session's postmortem draft lives: next to its journal (``<journal>.postmortem.md``)."""
    journal = Path(journal_path)
    return journal.with_name(journal.stem + ".postmortem.md")


class DraftError(ValueError):
    """An edit that cannot be saved; the message names the field, the line and the fix."""


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One follow-up: what, who, how urgent, by when."""

    action: str
    owner: str
    priority: str
    deadline: str


@dataclass(frozen=True, slots=True)
class PostmortemEdits:
    """What the trainee writes: summary, five whys, action items, lessons."""

    summary: str
    whys: tuple[str, ...]
    action_items: tuple[ActionItem, ...]
    lessons: tuple[str, ...]


def _split(markdown: str) -> list[tuple[str, str]]:
    """(title, body) per ``## `` section; the part before the first one has the title ''."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    out = [("", parts[0])]
    out += [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    return out


def _section(markdown: str, title: str) -> str:
    return next((body for t, body in _split(markdown) if t == title), "")


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def edits_from_draft(markdown: str) -> PostmortemEdits:
    """The editable parts of a draft (the engine's, or one the trainee saved before)."""
    items = []
    for line in _section(markdown, "Action items").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and line.startswith("|") and cells[0] not in ("Action", "---") and set(cells[0]) != {"-"}:
            items.append(ActionItem(*cells[:4]))
    whys = tuple(
        m.group(1).strip() for m in re.finditer(r"^\d+\. (.*)$", _section(markdown, WHYS_SECTION), re.MULTILINE)
    )
    lessons = tuple(
        line[2:].strip() for line in _section(markdown, "Lessons learned").splitlines() if line.startswith("- ")
    )
    return PostmortemEdits(_section(markdown, "Summary").strip(), whys, tuple(items), lessons)


def parse_action_items(text: str) -> tuple[ActionItem, ...]:
    """One ``action | owner | P1-P3 | deadline`` per line; raises DraftError naming the bad line."""
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) != 4 or not all(cells):
            raise DraftError(f"action items, line {n}: {line.strip()!r} needs four parts: {ACTION_FORMAT}")
        if cells[2].upper() not in PRIORITIES:
            raise DraftError(f"action items, line {n}: priority {cells[2]!r} must be P1, P2 or P3")
        items.append(ActionItem(cells[0], cells[1], cells[2].upper(), cells[3]))
    return tuple(items)


def action_items_text(items: tuple[ActionItem, ...]) -> str:
    """The items as the editor shows them, one a line."""
    return "\n".join(f"{i.action} | {i.owner} | {i.priority} | {i.deadline}" for i in items)


def apply_edits(markdown: str, edits: PostmortemEdits) -> str:
    """``markdown`` with the trainee's summary, whys, action items and lessons in place of the draft's."""
    if not edits.summary.strip():
        raise DraftError("summary: empty; say what happened, the impact and how it ended")
    table = ["| Action | Owner | Priority | Deadline | Status |", "|---|---|---|---|---|"]
    table += [
        f"| {_cell(i.action)} | {_cell(i.owner)} | {i.priority} | {_cell(i.deadline)} | open |"
        for i in edits.action_items
    ]
    bodies = {
        "Summary": edits.summary.strip(),
        "Action items": "\n".join(table),
        "Lessons learned": "\n".join(f"- {' '.join(lesson.split())}" for lesson in edits.lessons if lesson.strip()),
    }
    whys = [w for w in edits.whys if w.strip()]
    out: list[str] = []
    for title, body in _split(markdown):
        if title == WHYS_SECTION:
            continue  # written again below, after the root cause
        if not title:
            out.append(body)
            continue
        text = bodies.get(title)
        out.append(f"## {title}\n\n{text}\n\n" if text is not None else f"## {title}{body}")
        if title == "Root cause analysis" and whys:
            numbered = "\n".join(f"{n}. {' '.join(w.split())}" for n, w in enumerate(whys, 1))
            out.append(f"## {WHYS_SECTION}\n\n{numbered}\n\n")
    return "".join(out).rstrip("\n") + "\n"
