"""The change kinds beyond deploys, configs and flags, as the scenario's script plays them.

A capacity change before t=0 is only recorded (the topology's replicas are what it left); later it
really scales the service. A maintenance script or automation run is recorded. A provider-side
change is never recorded: the trainee learns of it only from the provider's status message, if the
provider ever posts one.
"""

from __future__ import annotations

from collections.abc import Generator

from scenarios.language.change_kinds import CapacityChange, MaintenanceRun, ProviderChange
from simulator.incident.process import IncidentState
from simulator.views import ChangeRecord, MessageView
from simulator.world.cluster import Cluster


class ChangeKinds:
    """Records and applies capacity changes, maintenance runs and provider changes."""

    def __init__(self, cluster: Cluster, incident: IncidentState) -> None:
        self.cluster = cluster
        self.env = cluster.env
        self.world = cluster.world
        self.incident = incident

    def play(self, at: float, part: CapacityChange | MaintenanceRun | ProviderChange) -> None:
        """A change at ``at`` (negative: before the incident, recorded only), played now."""
        if isinstance(part, CapacityChange):
            self._capacity(at, part)
        elif isinstance(part, MaintenanceRun):
            verb = "maintenance script" if part.kind == "script" else "automation run"
            summary = f"{verb} {part.name}" + (f": {part.summary}" if part.summary else "")
            self.cluster.changes.append(ChangeRecord(at, part.kind, part.service or "", summary, part.by, "", ""))
        else:
            self.env.process(self._provider_status(at, part))

    def _capacity(self, at: float, part: CapacityChange) -> None:
        s = self.world.services[part.service]
        before = part.from_ if part.from_ is not None else (s.spec.replicas if at <= 0 else len(s.instances))
        summary = part.summary or f"scale {s.name} {before} -> {part.replicas}"
        record = ChangeRecord(at, "capacity", s.name, summary, part.by, str(before), str(part.replicas))
        self.cluster.changes.append(record)
        if at > 0:
            self.cluster.scale(s, part.replicas)

    def _provider_status(self, at: float, part: ProviderChange) -> Generator:
        if not part.status:
            return
        when = max(at + part.status_after, 0.0)
        if when > self.env.now:
            yield self.env.timeout(when - self.env.now)
        self.incident.deliver(MessageView(self.env.now, f"{part.provider} status", "email", part.status))


def v3_part(change) -> CapacityChange | MaintenanceRun | ProviderChange | None:
    """The change's capacity, maintenance or provider part, if it is one of those kinds."""
    return change.capacity or change.maintenance or change.provider
