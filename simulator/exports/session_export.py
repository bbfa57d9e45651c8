"""Replaying a journal for export: metric snapshots every ``step`` simulated seconds along the way.

The replay observes the session every tick (so the counters integrate exactly) and keeps the
families every ``step`` seconds; the finished simulation then serves logs, traces and the scenario.
"""

from __future__ import annotations

from pathlib import Path

from simulator.exports.metrics import Family, MetricsAccumulator
from simulator.session.journal_session import replay_journal
from simulator.session.simulation import Simulation

OBSERVE_EVERY = 1.0
"""Simulated seconds between observations: the engine's tick, so counters integrate exactly."""


class SessionExport:
    """One replay of a journal, with the metric frames an export writes."""

    def __init__(self, step: float = 15.0, metrics: bool = True) -> None:
        self.step = step
        self.metrics = metrics
        self.accumulator = MetricsAccumulator()
        self.frames: list[tuple[float, tuple[Family, ...]]] = []

    def _observe(self, sim: Simulation) -> None:
        self.accumulator.observe(sim)
        last = self.frames[-1][0] if self.frames else None
        if last is None or sim.now - last >= self.step - 1e-9 or sim.ended_at is not None:
            if last is None or sim.now > last:
                self.frames.append((sim.now, self.accumulator.families(sim)))

    def replay(self, journal: str | Path) -> Simulation:
        """Re-simulate the journal (raises JournalError), observing it when metrics are wanted."""
        if self.metrics:
            sim, _report = replay_journal(journal, self._observe, every=OBSERVE_EVERY)
        else:
            sim, _report = replay_journal(journal)
        return sim

    def openmetrics(self, epoch: float) -> bytes:
        """The frames in OpenMetrics, simulated time t stamped ``epoch + t``."""
        from simulator.exports.exposition import history_openmetrics

        return history_openmetrics(self.frames, epoch)
