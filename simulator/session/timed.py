"""Timed play: the one loop that re-applies recorded actions to a Simulation at their times.

Both ways of rebuilding a session from timed actions go through :func:`play_timed`: a journal's
replay, replay to t, resume and game-day rewind (:class:`simulator.session.journal_session.JournalSession`)
and shadow on-call's rewind (:class:`simulator.session.shadow.ShadowRun`), so they cannot drift apart:
each action is applied at its recorded time, as the seat that took it, in record order, and the
simulation then runs on to the stop time.

They differ only in where they stop: a replay to ``t`` includes the actions *at* ``t`` (the session as
it was just after them); a shadow rewind to a move's time leaves that move unplayed (its question
opens again). That is the ``before`` switch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from scenarios.language.actions import Action
from simulator.session.simulation import Simulation
from simulator.views import ActionResult


class TimedAction(Protocol):
    """A recorded action: when, who and what (a journal record, an expert's move)."""

    @property
    def t(self) -> float: ...

    @property
    def seat(self) -> str: ...

    @property
    def action(self) -> Action: ...


A = TypeVar("A", bound=TimedAction)


def play_timed(
    sim: Simulation,
    actions: Iterable[A],
    stop: float,
    through: float | None = None,
    *,
    before: bool = False,
    run_until: Callable[[float], None] | None = None,
    played: Callable[[A, ActionResult], None] | None = None,
) -> int:
    """Apply ``actions`` (in time order) to ``sim`` at their times as their seats, then run to ``stop``.

    Actions up to ``through`` are applied (every one when None); with ``before`` only those strictly
    before it. ``run_until`` moves the clock (default ``sim.run_until``; a replay that feeds exports
    steps it); ``played`` is told each action and what the engine answered. Returns how many were applied.
    """
    advance = run_until or sim.run_until
    count = 0
    for record in actions:
        if through is not None and (record.t > through or (before and record.t >= through)):
            break
        advance(record.t)
        result = sim.apply(record.action, record.seat)
        count += 1
        if played is not None:
            played(record, result)
    advance(stop)
    return count
