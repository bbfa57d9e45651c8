"""The diagnostics wing: the tools an engineer takes to one instance.

Owns CPU and heap profiles (``profiles``), thread dumps and crash reports (``threads``), the
per-service stack frames they are built from (``frames``), their text rendering (``text``) and the
desk that takes them in simulated time (``desk``).

May import: ``scenarios``, ``simulator.views``, ``simulator.world`` and ``simulator.telemetry``.
"""
