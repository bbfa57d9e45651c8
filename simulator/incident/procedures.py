"""Manual recovery procedures: multi-step fixes the trainee runs from a runbook (``run_procedure``).

Each step takes its time (per instance where the runbook says so), slowed by the procedure's named
conditions; progress shows as an operation and each finished step on the timeline. When the last step
is done the procedure's actions take effect as the operator's own, at their own pace.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from scenarios.language.recovery import Procedure
from simulator.world.cluster import OperationTracker
from simulator.world.recovery import RecoveryPacer
from simulator.world.state import World

Logger = Callable[[float, str, str, str], None]
"""IncidentState.log: (t, source, kind, text)."""


class ProcedureRunner:
    """Runs procedures in simulated time; ``finish`` applies a procedure's actions at its end."""

    def __init__(
        self,
        env: simpy.Environment,
        world: World,
        pacer: RecoveryPacer,
        operations: OperationTracker,
        log: Logger,
        finish: Callable[[Procedure], None],
    ) -> None:
        self.env = env
        self.world = world
        self.pacer = pacer
        self.operations = operations
        self.log = log
        self.finish = finish
        self.running: set[str] = set()

    def work(self, proc: Procedure) -> list[float]:
        """Seconds of work of each step at its own pace, with today's fleet sizes."""
        out = []
        for step in proc.steps:
            times = len(self.world.services[step.per_instance_of].instances) if step.per_instance_of else 1
            out.append(step.takes * max(times, 1))
        return out

    def start(self, proc: Procedure, seat: str) -> float:
        """Start a procedure; returns its work in seconds at its own pace."""
        work = self.work(proc)
        op = self.operations.start(self.env.now, "procedure", "", f"procedure: {proc.title}", len(proc.steps))
        self.running.add(proc.name)
        self.env.process(self._run(proc, work, op))
        return sum(work)

    def _run(self, proc: Procedure, work: list[float], op: dict) -> Generator:
        for i, (step, seconds) in enumerate(zip(proc.steps, work, strict=True)):
            yield from self.pacer.paced(seconds, proc.slowed_by, op, after=sum(work[i + 1 :]))
            op["done"] += 1
            self.log(self.env.now, "system", "operation", f"{proc.title}: step {i + 1}/{len(work)} done: {step.text}")
        op["finished_at"] = self.env.now
        self.running.discard(proc.name)
        self.finish(proc)
