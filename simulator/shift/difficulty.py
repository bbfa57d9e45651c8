"""The difficulty dial of a shift: noise, hints and alert quality.

- easy: half the noise alerts and false positives; hints come at half their time;
- normal: the scenarios as written;
- hard: twice the noise and false positives; no hints; the first alert rule of each incident's
  scenario is missing (monitoring has a gap: the page comes later, from the SLO burn alerts, or never).

Scenarios are tuned per incident after the seed has picked their variant, so a journal's plan (which
records the difficulty) replays the same shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scenarios.language.scenario import Scenario

Difficulty = Literal["easy", "normal", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "normal", "hard")


@dataclass(frozen=True)
class Dial:
    """What one difficulty changes."""

    noise: float
    """Factor on the rate of noise alerts and false-positive pages."""
    hints: float | None
    """Factor on each hint's time; None: no hints."""
    missing_alerts: int
    """How many of the scenario's own alert rules are missing (the first ones)."""


DIALS: dict[str, Dial] = {
    "easy": Dial(noise=0.5, hints=0.5, missing_alerts=0),
    "normal": Dial(noise=1.0, hints=1.0, missing_alerts=0),
    "hard": Dial(noise=2.0, hints=None, missing_alerts=1),
}


def tune(scenario: Scenario, seed: int, difficulty: str) -> Scenario:
    """The seed's variant of ``scenario`` at ``difficulty`` (the variant itself at normal)."""
    variant = scenario.for_seed(seed)
    dial = DIALS[difficulty]
    if difficulty == "normal":
        return variant
    hints = [] if dial.hints is None else [h.model_copy(update={"after": h.after * dial.hints}) for h in variant.hints]
    alerting = variant.alerting.model_copy(update={"rules": list(variant.alerting.rules[dial.missing_alerts :])})
    # model_copy keeps the chosen variant, so Simulation's for_seed(seed) returns this tuned copy.
    return variant.model_copy(update={"hints": hints, "alerting": alerting})
