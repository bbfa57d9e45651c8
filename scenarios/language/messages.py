"""Conditions and claims of scripted messages.

A message may arrive only ``when`` something holds and ``unless`` something else does, judged at its
time on the trainee's actions and the world (a stakeholder does not ask for an update that was posted
two minutes ago). A message may also make ``claims`` about the system (a colleague says an alert
"never fires"); ``misfortune verify`` checks each claim against the reference run, because a message's
claim must be true in the simulation (a colleague may be wrong about the cause, never about a fact the
trainee can check).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenarios.durations import Duration
from scenarios.language.base import Model, Name


class MessageCondition(Model):
    """Conditions at a message's time; every field given must hold (an empty condition always holds)."""

    action: str | None = None
    """A responder has taken this action (accepted), e.g. status_update."""
    within: Duration | None = Field(default=None, gt=0)
    """With ``action``: only one taken in the last ``within`` counts (default: any time before)."""
    acknowledged: bool | None = None
    """The incident's page has (true) or has not (false) been acknowledged."""
    alert_firing: str | None = None
    """An alert with this name is firing now."""
    flag: Name | None = None
    """A feature flag ..."""
    enabled: bool | None = None
    """... is in this state (give both)."""

    @model_validator(mode="after")
    def _pairs(self) -> MessageCondition:
        if (self.flag is None) != (self.enabled is None):
            raise ValueError("give flag and enabled together, e.g. {flag: new-search, enabled: true}")
        if self.within is not None and self.action is None:
            raise ValueError("within is the window of an action: give action with it, e.g. {action: status_update}")
        return self


class Claim(Model):
    """Something a message says about the system, checked by verify against the reference run."""

    alert: str
    """Alert name (a rule's name, or SLOBurnRateFast / SLOBurnRateSlow / LatencySLO followed by the service)."""
    fires: bool
    """The message says the alert fires (true) or never fires (false) ..."""
    until: Duration | None = None
    """... up to this simulated time (default: the whole reference run)."""


def slo_alert_names(service: str, latency: bool) -> list[str]:
    """Names of the alerts added for the SLO (the engine builds them with these names)."""
    names = [f"SLOBurnRateFast {service}", f"SLOBurnRateSlow {service}"]
    return names + ([f"LatencySLO {service}"] if latency else [])
