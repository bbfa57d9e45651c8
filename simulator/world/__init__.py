"""The world wing: what the simulated system *is* and how it moves.

Owns the state of services and instances (``state``), the per-tick queueing model (``model``), the
cluster operations that change instances over simulated time (``cluster``), the fault book
(``faults``), user traffic (``traffic``) and the seeded random streams (``rng``).

May import: ``scenarios`` (the language) and ``simulator.views``. Imports no other wing.
"""
