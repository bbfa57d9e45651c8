"""Taking a profile or a dump costs simulated time, like on a real system.

A 30 s CPU profile started at 10:00 is ready at 10:30 and covers 10:00-10:30; a heap profile takes a
few seconds; a thread dump or a crash report about two. Every request is journalled as a look
(``look('profile', kind=..., instance=...)``) when it is asked for, so the debrief shows whether and
when the trainee reached for it. The result is computed when it completes, from the state then.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol

import simpy

from simulator.diagnostics.profiles import ProfiledSystem, ProfileError, cpu_profile, heap_profile
from simulator.diagnostics.threads import crash_report, thread_dump

PROFILE_KINDS = ("cpu", "heap", "threads", "crash")
"""What can be taken of an instance."""
CPU_SECONDS = (10.0, 30.0, 60.0, 120.0)
DEFAULT_CPU_SECONDS = 30.0
FIXED_SECONDS = {"heap": 5.0, "threads": 2.0, "crash": 2.0}
"""Time the other kinds take (a heap profile pauses to walk the heap; a dump is quick)."""


class DeskSession(ProfiledSystem, Protocol):
    """What the desk needs beyond the profilers' reading: the clock to wait on and the journal of looks."""

    env: simpy.Environment

    def look(self, what: str, seat: str = "trainee", **detail: Any) -> None: ...


def take(sim: ProfiledSystem, kind: str, instance: str, seconds: float = DEFAULT_CPU_SECONDS) -> Any:
    """The profile or dump of ``instance`` whose window ends now (no time passes: for inspectors)."""
    builders: dict[str, Callable[[], Any]] = {
        "cpu": lambda: cpu_profile(sim, instance, seconds),
        "heap": lambda: heap_profile(sim, instance),
        "threads": lambda: thread_dump(sim, instance),
        "crash": lambda: crash_report(sim, instance),
    }
    if kind not in builders:
        raise ProfileError(f"unknown profile kind {kind!r}; choose one of {', '.join(PROFILE_KINDS)}")
    return builders[kind]()


@dataclass
class ProfileRequest:
    """A profile being taken: ready at ``ready_at`` with a ``result`` or an ``error``."""

    id: int
    kind: str
    instance: str
    service: str
    seconds: float
    requested_at: float
    ready_at: float
    seat: str
    result: Any = None
    error: str | None = None

    @property
    def ready(self) -> bool:
        """Whether it has completed (with a result or an error)."""
        return self.result is not None or self.error is not None


class ProfileDesk:
    """The profile requests of one Simulation."""

    def __init__(self, sim: DeskSession) -> None:
        self.sim = sim
        self.requests: list[ProfileRequest] = []

    def request(
        self, kind: str, instance: str, seconds: float = DEFAULT_CPU_SECONDS, seat: str = "trainee"
    ) -> ProfileRequest:
        """Start taking a profile; raises ProfileError for an unknown kind or instance."""
        sim = self.sim
        if kind not in PROFILE_KINDS:
            raise ProfileError(f"unknown profile kind {kind!r}; choose one of {', '.join(PROFILE_KINDS)}")
        inst = sim.world.instance(instance)
        if inst is None:
            raise ProfileError(f"no instance {instance!r}")
        if kind == "cpu" and not 1.0 <= seconds <= 600.0:
            raise ProfileError(f"a CPU profile lasts 1 s to 10 min, not {seconds:g} s")
        duration = seconds if kind == "cpu" else FIXED_SECONDS[kind]
        req = ProfileRequest(
            len(self.requests) + 1, kind, instance, inst.service, duration, sim.now, sim.now + duration, seat
        )
        self.requests.append(req)
        sim.look("profile", seat, kind=kind, instance=instance, service=inst.service, seconds=duration)
        sim.env.process(self._complete(req, inst.generation))
        return req

    def _complete(self, req: ProfileRequest, generation: int) -> Generator:
        yield self.sim.env.timeout(req.seconds)
        inst = self.sim.world.instance(req.instance)
        if req.kind != "crash" and (inst is None or inst.generation != generation):
            req.error = f"{req.instance}: connection reset by peer: the process exited while the profiler was attached"
            return
        try:
            req.result = take(self.sim, req.kind, req.instance, req.seconds)
        except ProfileError as err:
            req.error = str(err)

    def get(self, request_id: int) -> ProfileRequest | None:
        """A request by id."""
        return self.requests[request_id - 1] if 0 < request_id <= len(self.requests) else None
