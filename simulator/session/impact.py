"""The impact a trainee spared: the same scenario and seed replayed with nobody acting.

The simulation is deterministic, so what would have happened without the trainee is one more run of
the same scenario and seed with no actions. A report compares failed user requests against it: up to
the same moment when the session stopped unresolved, and through the scenario's end when the trainee
resolved it (a resolved incident stays resolved; without them, users kept failing). The run is built
the first time a report asks and only ever moves forward, so a live score (a facilitator's console)
costs one extra simulation over the whole session, not one per refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class SliRun(Protocol):
    """What the replay needs of a session with nobody acting (``Simulation`` is one)."""

    def run_until(self, t: float) -> None: ...

    @property
    def failed_user_requests(self) -> float: ...


class NobodyActing:
    """Failed user requests of the same scenario and seed with nobody acting, up to a time."""

    def __init__(self, build: Callable[[], SliRun]) -> None:
        self._build = build
        self._run: SliRun | None = None
        self._until = 0.0
        self._failed = 0.0

    def failed_requests(self, until: float) -> float:
        """Failed user requests since impact start, with nobody acting, at simulated time ``until``."""
        if self._run is None or until < self._until:  # a run only moves forward: an earlier time starts over
            self._run, self._until = self._build(), 0.0
        if until > self._until or self._until == 0.0:
            self._run.run_until(until)
            self._until = until
            self._failed = self._run.failed_user_requests
        return self._failed
