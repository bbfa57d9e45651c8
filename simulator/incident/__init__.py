"""The incident wing: what the trainee *does* and how it is judged.

Owns the incident process state (``process``: severity, roles, hypotheses, the SLI tracker), the
action dispatcher (``actions``), the resolution judge (``resolution``) and the score (``scoring``).

May import: ``scenarios``, ``simulator.views``, ``simulator.world`` and ``simulator.telemetry``.
"""
