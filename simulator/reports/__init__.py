"""The reports wing: what is written after a session.

Owns the Markdown postmortem (``postmortem``), the facts and review it is built from (``facts``,
``review``) and the SQLite history store with readiness per fault class (``history``).

May import every other wing; reads finished sessions only.
"""
