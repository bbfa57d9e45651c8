"""The telemetry wing: what an engineer can *see* of the world.

Owns the ring-buffer series store (``series``), the metrics recorder (``recorder``), log lines
(``logs``), traces (``traces``) and alert rules with their pages (``alerts``).

May import: ``scenarios``, ``simulator.views`` and ``simulator.world``.
"""
