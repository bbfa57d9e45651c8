"""The world wing: what the simulated system *is* and how it moves.

Owns the state of services and instances (``state``), the per-tick queueing model (``model``), the
cluster operations that change instances over simulated time (``cluster``), the fault book
(``faults``), user traffic (``traffic``) and the seeded random streams (``rng``).

May import: ``scenarios`` (the language) and ``simulator.views``. Imports no other wing.
"""

from simulator.world.cluster import Cluster
from simulator.world.faults import FaultBook
from simulator.world.model import TickModel
from simulator.world.state import Instance, ServiceState, World

__all__ = ["Cluster", "FaultBook", "Instance", "ServiceState", "TickModel", "World"]
