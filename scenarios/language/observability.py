"""Observability that shares fate: the services the team's own tools run on.

A tool named here fails with its service: while the service is down (no instance serving, or failing
more than ``down_above`` of its requests) dashboards get no new points, alert rules are not evaluated,
log lines are lost, status updates fail and pages wait. The console says so ("no data since 00:14").
"""

from __future__ import annotations

from pydantic import Field

from scenarios.language.base import Model, Name

TOOLS = ("metrics", "alerting", "logging", "status_page", "pager")
"""The tools that can share fate with a service, in the order the console lists them."""


class Observability(Model):
    """Which service each of the team's tools runs on (omit a tool: it never fails).

    Example: ``{metrics: monitoring, alerting: monitoring, status_page: web}``: when ``monitoring`` goes
    down, dashboards freeze and alerts stop; when ``web`` does, so does the status page that runs on it."""

    metrics: Name | None = None
    """Service the metrics pipeline runs on: while it is down dashboards and the SLI line show no new data,
    and the points missed are never filled in."""
    alerting: Name | None = None
    """Service the alert evaluator runs on: while it is down no rule fires or resolves. Its rules read the
    metrics pipeline, so they stop with it too (unless ``alerting_independent``)."""
    alerting_independent: bool = False
    """The alert rules read a data path of their own (a separate metrics store, external probes), so they
    keep evaluating while the metrics pipeline is down. Default: they go blind with the metrics."""
    logging: Name | None = None
    """Service the log pipeline runs on: lines written while it is down never reach the log search."""
    status_page: Name | None = None
    """Service the public status page runs on: status updates fail while it is down."""
    pager: Name | None = None
    """Service the paging provider's relay runs on: pages wait until it is back."""
    down_above: float = Field(default=0.5, gt=0, lt=1)
    """A tool's service counts as down when it fails more than this share of requests (or serves none)."""

    def tools(self) -> list[tuple[str, str]]:
        """(tool, service) for every tool that can fail, in :data:`TOOLS` order. Alerting not named but
        reading a metrics pipeline that is named fails with that pipeline, on its service."""
        out = []
        for t in TOOLS:
            service = getattr(self, t)
            if service is None and t == "alerting" and self.alerts_read_metrics():
                service = self.metrics
            if service is not None:
                out.append((t, service))
        return out

    def alerts_read_metrics(self) -> bool:
        """Whether alert rules go blind with a metrics pipeline that can fail."""
        return self.metrics is not None and not self.alerting_independent
