"""The journal session: the one code path that turns a journal back into a Simulation.

Every place that reads a journal to rebuild a session goes through :class:`JournalSession`: the
headless ``replay`` and the postmortem (:meth:`JournalSession.replay`), the history rebuild, TUI
``resume`` (:meth:`JournalSession.resume`), game-day rewind (:meth:`JournalSession.branch`) and
``inspect --journal`` (:meth:`JournalSession.replay_to`). One loop (:func:`simulator.session.timed.play_timed`,
which shadow on-call's rewind uses too) re-applies each action at its recorded time *as the seat that
took it*, so a game day's report says who did what, as it did live.

Opening validates the journal (:func:`simulator.session.journal.read_journal`, ``file:line`` errors),
finds the scenario it was recorded with (byte for byte) and checks that no record lies past the
scenario's end. A torn last line is reported (``torn_notice``) and, before anything is appended, cut.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scenarios.catalog import load_by_ref
from scenarios.language.scenario import Scenario
from scenarios.limits import MAX_FILE_BYTES
from scenarios.loader import ScenarioError, load_scenario
from simulator.incident.scoring import Report
from simulator.session.journal import (
    END_INTERRUPTED,
    END_RESOLVED,
    END_TIME_UP,
    END_UNTIL,
    TIME_SLACK,
    Journal,
    JournalData,
    JournalError,
    cut_torn_line,
    read_journal,
)
from simulator.session.simulation import Simulation
from simulator.session.snapshots import NotRestorable, SnapshotBook
from simulator.session.timed import play_timed

Observer = Callable[[Simulation], None]
"""Called with the simulation as a replay moves (exports read it through its public API)."""


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes (ties a journal to the exact scenario file it was played from)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def end_reason_of(sim: Simulation) -> str:
    """Why a session stops now: resolved, out of time, or (a headless run's ``--until``) stopped early."""
    if sim.incident.state == "resolved":
        return END_RESOLVED
    if sim.now >= sim.scenario.duration:
        return END_TIME_UP
    return END_UNTIL


@dataclass
class JournalSession:
    """A validated journal with the scenario and seed it was recorded with. Open it with :meth:`open`."""

    path: Path
    data: JournalData
    scenario: Scenario
    scenario_path: Path | None
    """The scenario file found for it (None when the caller passed the scenario)."""

    @classmethod
    def open(cls, path: str | Path, scenario: Scenario | None = None) -> JournalSession:
        """Read and validate the journal at ``path`` and find its scenario (or use ``scenario``, live).

        Raises JournalError (the message names the file, and the line where there is one).
        """
        return cls.of(path, read_journal(path), scenario)

    @classmethod
    def of(cls, path: str | Path, data: JournalData, scenario: Scenario | None = None) -> JournalSession:
        """Like :meth:`open`, for a journal already read with :func:`read_journal`."""
        path = Path(path)
        found: Path | None = None
        if scenario is None:
            scenario, found = scenario_of_journal(data, path)
        elif scenario.id != data.header["scenario"]:
            recorded = data.header["scenario"]
            raise JournalError(f"{path}:1: this journal is of scenario {recorded!r}, not {scenario.id!r}")
        if data.last_t > scenario.duration + TIME_SLACK:
            raise JournalError(
                f"{path}:{data.last_line}: the record at {data.last_t:g}s is after the end of scenario "
                f"{scenario.id!r} ({scenario.duration:g}s)"
            )
        return cls(path, data, scenario, found)

    @property
    def seed(self) -> int:
        """The seed the session was played with."""
        return int(self.data.header["seed"])

    @property
    def torn_notice(self) -> str | None:
        """What to tell the user about a torn last line (None when there is none)."""
        return self.data.torn.describe(self.path) if self.data.torn else None

    # --- replaying (through the one timed-play loop) ----------------------------------------

    def _play(
        self,
        stop: float,
        through: float | None = None,
        journal: Journal | None = None,
        observe: Observer | None = None,
        every: float = 1.0,
        checkpoints: SnapshotBook | None = None,
        telemetry: bool = True,
    ) -> Simulation:
        """A Simulation with the actions up to ``through`` (all when None) re-applied, run to ``stop``.

        Each action is applied at its journalled time as the seat that took it; with ``journal`` the
        actions are journalled again (a rewind's branch). ``observe`` (exports) is called with the
        simulation every ``every`` simulated seconds; running in steps changes nothing in the simulation.
        With ``checkpoints`` (the snapshots the live session kept) it starts from the latest one that
        applies (:meth:`starting_point`) instead of from zero. ``telemetry=False``: when it plays from zero,
        it keeps no logs or traces (nobody reads them; see :class:`Simulation`).
        """
        until = stop if through is None else min(stop, through)
        kept = checkpoints if observe is None else None
        sim, done = self.starting_point(until, kept, journal is not None, telemetry=telemetry)
        if journal is not None:
            for record in self.data.actions[:done]:  # before the snapshot: journalled as they were answered
                journal.action(record.t, record.seat, record.action, bool(record.accepted), record.result or "")
            sim.journal = journal

        def run_until(t: float) -> None:
            if observe is not None:
                while sim.now + every < min(t, self.scenario.duration) and not sim.finished:
                    sim.run_until(sim.now + every)
                    observe(sim)
            sim.run_until(t)

        play_timed(sim, self.data.actions[done:], stop, through, run_until=run_until)
        return sim

    def starting_point(
        self, until: float, checkpoints: SnapshotBook | None, answers: bool = False, *, telemetry: bool = True
    ) -> tuple[Simulation, int]:
        """Where to play from: a Simulation and how many of the journal's actions it has applied.

        The latest snapshot at or before ``until`` that holds exactly the actions recorded before its time
        (and, for a branch that journals them again, whose records carry their answers) is restored. Replay
        from zero remains only the fallback: a journal opened cold from disk has no snapshots (they live in
        the memory of the session that played it), and a session may not have taken one yet.
        """
        actions = self.data.actions
        for snapshot in reversed(checkpoints.snapshots if checkpoints is not None else []):
            if snapshot.t > until or snapshot.seed != self.seed or snapshot.scenario_id != self.scenario.id:
                continue
            done = bisect.bisect_left([a.t for a in actions], snapshot.t)
            if done != snapshot.applied or (answers and any(a.accepted is None for a in actions[:done])):
                continue  # its actions are not this journal's (or a time rounded across it)
            try:
                return snapshot.restore(), done
            except NotRestorable:  # the live session's ring buffers have wrapped since: an earlier one may do
                continue
        return Simulation(self.scenario, self.seed, telemetry=telemetry), 0

    def replay_to(self, t: float, checkpoints: SnapshotBook | None = None) -> Simulation:
        """The session as it was at simulated time ``t``: every action up to ``t`` applied, not ended.

        ``checkpoints``: the snapshots the live session kept (it plays from the latest that applies).
        """
        return self._play(t, through=t, checkpoints=checkpoints)

    def replay(
        self, observe: Observer | None = None, every: float = 1.0, *, telemetry: bool = True
    ) -> tuple[Simulation, Report]:
        """The whole session again, ended as recorded, and its report (the same as the live one's).

        Without an end record (the session was interrupted) it stops at the last action, ended
        ``interrupted``. ``observe`` is called every ``every`` simulated seconds and once at the end.
        ``telemetry=False`` for a replay that only wants the report and the timeline (the ``replay``
        command, the history's rebuild): it keeps no logs or traces, and costs ~20 % less.
        """
        end = self.data.end
        if end is not None:
            stop, reason = float(end["t"]), str(end["reason"])
        else:
            stop = self.data.actions[-1].t if self.data.actions else 0.0
            reason = END_INTERRUPTED
        sim = self._play(stop, observe=observe, every=every, telemetry=telemetry)
        sim.end(reason)
        if observe is not None:
            observe(sim)
        return sim, sim.score()

    def branch(self, t: float, path: str | Path, checkpoints: SnapshotBook | None = None) -> Simulation:
        """A new journal at ``path`` holding this session up to ``t``, and the Simulation writing it.

        Its header is this journal's plus ``branch_of`` and ``rewound_to``; the actions up to ``t`` are
        journalled again with their seats. Looks are not copied (the caller re-records what it keeps).
        ``checkpoints``: the snapshots the live session kept; the branch starts from the latest that
        applies, and keeps those up to ``t`` (its history up to there is theirs) as its own book.
        """
        header = {k: v for k, v in self.data.header.items() if k not in ("type", "format")}
        header |= {"branch_of": str(self.path), "rewound_to": round(t, 3)}
        journal = Journal(path, header)
        try:
            sim = self._play(t, through=t, journal=journal, checkpoints=checkpoints)
        except BaseException:
            journal.close()
            raise
        if checkpoints is not None:
            sim.checkpoints = SnapshotBook(
                checkpoints.every, checkpoints.keep, [s for s in checkpoints.snapshots if s.t <= t]
            )
        return sim

    def resume(self) -> Simulation:
        """The interrupted session at its last record, appending to the same journal from now on.

        A torn last line is cut off first, so the journal stays readable however often it is resumed.
        Raises JournalError for a session that already ended.
        """
        if self.data.end is not None:
            raise JournalError(
                f"{self.path}: this session already ended ({self.data.end['reason']}); use `misfortune replay`"
            )
        sim = self._play(self.data.last_t)  # from zero: a journal opened from disk has no snapshots
        sim.looks = [
            {k: v for k, v in look.items() if k != "type"} for look in self.data.looks if look["what"] != "checkpoint"
        ]
        cut_torn_line(self.path, self.data)
        sim.journal = Journal(self.path, {}, append=True)
        if sim.ended_at is not None:
            # The resolve was journalled but its end record was torn: write the end it should have had.
            sim.journal.end(sim.ended_at, str(sim.end_reason))
            sim.journal.close()
            raise JournalError(f"{self.path}: this session already ended ({sim.end_reason}); use `misfortune replay`")
        return sim


def replay_journal(path: str | Path, observe: Observer | None = None, every: float = 1.0) -> tuple[Simulation, Report]:
    """Re-simulate a journal: same scenario file, seed, actions, seats and times -> the same report.

    ``observe`` (exports) sees the simulation every ``every`` simulated seconds and at the end.
    Raises JournalError for an invalid journal or one whose scenario is gone or has changed.
    """
    return JournalSession.open(path).replay(observe, every)


def scenario_of_journal(data: JournalData, journal_path: str | Path) -> tuple[Scenario, Path]:
    """The scenario a journal was recorded with (its recorded file if unchanged, else the catalog's by id).

    Raises JournalError when neither is found or the file found is not byte for byte the one recorded.
    """
    header = data.header
    scenario_id = header["scenario"]
    recorded_hash = header.get("scenario_sha256")
    recorded_path = header.get("scenario_path")
    if isinstance(recorded_path, str) and _small_file(recorded_path):
        if recorded_hash is None or file_sha256(recorded_path) == recorded_hash:
            return _load(Path(recorded_path), journal_path), Path(recorded_path)
    try:
        scenario, found = load_by_ref(scenario_id)
    except ScenarioError as err:
        # The journal, not the user, named this file: say which, never what it holds.
        files = sorted({problem.file for problem in err.problems}) or [str(scenario_id)]
        raise JournalError(
            f"{journal_path}: scenario {scenario_id!r} of this journal cannot be loaded: {', '.join(files)} is "
            f"not a scenario file this version can load; check it with `misfortune validate {files[0]}`"
        ) from None
    found_hash = file_sha256(found)
    if recorded_hash is not None and found_hash != recorded_hash:
        recorded = f" ({recorded_path})" if recorded_path else ""
        raise JournalError(
            f"{journal_path}: scenario {scenario_id!r} has changed since this session was recorded: "
            f"the journal has sha256 {recorded_hash[:12]}{recorded}, {found} now has sha256 {found_hash[:12]}; "
            "restore that version of the scenario file to replay it"
        )
    return scenario, found


def _small_file(path: str) -> bool:
    """A regular file no larger than a scenario may be: a device or a huge file is never hashed nor read."""
    file = Path(path)
    try:
        return file.is_file() and file.stat().st_size <= MAX_FILE_BYTES
    except OSError:  # a name too long, a permission: not a scenario file either
        return False


def _load(scenario_path: Path, journal_path: str | Path) -> Scenario:
    try:
        return load_scenario(scenario_path)
    except ScenarioError as err:
        # Not the loader's lines: the journal names this file, the user did not ask to parse it.
        raise JournalError(
            f"{journal_path}:1: the journal's scenario file {scenario_path} is not a scenario file this version "
            f"can load ({len(err.problems)} problem(s)); check it with `misfortune validate {scenario_path}`"
        ) from None
