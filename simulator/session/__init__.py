"""The session wing: the composition root and everything that plays a session.

Owns ``Simulation`` (``simulation``), the JSONL journal and its validated reader (``journal``), the one
path that rebuilds a session from a journal: replay, replay to t, resume, rewind (``journal_session``),
headless runs (``runner``), ``misfortune inspect`` (``inspect``) and ``misfortune verify`` (``verify``).
The scenario's timed history, noise, hints and messages are played by ``script``.

May import every wing before it: ``world``, ``telemetry``, ``diagnostics``, ``incident``. ``__all__``
below is the wing's public face (``inspect`` is exported as ``inspect_data``: the submodule has the
function's name).
"""

from simulator.session.inspect import SHOW, InspectError, collect, inspect_text
from simulator.session.inspect import inspect as inspect_data  # ``inspect`` is also the submodule's name
from simulator.session.journal import Journal, JournalData, JournalError, read_journal
from simulator.session.journal_session import JournalSession, end_reason_of, file_sha256, replay_journal
from simulator.session.playback import Reveal, ShadowPlayback, ShadowSummary
from simulator.session.predictions import describe
from simulator.session.runner import SessionError, run_session
from simulator.session.shadow import EXPERT_SEAT, ShadowRun
from simulator.session.simulation import TOOL_VERSION, Simulation
from simulator.session.snapshots import NotRestorable, Snapshot, SnapshotBook
from simulator.session.verify import STILL_OPEN, STOPPED_NOTE, Check, verify_scenarios

__all__ = [
    "EXPERT_SEAT",
    "Check",
    "InspectError",
    "Journal",
    "JournalData",
    "JournalError",
    "JournalSession",
    "NotRestorable",
    "Reveal",
    "SHOW",
    "STILL_OPEN",
    "STOPPED_NOTE",
    "SessionError",
    "ShadowPlayback",
    "ShadowRun",
    "ShadowSummary",
    "Simulation",
    "Snapshot",
    "SnapshotBook",
    "TOOL_VERSION",
    "collect",
    "describe",
    "end_reason_of",
    "file_sha256",
    "inspect_data",
    "inspect_text",
    "read_journal",
    "replay_journal",
    "run_session",
    "verify_scenarios",
]
