"""A filter's result as the log view reads it (Matches): by rank, across the edges of its parts (lists and
deferred chunks), as lines arrive and old ones leave, against a plain list of the same indices; and the log
view reading a dense filter through it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from simulator.views import LogRecord
from tui.widgets.log_buffer import CHUNK, LogBuffer, LogQuery
from tui.widgets.log_matches import MADE_KEPT, Matches
from tui.widgets.log_view import LogView


class _Chunk:
    """A deferred part: ``rows`` in [first, first + span), listed on demand (and how often)."""

    def __init__(self, first: int, span: int, rows: list[int]) -> None:
        self.first, self.span, self.count = first, span, len(rows)
        self._rows = rows
        self.listed = 0

    def rows(self) -> list[int]:
        self.listed += 1
        return list(self._rows)


def _check(matches: Matches, expected: list[int]) -> None:
    assert len(matches) == len(expected)
    assert [matches[r] for r in range(len(expected))] == expected  # every rank, so every part's edges
    assert list(matches) == expected
    assert matches[-len(expected) :] == expected
    with pytest.raises(IndexError):
        matches[len(expected)]
    with pytest.raises(IndexError):
        matches[-len(expected) - 1]


def _part(first: int, span: int, picks: list[bool], deferred: bool):
    rows = [first + i for i, pick in enumerate(picks[:span]) if pick]
    return _Chunk(first, span, rows) if deferred else rows


steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("extend"), st.lists(st.tuples(st.lists(st.booleans(), max_size=6), st.booleans()), max_size=3)
        ),
        st.tuples(
            st.just("matches"), st.lists(st.tuples(st.lists(st.booleans(), max_size=6), st.booleans()), max_size=3)
        ),
        st.tuples(st.just("drop"), st.integers(0, 8)),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_matches_read_as_the_plain_list(steps):
    """Random parts (chunks of 6 lines, each a list or deferred, some empty) appended as lists, as parts or
    as another Matches (whose own reading must not change), and the oldest lines dropped."""
    matches, expected, end = Matches(), [], 0
    others: list[tuple[Matches, list[int]]] = []
    for kind, arg in steps:
        if kind == "drop":
            base = min(end, (expected[0] if expected else end) + arg)
            base -= base % 6  # the buffer drops whole chunks (a deferred part is one)
            matches.drop_below(base)
            expected = [i for i in expected if i >= base]
        else:
            parts = []
            for picks, deferred in arg:
                parts.append(_part(end, 6, picks, deferred))
                end += 6
            new = [i for part in parts for i in (part if type(part) is list else part.rows())]
            if kind == "matches":
                other = Matches(parts)
                matches.extend(other)
                others.append((other, new))
            elif len(parts) == 1 and type(parts[0]) is list:
                matches.extend(parts[0])  # a list of indices, as each refresh's new lines
            else:
                matches.extend(parts)
            expected = expected + new
        _check(matches, expected)
    for other, its in others:  # sharing parts changed none of them
        _check(other, its)


def test_ranks_at_the_edges_of_parts_and_the_rows_listed_once_while_read():
    """Deferred parts between lists: each part's first and last rank; a part is listed when first read and
    kept while it is among the last MADE_KEPT read."""
    chunks = [_Chunk(100 * k, 100, list(range(100 * k, 100 * k + 100, 7))) for k in range(MADE_KEPT + 2)]
    head, tail = [1, 5], [10_000, 10_001]
    matches = Matches([head, *chunks])
    matches.extend(tail)
    expected = head + [i for c in chunks for i in c._rows] + tail
    for c in chunks:
        c.listed = 0
    edge = len(head)
    for c in chunks:
        assert matches[edge - 1] == expected[edge - 1] and matches[edge] == c._rows[0] == expected[edge]
        edge += c.count
        assert matches[edge - 1] == c._rows[-1]
    assert [c.listed for c in chunks] == [1] * len(chunks)
    assert matches[len(head) + 3] == chunks[0]._rows[3]  # forgotten (more than MADE_KEPT read since): again
    assert chunks[0].listed == 2
    assert matches[len(matches) - 1] == 10_001 and chunks[-1].listed == 1  # (the list after it: no listing)
    _check(matches, expected)


def test_a_shared_list_is_copied_before_it_grows_and_dropping_keeps_the_rest():
    first = Matches([[3, 4, 9]])
    whole = Matches()
    whole.extend(first)
    whole.extend([12, 13])  # joins the shared list: a copy grows, not first's
    _check(first, [3, 4, 9])
    _check(whole, [3, 4, 9, 12, 13])
    whole.drop_below(5)
    _check(whole, [9, 12, 13])
    _check(first, [3, 4, 9])
    whole.drop_below(14)
    _check(whole, [])
    assert Matches([[], []]) == [] and len(Matches()) == 0


class _ViewHost(App):
    def compose(self) -> ComposeResult:
        yield LogView(id="log-view")


def _line(i: int) -> LogRecord:
    message = f"GET /api/{i} 200 3ms" if i % 3 else f"POST /api/{i} 503"
    return LogRecord(float(i), "INFO", "svc", "v1", "z", "i-1", message, "")


async def test_the_log_view_reads_a_dense_filter_by_rank_as_lines_arrive_and_leave():
    """Real chunks, a text two lines in three hold (dense: counted, listed when read): the view's count and
    each row it reads match a plain scan after the filter, after lines arrive, and after the oldest chunk
    leaves (capacity 18 chunks)."""
    async with _ViewHost().run_test(size=(100, 20)) as pilot:
        view = pilot.app.query_one(LogView)
        view.buffer = LogBuffer(capacity=18 * CHUNK)
        view.append([_line(i) for i in range(18 * CHUNK + 50)])  # two of the filter's slices (16 chunks)
        view.set_query(LogQuery(text=" 200 "))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

        def plain() -> list[int]:
            buffer = view.buffer
            return [buffer.base + i for i, row in enumerate(buffer.lines) if " 200 " in row]

        for more in (0, 30, CHUNK):  # the filter, new lines, then the oldest chunk dropped
            if more:
                view.append([_line(i) for i in range(view.buffer.end, view.buffer.end + more)])
            expected = plain()
            assert view.visible_count == len(expected) > CHUNK
            assert [view._absolute(y) for y in range(view.visible_count)] == expected
        assert view.buffer.base == CHUNK
        assert any(type(part) is not list for part in view._matches._parts)  # (the deferred path was read)

        # A filter that ends after the oldest chunk has left (its worker ran meanwhile): only kept lines.
        query = LogQuery(text="503")
        view.query_state, end = query, view.buffer.end
        found = view.buffer.matches(query)
        view.append([_line(i) for i in range(end, end + CHUNK)])
        assert view.buffer.base == 2 * CHUNK and found[0] < view.buffer.base
        view._filter_done(query, end, found)
        expected = [view.buffer.base + i for i, row in enumerate(view.buffer.lines) if "503" in row]
        assert [view._absolute(y) for y in range(view.visible_count)] == expected
