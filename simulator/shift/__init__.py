"""The shift wing: a whole on-call shift composed of incident sessions.

Owns the shift plan (which scenarios arrive when, and the noise, tickets and false positives between
them: ``plan``, ``noise``), escalation policies and the P1-P3 severity table (``policy``), the pager
that walks a policy for each page (``pager``), the shift's actions file (``steps``), the ``Shift``
itself, which runs one ``Simulation`` per incident offset in shift time (``shift``), its JSONL journal
(``journal``), headless runs, replays and resumes (``runner``), handoff notes (``handoff``) and the
shift report (``report``).

It composes sessions the way ``session`` composes the world: it may import every wing before it
(``world``, ``telemetry``, ``diagnostics``, ``incident``, ``session``) and the scenario language; it
never imports ``reports`` or textual.
"""
