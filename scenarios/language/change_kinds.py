"""Change kinds beyond deploys, configs and flags: capacity changes, maintenance scripts and
automation runs, and provider-side changes the trainee's change log never shows."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scenarios.durations import Duration
from scenarios.language.base import Model, Name
from scenarios.limits import MAX_REPLICAS


class CapacityChange(Model):
    """Replicas added or removed. During the run it really scales the service; before t=0 it is only
    recorded (the topology's ``replicas`` are what it left). Example: ``{service: api, replicas: 40,
    by: "@autoscaler", summary: "scale out for the Monday peak"}``."""

    service: Name
    """Service scaled."""
    replicas: int = Field(ge=0, le=MAX_REPLICAS)
    """Replica count after the change."""
    from_: int | None = Field(default=None, alias="from", ge=0, le=MAX_REPLICAS)
    """Replica count before (defaults to the count at that moment, or the topology's before t=0)."""
    by: str = "@autoscaler"
    """Who or what scaled it."""
    summary: str = ""
    """Why, as the change log shows it."""


class MaintenanceRun(Model):
    """A maintenance script or automation run, as the change log records it (it changes nothing by
    itself; a harmful run is an ``automation_run`` fault). Example: ``{kind: script, name:
    rotate-logs.sh, service: api, by: "@ops"}``."""

    kind: Literal["script", "automation"] = "automation"
    """A script someone ran, or an automation run on a schedule."""
    name: str = Field(min_length=1)
    """Job or script name."""
    service: Name | None = None
    """Service it worked on (none: fleet-wide)."""
    by: str = "@automation"
    """Who or what ran it."""
    summary: str = ""
    """What it did."""


class ProviderChange(Model):
    """A change on a provider's side (a cloud network, a DNS or CDN provider). It never appears in the
    trainee's change log; the provider's status page posts ``status`` after ``status_after``, as a
    message from ``<provider> status``. Example: ``{provider: CloudNet, summary: "transit gateway
    scaling event", status_after: 40m, status: "We are investigating packet loss in us-east-1."}``."""

    provider: str = Field(min_length=1)
    """Provider name as its status page signs."""
    summary: str = Field(min_length=1)
    """What really changed (revealed in the debrief only)."""
    status: str = ""
    """What the provider's status page eventually says (empty: it never says anything)."""
    status_after: Duration = 1800.0
    """How long after the change the status message is posted."""
