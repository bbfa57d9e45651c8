"""Traffic that does not come from users: scheduled jobs, queue consumers, internal clients, probes.

Each source sends requests straight to one service (its ``target``) with its own retry policy; its
load and its retries show on the target's dashboards split by client, and in its access logs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scenarios.durations import Duration
from scenarios.language.base import Model, Name
from scenarios.limits import MAX_BACKOFF_S, MAX_RETRIES, MAX_RPS


class TrafficSource(Model):
    """An internal caller of one service: a cron job, a queue consumer, a service's own client, a probe."""

    name: Name
    """Client name, as access logs and the split by client show it (e.g. nightly-export)."""
    kind: Literal["cron", "consumer", "client", "probe"] = "client"
    """cron: runs every ``every`` for ``lasts``; consumer: drains a queue at ``rps`` (a failed message is
    redelivered: ``retries``); client: another system's steady calls; probe: a health checker."""
    target: Name
    """Service it calls."""
    rps: float = Field(gt=0, le=MAX_RPS)
    """Requests per second while it runs (before retries)."""
    start: Duration = 0.0
    """When it first runs (cron) or starts sending."""
    every: Duration | None = Field(default=None, gt=0)
    """For cron: time between the starts of two runs (default: it runs once)."""
    lasts: Duration | None = Field(default=None, gt=0)
    """How long one run lasts (cron) or how long it keeps sending; default: to the end."""
    retries: int = Field(default=0, ge=0, le=MAX_RETRIES)
    """Retries of a failed request (each is one more request on the target)."""
    backoff: Duration = Field(default=0.0, ge=0, le=MAX_BACKOFF_S)
    """Wait before each retry (it shifts when retries land, not how many there are)."""
    route: str = "POST /internal/batch"
    """Endpoint it calls, as access logs show it."""
    tls: bool = True
    """It calls over HTTPS (an expired certificate stops it); false: plain HTTP (probes often are)."""
    flag: Name | None = None
    """It runs only while this flag is on (a kill switch that pauses a job or a consumer)."""

    @model_validator(mode="after")
    def _cron_needs_a_run_length(self) -> TrafficSource:
        if self.kind == "cron" and self.every is not None and self.lasts is not None and self.lasts > self.every:
            raise ValueError(f"a run lasts {self.lasts:g}s but starts every {self.every:g}s; runs would overlap")
        return self

    def running(self, now: float) -> bool:
        """Whether it sends requests at ``now``."""
        if now < self.start:
            return False
        since = now - self.start
        if self.kind == "cron" and self.every is not None:
            since %= self.every
        return self.lasts is None or since < self.lasts
