"""The diagnostics wing: the tools an engineer takes to one instance.

Owns CPU and heap profiles (``profiles``), thread dumps and crash reports (``threads``), the
per-service stack frames they are built from (``frames``), their text rendering (``text``) and the
desk that takes them in simulated time (``desk``).

May import: ``scenarios``, ``simulator.views``, ``simulator.world`` and ``simulator.telemetry`` (not the
incident wing). It reads a session through ``profiles.ProfiledSystem`` and ``desk.DeskSession``,
small Protocols the ``Simulation`` satisfies. ``__all__`` below is the wing's public face.
"""

from simulator.diagnostics.desk import CPU_SECONDS, DEFAULT_CPU_SECONDS, PROFILE_KINDS, ProfileDesk, ProfileRequest
from simulator.diagnostics.profiles import CpuProfile, HeapProfile, HeapSite, ProfileError
from simulator.diagnostics.text import flame_rows, render
from simulator.diagnostics.threads import CrashReport, ThreadDump, ThreadGroup

__all__ = [
    "CPU_SECONDS",
    "DEFAULT_CPU_SECONDS",
    "PROFILE_KINDS",
    "CpuProfile",
    "CrashReport",
    "HeapProfile",
    "HeapSite",
    "ProfileDesk",
    "ProfileError",
    "ProfileRequest",
    "ThreadDump",
    "ThreadGroup",
    "flame_rows",
    "render",
]
