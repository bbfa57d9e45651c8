"""User traffic: base rate x diurnal curve x slowly varying seeded noise."""

from __future__ import annotations

import math
import random

from scenarios.language.topology import Traffic

STEP = 5.0
"""Seconds between changes of the offered user traffic."""


class TrafficModel:
    """Offered user requests per second at a simulated time; call :meth:`rate` once per tick."""

    def __init__(self, spec: Traffic, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self._noise = 0.0
        self._step = -1
        self._rate = 0.0

    def diurnal(self, t: float) -> float:
        """Daily curve multiplier (peak around 19:00 local, trough around 07:00)."""
        if not self.spec.diurnal:
            return 1.0
        hour = self.spec.start_hour + t / 3600.0
        return 1.0 + self.spec.diurnal_amplitude * math.sin(2.0 * math.pi * (hour - 13.0) / 24.0)

    def rate(self, t: float) -> float:
        """Requests per second for the tick ending at ``t``.

        The rate moves in steps of STEP seconds, like a metric scraped every few seconds; between steps
        the world's inputs stay the same, which lets the tick model skip services that did not change.
        """
        step = int(t // STEP)
        if step != self._step:
            self._step = step
            sigma = self.spec.noise
            if sigma:
                # AR(1) per step: correlated over about a minute, like real traffic wobble.
                self._noise = 0.86 * self._noise + sigma * 0.51 * self.rng.gauss(0.0, 1.0)
            self._rate = max(self.spec.base_rps * self.diurnal(step * STEP) * (1.0 + self._noise), 0.0)
        return self._rate
