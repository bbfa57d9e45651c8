"""Recovery as scenario data: how long fixes take in this system, what slows them, the manual
procedures a trainee runs from a runbook, and time compression while a long recovery runs.

Without a ``recovery`` section the engine's own paces apply (a rollback goes instance by instance as
fast as instances start, a config revert propagates within 20 s, a rolling restart like a rollback).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenarios.durations import Duration
from scenarios.language.actions import Action
from scenarios.language.base import Model, Name
from scenarios.limits import (
    MAX_COMPRESSION,
    MAX_PROCEDURE_STEPS,
    MAX_PROCEDURES,
    MAX_SLOWDOWN,
    MIN_COMPRESSION,
)


class Slowdown(Model):
    """A named condition that slows a recovery while it holds (the outage itself, a busy control plane).

    Example: ``{name: "the deploy tool reaches hosts over the broken network", service: network,
    factor: 5}``: while ``network`` fails more than half its requests, the recovery advances at a fifth of
    its pace, so mitigating the outage first also speeds the fix up."""

    name: str = Field(min_length=1)
    """What slows the recovery, as the operator would say it; shown on the operation while it holds."""
    service: Name
    """The condition holds while this service is unhealthy."""
    error_ratio_above: float = Field(default=0.5, ge=0, lt=1)
    """Unhealthy means failing more than this share of its requests (or having no instance serving)."""
    factor: float = Field(default=4.0, gt=1, le=MAX_SLOWDOWN)
    """How many times slower the recovery advances while the condition holds (several multiply)."""
    zones: list[Name] = Field(default_factory=list, max_length=12)
    """Only the service's instances in these zones count: the condition holds while any of them fails more
    than ``error_ratio_above`` of its work itself (a site cut off, even once its traffic is drained)."""


class Pace(Model):
    """How long one kind of recovery takes: a fixed preparation, then a time per instance.

    Example: ``{fixed: 10m, per_instance: 2m}`` on a fleet of 30 takes about 70 minutes; the per-instance
    part makes it proportional to the fleet size."""

    fixed: Duration = 0.0
    """Time before the first instance changes (approvals, finding the last good build, the tool starting)."""
    per_instance: Duration = 0.0
    """Extra time for each instance replaced or reloaded, one after the other (bake time, host by host)."""
    slowed_by: list[Slowdown] = Field(default_factory=list, max_length=10)
    """Named conditions that slow this recovery while they hold."""


class DataPace(Model):
    """How long a data recovery takes beyond copying the bytes: a fixed preparation, then the copy at the
    data set's throughput (``restore_gb_per_hour`` or ``resync_gb_per_hour``), all slowed while a named
    condition holds.

    Example: ``{fixed: 20m, slowed_by: [{name: "the backup bucket is read across the lossy link", service:
    transit, factor: 3}]}``: twenty minutes to find, approve and fetch the backup, then the copy, three
    times slower while ``transit`` fails."""

    fixed: Duration = 0.0
    """Time before the copy starts (finding the right backup, approvals, fetching it, stopping writers)."""
    slowed_by: list[Slowdown] = Field(default_factory=list, max_length=10)
    """Named conditions that slow the preparation and the copy while they hold."""


class ProcedureStep(Model):
    """One step of a manual procedure, as the runbook lists it."""

    text: str = Field(min_length=1)
    """What the operator does, e.g. 'Fetch break-glass credentials from the vault'."""
    takes: Duration = Field(gt=0)
    """How long the step takes (once, or per instance with ``per_instance_of``)."""
    per_instance_of: Name | None = None
    """Repeat the step for every instance of this service (the time is ``takes`` x its instances)."""


class Procedure(Model):
    """A manual, multi-step recovery the trainee starts with ``run_procedure`` and reads in a runbook.

    The steps run one after another in simulated time (each on the timeline and as an operation's
    progress); when the last is done, the actions in ``then`` take effect as if the operator had issued
    them. Example: ``{name: manual-revert, title: "Revert the edge config by hand", steps: [{text:
    "Get console access", takes: 15m}, {text: "Re-apply rev-41 on each router", takes: 1m,
    per_instance_of: edge}], then: [{action: rollback_config, service: edge}]}``."""

    name: Name
    """Procedure id the ``run_procedure`` action names."""
    title: str = Field(min_length=1)
    """What it does, shown when it starts."""
    steps: list[ProcedureStep] = Field(min_length=1, max_length=MAX_PROCEDURE_STEPS)
    """The steps, in order."""
    then: list[Action] = Field(default_factory=list, max_length=10)
    """Mitigation actions that take effect when the last step is done (not run_procedure itself)."""
    reconciles: Name | None = None
    """A database with ``data``: when the last step is done (before ``then``), the writes that only its
    diverged copies hold (a split brain's) are replayed onto the primary, so rebuilding those copies no
    longer loses them. Example: ``reconciles: mysql`` with ``then: [{action: resync_replica, service:
    mysql, host: mysql-0}]``."""
    slowed_by: list[Slowdown] = Field(default_factory=list, max_length=10)
    """Named conditions that slow every step while they hold."""


class Compression(Model):
    """Time compression: while a long recovery is all that is happening, the console may skip ahead.

    Example: ``{after: 5m, speed: 120}``: once an operation has more than five minutes of work left and
    no page is open, the console's clock runs at 120x (shown in the status line) until the recovery
    ends, a page fires or a message arrives."""

    after: Duration = Field(default=300.0, gt=0)
    """Compress only a recovery with more than this much work left."""
    speed: float = Field(default=60.0, ge=MIN_COMPRESSION, le=MAX_COMPRESSION)
    """Clock speed while compressed (simulated seconds per wall second)."""


class Recovery(Model):
    """How long this system's fixes take and what slows them."""

    rollback: Pace | None = None
    """Pace of ``rollback_deploy`` (and of the rollouts it starts)."""
    revert: Pace | None = None
    """Pace of ``rollback_config``: replaces the 20 s propagation with fixed + per instance."""
    restart: Pace | None = None
    """Pace of a rolling ``restart``."""
    restore: DataPace | None = None
    """Pace of ``restore_backup`` (default: the copy alone, at the data set's restore throughput)."""
    resync: DataPace | None = None
    """Pace of ``resync_replica`` (default: the copy alone, at the data set's resync throughput)."""
    procedures: list[Procedure] = Field(default_factory=list, max_length=MAX_PROCEDURES)
    """Manual procedures the trainee can run (``run_procedure``)."""
    compress: Compression | None = None
    """Time compression while a long recovery runs (off when omitted)."""

    @model_validator(mode="after")
    def _unique_procedures(self) -> Recovery:
        names = [p.name for p in self.procedures]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"procedure names must be unique: {', '.join(dupes)}")
        for p in self.procedures:
            if any(a.action == "run_procedure" for a in p.then):
                raise ValueError(f"procedure {p.name!r}: 'then' cannot run another procedure")
        return self
