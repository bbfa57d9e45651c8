"""The session wing: the composition root and everything that plays a session.

Owns ``Simulation`` (``simulation``), the JSONL journal and its validated reader (``journal``), the one
path that rebuilds a session from a journal: replay, replay to t, resume, rewind (``journal_session``),
headless runs (``runner``), ``misfortune inspect`` (``inspect``) and ``misfortune verify`` (``verify``).

May import every wing before it: ``world``, ``telemetry``, ``diagnostics``, ``incident``.
"""
