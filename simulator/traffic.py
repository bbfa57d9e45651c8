"""User traffic: base rate x diurnal curve x slowly varying seeded noise."""

from __future__ import annotations

import math
import random

from scenarios.language.topology import Traffic


class TrafficModel:
    """Offered user requests per second at a simulated time; call :meth:`rate` once per tick."""

    def __init__(self, spec: Traffic, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self._noise = 0.0

    def diurnal(self, t: float) -> float:
        """Daily curve multiplier (peak around 19:00 local, trough around 07:00)."""
        if not self.spec.diurnal:
            return 1.0
        hour = self.spec.start_hour + t / 3600.0
        return 1.0 + self.spec.diurnal_amplitude * math.sin(2.0 * math.pi * (hour - 13.0) / 24.0)

    def rate(self, t: float) -> float:
        """Requests per second for the tick ending at ``t`` (advances the noise process)."""
        sigma = self.spec.noise
        if sigma:
            # AR(1): correlated over about a minute, like real traffic wobble.
            self._noise = 0.97 * self._noise + sigma * 0.243 * self.rng.gauss(0.0, 1.0)
        return max(self.spec.base_rps * self.diurnal(t) * (1.0 + self._noise), 0.0)
