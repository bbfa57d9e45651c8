"""Keeping Python's full garbage collections out of key presses.

A full (generation 2) collection walks every tracked object: with a session and the console built that
is ~130,000-190,000 objects and ~100 ms of one core, landing on whichever key press or frame happened
to allocate the object that tipped the count (bench/tui_console.py saw it as a panel switch of 130 ms
among switches of 25 ms). :func:`settle` collects once at a quiet moment and moves the survivors out of
the collector's sight (``gc.freeze``), so later full collections walk only what was made after it.

Between settles, :meth:`Settler.tidy` runs the full collection that Python would otherwise start in the
middle of a key press (every ~2 panel switches, ~10-17 ms for the ~10,000 objects each leaves in cycles:
DataTable and Strip caches, restyled component nodes): once the console has been idle a moment after a
switch, so the next key starts with the collector's counts at zero.

Frozen objects are never collected. Whatever is frozen and later becomes cyclic garbage (a cache entry
evicted, the console of a finished game) stays until the next :func:`settle`, which first unfreezes
and collects everything. Objects freed by reference counting (most of them) are freed frozen or not.
"""

from __future__ import annotations

import ctypes
import gc
import time
from collections.abc import Callable

SETTLE_EVERY_S = 60.0
"""At most one settle a minute after the first: ~0.1-0.2 s of CPU, well inside 5 % of a core."""
QUIET_S = 2.0
"""A settle waits for this long without input, so a key is unlikely to arrive during its pause."""
TIDY_QUIET_S = 0.1
"""A tidy waits for this long without input: a switch's frames are out by then, and the next key of a
trainee reading the screen is further off (a key that does arrive waits for a tidy of ~5-15 ms)."""


M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter for the size from which a block is its own ``mmap`` (malloc.h)."""
MMAP_THRESHOLD = 128 * 1024
"""glibc's default threshold, held fixed (:func:`steady_malloc`)."""


def steady_malloc() -> bool:
    """Hold glibc's mmap threshold at its default, 128 KB; True if the C library took it.

    glibc raises the threshold each time a block above it is freed (up to 32 MB), so after the first
    few the big, growing arrays of a long session (the log store's columns, the log view's) are
    reallocated on the heap: each growth copies the array and leaves its old place a hole that only
    smaller blocks can fill. Held at 128 KB, they stay mappings that grow in place (``mremap``): an
    8-hour session's console peaked 5-6 MB lower (bench/tui_memory.py). A no-op where the C library has
    no ``mallopt`` (macOS), ignores it (musl) or cannot be opened by name (Windows).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # (TypeError: Windows has no handle for the process itself)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def settle() -> float:
    """Collect all garbage now and freeze what survives; the CPU seconds it took.

    Call it where a pause of ~0.1-0.2 s is not felt (no key pressed for a while).
    """
    start = time.process_time()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    if _refreeze not in gc.callbacks:
        gc.callbacks.append(_refreeze)
    return time.process_time() - start


def stop() -> None:
    """Unfreeze everything and stop freezing after full collections (tests; the process's end)."""
    if _refreeze in gc.callbacks:
        gc.callbacks.remove(_refreeze)
    gc.unfreeze()


def _refreeze(phase: str, info: dict) -> None:
    """After each automatic full collection, freeze its survivors too.

    Frozen objects do not count towards the next full collection's trigger, so with only the settle's
    freeze Python still ran one every ~2 s of panel switching, each walking the ~80,000 cache entries
    the panels had filled since (~50 ms; 10x rarer instead meant ~150 ms each). Freezing what survives
    each one leaves the next only what was made since (~5-10 ms). What it froze and later dies in a
    cycle waits for the next settle (at most a minute, once the trainee pauses).
    """
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def tidy() -> float:
    """Collect the garbage made since the last freeze and freeze what survives; the CPU seconds it took.

    Only after a :func:`settle` (else it would walk the whole heap, ~0.1 s): a full collection then walks
    only what is not frozen, and the refreeze callback freezes its survivors.
    """
    start = time.process_time()
    gc.collect()
    return time.process_time() - start


class Settler:
    """Settles the heap once the console is built, then again now and then while the trainee reads.

    The first settle freezes the session and the panels; the caches the panels fill as they are looked
    at, and what the incident adds, are frozen by the later ones, so the automatic full collections in
    between stay short (~10 ms instead of ~50 ms with warm caches).
    """

    def __init__(
        self, every: float = SETTLE_EVERY_S, quiet: float = QUIET_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every = every
        self.quiet = quiet
        self.clock = clock
        self.settled_at: float | None = None
        """Clock reading at the last settle (None: not settled yet)."""
        self.count = 0
        self.tidied = 0
        """Tidies so far."""

    def settle(self) -> None:
        """Settle now."""
        settle()
        self.settled_at = self.clock()
        self.count += 1

    def maybe(self, last_input: float | None) -> bool:
        """Settle if the last settle is ``every`` seconds old and no input came for ``quiet`` seconds.

        ``last_input`` is the clock reading of the latest key or mouse event, or None when the app does not
        say (then only the first settle happens). True if it settled.
        """
        now = self.clock()
        if self.settled_at is None or last_input is None:
            return False
        if now - self.settled_at < self.every or now - last_input < self.quiet:
            return False
        self.settle()
        return True

    def tidy(self, last_input: float | None) -> bool:
        """Tidy (see :func:`tidy`) if settled, no input came for ``TIDY_QUIET_S`` and the young generations
        have been collected since the last full collection (else there is little to do). True if it did."""
        if self.settled_at is None or last_input is None:
            return False
        if self.clock() - last_input < TIDY_QUIET_S or gc.get_count()[2] == 0:
            return False
        tidy()
        self.tidied += 1
        return True
