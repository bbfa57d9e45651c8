"""The impact a trainee spared: the same scenario and seed replayed with nobody acting.

The simulation is deterministic, so what would have happened without the trainee is one more run of
the same scenario and seed with no actions. A report compares failed user requests against it: up to
the same moment when the session stopped unresolved, and through the scenario's end when the trainee
resolved it (a resolved incident stays resolved; without them, users kept failing). The run is built
the first time a report asks and only ever moves forward, so a live score (a facilitator's console)
costs one extra simulation over the whole session, not one per refresh. A session nobody acted in
(no action applied, scored at the time it stands at) is that run already: ``Simulation.score`` takes its
own count and builds none (a shift nobody answers, `misfortune run` with no actions).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Protocol

Answers = dict[tuple[Hashable, float], float]
"""Failed requests with nobody acting, by (scenario content and seed, time)."""

_shared: Answers | None = None
"""The answers :func:`shared_baselines` shares; None outside it."""


@contextmanager
def shared_baselines(answers: Answers | None = None) -> Iterator[Answers]:
    """Within the block, replays of the same scenario (by content) and seed answer each time once.

    For batch runs that score the same scenario and seed again and again (the golden tests score three
    sessions of a scenario against one baseline; the journal fuzzer replays hundreds of variants of two
    sessions). The replay is deterministic, so a shared answer is the one a fresh replay gives. The
    answers go in ``answers`` (a new dict by default; pass the same one to share across blocks) and are
    consulted only inside a block, so a long-lived process that never opens one keeps none. Nested blocks
    share the outer one's.
    """
    global _shared
    previous = _shared
    _shared = previous if previous is not None else ({} if answers is None else answers)
    try:
        yield _shared
    finally:
        _shared = previous


class SliRun(Protocol):
    """What the replay needs of a session with nobody acting (``Simulation`` is one)."""

    def run_until(self, t: float) -> None: ...

    @property
    def failed_user_requests(self) -> float: ...


class NobodyActing:
    """Failed user requests of the same scenario and seed with nobody acting, up to a time."""

    def __init__(self, build: Callable[[], SliRun], key: Callable[[], Hashable] | None = None) -> None:
        """``build`` makes the run; ``key`` names what it plays (scenario content and seed), so that inside
        :func:`shared_baselines` another session of the same scenario and seed reuses its answers."""
        self._build = build
        self._key = key
        self._named: Hashable | None = None
        self._run: SliRun | None = None
        self._until = 0.0
        self._failed = 0.0

    def failed_requests(self, until: float) -> float:
        """Failed user requests since impact start, with nobody acting, at simulated time ``until``."""
        if _shared is None or self._key is None:
            return self._replayed(until)
        if self._named is None:  # once: a live score asks at every refresh
            self._named = self._key()
        shared = (self._named, until)
        if shared not in _shared:
            _shared[shared] = self._replayed(until)
        return _shared[shared]

    def known(self, until: float, failed: float) -> None:
        """The answer at ``until``, found without a replay (a session nobody acted in, standing at ``until``,
        is the run with nobody acting): inside :func:`shared_baselines` a later session of the same
        scenario and seed takes it instead of replaying (the golden tests play doing nothing before the
        reference solution of the same seed)."""
        if _shared is None or self._key is None:
            return
        if self._named is None:
            self._named = self._key()
        _shared.setdefault((self._named, until), failed)

    def _replayed(self, until: float) -> float:
        if self._run is None or until < self._until:  # a run only moves forward: an earlier time starts over
            self._run, self._until = self._build(), 0.0
        if until > self._until or self._until == 0.0:
            self._run.run_until(until)
            self._until = until
            self._failed = self._run.failed_user_requests
        return self._failed
