"""A filter's result as the log view reads it: the matching lines' absolute indices, ascending, by rank.

A common text matches hundreds of thousands of lines, and a list of them cost the filter ~40 % of its time
(an int object and a list slot a match, ~36 bytes) and the view the list's memory while the filter stood.
Here a dense chunk's matches are a count (``Deferred``) until the view first reads a row of them: the
count, hence the scroll range, is exact at once, and a chunk's rows are found (a millisecond) when it is
scrolled to. Imports nothing from Textual.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Protocol

MADE_KEPT = 4
"""Deferred parts whose rows stay found (the rows on screen come from one or two; a jump back reads them
again in a millisecond)."""


class Deferred(Protocol):
    """A part whose lines are counted but not yet listed: all in [first, first + span), ``count`` of them."""

    first: int
    span: int
    count: int

    def rows(self) -> list[int]:
        """The part's lines, ascending (exactly ``count``)."""
        ...


class Matches(Sequence[int]):
    """Ascending absolute line indices in parts: lists, and deferred parts found when first read.

    Lists given to it (``extend``, the constructor) become its own: the caller does not keep them."""

    __slots__ = ("_ends", "_made", "_parts", "_shared_tail")

    def __init__(self, parts: Iterable[list[int] | Deferred] = ()) -> None:
        self._parts: list[list[int] | Deferred] = []
        self._ends: list[int] = []
        """Matches up to and including each part (prefix sums of the parts' counts): rank -> part."""
        self._made: list[tuple[Deferred, list[int]]] = []
        """The last deferred parts read and their rows, most recent first."""
        self._shared_tail = False
        """Whether the last part is another Matches' list too (copied before it grows)."""
        self.extend(parts)

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, rank):  # type: ignore[override]
        if isinstance(rank, slice):
            return [self[i] for i in range(*rank.indices(len(self)))]
        if rank < 0:
            rank += len(self)
        if not 0 <= rank < len(self):
            raise IndexError(rank)
        k = bisect_right(self._ends, rank)
        part = self._parts[k]
        offset = rank - (self._ends[k - 1] if k else 0)
        return part[offset] if type(part) is list else self._rows(part)[offset]

    def __iter__(self) -> Iterator[int]:
        for part in self._parts:
            yield from (part if type(part) is list else self._rows(part))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Matches | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Matches({len(self)} in {len(self._parts)} parts)"

    def _rows(self, part: Deferred) -> list[int]:
        made = self._made
        for i, (known, rows) in enumerate(made):
            if known is part:
                if i:
                    made.insert(0, made.pop(i))
                return rows
        rows = part.rows()
        made.insert(0, (part, rows))
        del made[MADE_KEPT:]
        return rows

    def extend(self, parts: Iterable[int] | Iterable[list[int] | Deferred] | Matches) -> None:
        """Append later lines: a list of indices (taken as is), parts, or another Matches' parts (shared:
        a list of its is copied before it would be changed)."""
        if isinstance(parts, Matches):
            for part in parts._parts:
                self._add(part, owned=False)
        elif type(parts) is list and (not parts or type(parts[0]) is int):
            self._add(parts, owned=True)
        else:
            for part in parts:
                self._add(part, owned=True)

    def _add(self, part: list[int] | Deferred, owned: bool) -> None:
        count = len(part) if type(part) is list else part.count
        if not count:
            return
        parts = self._parts
        if type(part) is list and parts and type(parts[-1]) is list:
            # Each refresh's few new lines join the last list: one part, not one a refresh.
            if self._shared_tail:
                parts[-1] = parts[-1] + part
                self._shared_tail = False
            else:
                parts[-1].extend(part)
            self._ends[-1] += count
        else:
            parts.append(part)
            self._ends.append(len(self) + count)
            self._shared_tail = not owned

    def drop_below(self, base: int) -> None:
        """Forget the lines before ``base`` (the buffer dropped them)."""
        parts, gone = self._parts, 0
        while gone < len(parts):
            part = parts[gone]
            if (part[-1] if type(part) is list else part.first + part.span - 1) >= base:
                break
            gone += 1
        if not gone and not (parts and type(parts[0]) is list and parts[0][0] < base):
            return
        del parts[:gone]  # (a deferred part is a whole chunk, and the buffer drops whole chunks)
        if parts and type(parts[0]) is list and parts[0][0] < base:
            parts[0] = parts[0][bisect_left(parts[0], base) :]  # (a copy: it may be shared)
            if len(parts) == 1:
                self._shared_tail = False
        self._ends = list(accumulate(len(p) if type(p) is list else p.count for p in parts))
        self._made = [(known, rows) for known, rows in self._made if any(known is p for p in parts)]
