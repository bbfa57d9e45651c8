"""The world wing: what the simulated system *is* and how it moves.

Owns the state of services and instances (``state``), the per-tick queueing model (``model``), the
cluster operations that change instances over simulated time (``cluster``), the fault book
(``faults``), user traffic (``traffic``), the seeded random streams (``rng``), read-only snapshots
for views (``snapshot``) and the sinks its events go to (``events``).

May import: ``scenarios`` (the language) and ``simulator.views``. Imports no other wing: log lines and
timeline events leave through ``events.EventLog`` and a ``Timeline`` callback the session wires up.
The fault book and the cluster do not import each other either: faults ask an ``Orchestrator``
(the cluster is one) to carry out their changes, and the cluster calls back ``fault_effects``.
``__all__`` below is the wing's public face.
"""

from simulator.world.cluster import Cluster
from simulator.world.faults import FaultBook
from simulator.world.model import TickModel
from simulator.world.state import Instance, ServiceState, World

__all__ = ["Cluster", "FaultBook", "Instance", "ServiceState", "TickModel", "World"]
