"""The session wing: the composition root and everything that plays a session.

Owns ``Simulation`` (``simulation``), the JSONL journal (``journal``), headless runs and replays
(``runner``), ``misfortune inspect`` (``inspect``) and ``misfortune verify`` (``verify``).

May import every wing before it: ``world``, ``telemetry``, ``diagnostics``, ``incident``.
"""
