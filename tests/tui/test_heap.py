"""The console's heap settling (tui.heap): garbage is collected, survivors are frozen, nothing frozen is
lost for good, and the settles wait for a quiet moment."""

from __future__ import annotations

import gc
import platform
import weakref

import pytest

from tui import heap


class Node:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _restore_gc():
    yield
    heap.stop()


def test_settle_frees_cycles_and_freezes_the_survivors():
    dead, alive = Node(), Node()
    dead_ref = weakref.ref(dead)
    del dead
    heap.settle()
    assert dead_ref() is None, "a cycle made before the settle is collected by it"
    assert gc.get_freeze_count() > 0
    assert alive.me is alive


def test_after_a_settle_each_full_collection_freezes_its_survivors():
    heap.settle()
    frozen = gc.get_freeze_count()
    survivors = [Node() for _ in range(1000)]
    gc.collect(1)
    # At most as many: a frozen object still dies when its last reference goes (another thread of an
    # xdist worker let go of 14 of them between the two counts in a loaded CI run).
    assert gc.get_freeze_count() <= frozen, "a young collection freezes nothing"
    frozen = gc.get_freeze_count()
    gc.collect()
    assert gc.get_freeze_count() >= frozen + len(survivors), "the full one froze what it kept"
    heap.stop()
    assert gc.get_freeze_count() == 0 and heap._refreeze not in gc.callbacks


def test_a_frozen_cycle_that_dies_is_freed_by_the_next_settle():
    node = Node()
    ref = weakref.ref(node)
    heap.settle()  # node is alive: frozen
    del node
    gc.collect()
    assert ref() is not None, "frozen: an ordinary collection does not see it"
    heap.settle()
    assert ref() is None, "the next settle unfreezes before it collects"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_settler_waits_for_the_first_settle_the_interval_and_a_quiet_moment(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append(1) or 0.0)
    clock = Clock()
    settler = heap.Settler(every=60.0, quiet=2.0, clock=clock)
    assert not settler.maybe(last_input=0.0), "nothing before the console's own first settle"
    settler.settle()
    assert len(calls) == 1
    clock.now += 59.0
    assert not settler.maybe(last_input=0.0), "a minute has not passed"
    clock.now += 2.0
    assert not settler.maybe(last_input=clock.now - 1.0), "a key a second ago: not quiet"
    assert not settler.maybe(last_input=None), "an app that does not report input: no later settles"
    assert settler.maybe(last_input=clock.now - 2.0)
    assert len(calls) == 2 and settler.settled_at == clock.now
    assert not settler.maybe(last_input=0.0), "and then not again for a minute"


def test_a_tidy_frees_the_cycles_made_since_the_settle():
    heap.settle()
    frozen = gc.get_freeze_count()
    dead, alive = Node(), Node()
    dead_ref = weakref.ref(dead)
    del dead
    heap.tidy()
    assert dead_ref() is None, "a cycle made after the settle is collected by the tidy"
    assert gc.get_freeze_count() > frozen, "what it kept is frozen"
    assert alive.me is alive


def test_settler_tidies_only_after_a_settle_a_quiet_moment_and_young_collections(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "tidy", lambda: calls.append(1) or 0.0)
    monkeypatch.setattr(heap, "settle", lambda: 0.0)
    clock = Clock()
    settler = heap.Settler(clock=clock)
    counts = [(0, 0, 3)]
    monkeypatch.setattr(gc, "get_count", lambda: counts[0])
    assert not settler.tidy(last_input=0.0), "not before the first settle: it would walk the whole heap"
    settler.settle()
    assert not settler.tidy(last_input=clock.now - 0.05), "a key 50 ms ago: the switch may still be painting"
    assert not settler.tidy(last_input=None), "an app that does not report input: never"
    assert settler.tidy(last_input=clock.now - 2 * heap.TIDY_QUIET_S)
    counts[0] = (500, 4, 0)
    assert not settler.tidy(last_input=0.0), "no young collection since the last full one: nothing to tidy"
    assert len(calls) == settler.tidied == 1


async def test_the_console_settles_once_its_panels_are_built_and_the_app_reports_input():
    from tests.tui.test_console import settled
    from tui.app import MisfortuneApp
    from tui.session import LocalSession

    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.set_speed(0.0)
    app = MisfortuneApp(session, "console", clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        console = app.screen
        assert await settled(pilot, lambda: console._heap.count == 1), "settled after the pre-warm"
        assert gc.get_freeze_count() > 0
        before = app.last_input
        await pilot.press("l")
        assert app.last_input > before, "a key is input: the next settle waits for a quiet moment"
        gc.collect(1)  # a young collection since the last full one: something to tidy
        assert await settled(pilot, lambda: console._heap.tidied == 1), "tidied once the switch is painted"
        assert heap._refreeze in gc.callbacks
    # Gone with the console: a full collection after it froze every survivor for good, and gc.get_objects()
    # no longer saw them (a later test in the same worker, test_cold_store's, failed on that).
    assert heap._refreeze not in gc.callbacks and gc.get_freeze_count() == 0


class _Libc:
    """A C library whose ``mallopt`` records its calls."""

    def __init__(self, answer: int = 1) -> None:
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

        def mallopt(param: int, value: int) -> int:
            self.calls.append((param, value))
            return self.answer

        self.mallopt = mallopt


def test_steady_malloc_fixes_glibcs_mmap_threshold_at_128_kb(monkeypatch):
    libc = _Libc()
    monkeypatch.setattr(heap.ctypes, "CDLL", lambda name: libc)
    assert heap.steady_malloc() is True
    assert libc.calls == [(-3, 131072)], "M_MMAP_THRESHOLD (malloc.h: -3) held at glibc's default"


@pytest.mark.parametrize("error", [OSError, AttributeError, TypeError])
def test_steady_malloc_is_a_no_op_without_mallopt(monkeypatch, error):
    def no_libc(name):
        if error is OSError:
            raise OSError("no C library")
        if error is TypeError:
            raise TypeError("expected str, bytes or os.PathLike object, not NoneType")  # Windows' CDLL(None)
        return object()  # no mallopt (macOS)

    monkeypatch.setattr(heap.ctypes, "CDLL", no_libc)
    assert heap.steady_malloc() is False
    refused = _Libc(answer=0)  # musl's mallopt: accepts nothing
    monkeypatch.setattr(heap.ctypes, "CDLL", lambda name: refused)
    assert heap.steady_malloc() is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_glibc_takes_the_threshold():
    assert heap.steady_malloc() is True
    assert heap.steady_malloc() is True, "again (each app of a process calls it): still taken"


async def test_the_console_steadies_malloc_once_its_panels_are_built(monkeypatch):
    from tests.tui.test_console import settled
    from tui.app import MisfortuneApp
    from tui.session import LocalSession

    calls = []
    monkeypatch.setattr(heap, "steady_malloc", lambda: calls.append(1) or True)
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.set_speed(0.0)
    app = MisfortuneApp(session, "console", clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        console = app.screen
        assert await settled(pilot, lambda: console.prewarmed), "pre-warmed"
        assert calls == [1]
