"""Charts' history from before the incident: the same system, played quietly before t=0.

A trainee compares the incident with normal, so a chart should reach back past the moment the session
starts. The engine records from t=0, so the minutes before are derived from the same model: a copy of
the scenario without its faults, noise, hints, messages or timed changes (the system as it ran before
anything went wrong; changes dated before t=0 are its starting state, as in the session itself), with
the day's clock set back so the diurnal traffic has the phase it had then. It runs for
``WARMUP_SECONDS`` from the session's seed, and its samples are shown at ``t - WARMUP_SECONDS``. The
model starts in steady state (caches warm, queues empty at normal load), as the session itself does.

Only charts read it (``Simulation.history``): the session, its journal, reports and scores never do, so
they are unchanged, and the same seed gives the same warm-up every time (no wall clock, no global RNG).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from simulator.telemetry import Series

if TYPE_CHECKING:
    from scenarios.language.scenario import Scenario

WARMUP_SECONDS = 900.0
"""How far back before t=0 a chart can look (15 minutes: the dashboards' default window)."""


def quiet_copy(scenario: Scenario, seconds: float = WARMUP_SECONDS) -> Scenario:
    """``scenario`` as the system ran before the incident, starting ``seconds`` earlier in the day."""
    traffic = scenario.traffic.model_copy(update={"start_hour": (scenario.traffic.start_hour - seconds / 3600.0) % 24})
    return scenario.model_copy(
        update={
            "duration": seconds,
            "traffic": traffic,
            "history": [change for change in scenario.history if change.at < 0],
            "faults": [],
            "optional_faults": [],
            "noise": [],
            "hints": [],
            "messages": [],
        }
    )


class Warmup:
    """The quiet run before t=0 of one session, built on first use (a chart asking for t < 0).

    ``build`` makes a simulation from a scenario and a seed (the session passes its own class: this
    module does not import it, which would make the two import each other).
    """

    def __init__(
        self, scenario: Scenario, seed: int, build: Callable[[Scenario, int], Any], seconds: float = WARMUP_SECONDS
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.build = build
        self.seconds = seconds
        self._sim: Any = None

    @property
    def sim(self) -> Any:
        """The quiet simulation, run to its end."""
        if self._sim is None:
            sim = self.build(quiet_copy(self.scenario, self.seconds), self.seed)
            sim.run_until(self.seconds)
            self._sim = sim
        return self._sim

    def metric(
        self, service: str, metric: str, zone, version, instance, start: float, end: float, client=None
    ) -> Series:
        """The quiet run's samples between ``start`` and ``end`` (both < 0), at their times before t=0."""
        offset = self.seconds
        lo, hi = max(start, -self.seconds) + offset, end + offset
        # The last sample is the quiet run's end, the session's t=0: the session has its own sample there.
        hi = min(hi, offset - self.sim.tick / 2)
        series = self.sim.metric(service, metric, zone, version, instance, lo, hi, client)
        return replace(series, times=tuple(t - offset for t in series.times))

    def stores(self) -> dict[str, Any]:
        """The quiet run's telemetry stores, by the names a game-day feed gives the session's own
        (``service``: per-service series, ``split``: per instance, zone, version and client)."""
        return {"service": self.sim.series, "split": self.sim.recorder.instance_series}

    def steps_before_start(self, store: Any) -> int:
        """How many of ``store``'s samples lie before the session's t=0 (its last sample is t=0 itself,
        which the session has a sample of its own for)."""
        if store.t0 is None:
            return 0
        return max(0, min(store.steps, math.ceil((self.seconds - self.sim.tick / 2 - store.t0) / store.interval)))


def with_history(before: Series, after: Series) -> Series:
    """One series: the warm-up's samples before t=0, then the session's."""
    return replace(after, times=before.times + after.times, values=before.values + after.values)
