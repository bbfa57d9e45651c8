"""The telemetry wing: what an engineer can *see* of the world.

Owns the ring-buffer series store (``series``), the metrics recorder (``recorder``), log lines
(``logs``), traces (``traces``), alert rules with their pages (``alerts``), and the temporary file old
telemetry is kept in off the heap (``cold``).

May import: ``scenarios``, ``simulator.views`` and ``simulator.world``. ``__all__`` below is the wing's
public face.
"""

from simulator.telemetry.cold import ColdChunk, ColdFile
from simulator.telemetry.fate import mask_series
from simulator.telemetry.logs import LogGenerator, LogStore
from simulator.telemetry.recorder import MetricsRecorder, split_name
from simulator.telemetry.series import Series
from simulator.telemetry.traces import TraceGenerator, TraceStore

__all__ = [
    "ColdChunk",
    "ColdFile",
    "LogGenerator",
    "LogStore",
    "MetricsRecorder",
    "Series",
    "TraceGenerator",
    "TraceStore",
    "mask_series",
    "split_name",
]
