"""The single-player session: an in-process Simulation behind the SessionPort, journalled as it goes.

Journals live in ``<user data dir>/journals/``. ``LocalSession.resume(path)`` rebuilds a killed session
by replaying its journal (the simulation is deterministic) and keeps appending to the same file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scenarios import load_by_ref, user_data_dir
from scenarios.language.actions import Action
from scenarios.language.offer import unavailable_actions
from scenarios.language.scenario import Scenario
from simulator.incident import INCIDENT_ROLES, Report, acknowledgement_of
from simulator.reports import investigation, questions
from simulator.session import TOOL_VERSION, Journal, JournalSession, Simulation, end_reason_of, file_sha256
from simulator.telemetry import Series
from simulator.views import ActionResult, TimelineEvent
from tui.port import SPEEDS, Briefing, Debrief

CHECKPOINT_EVERY = 5.0
"""Simulated seconds between clock checkpoints in the journal."""


def journals_dir() -> Path:
    """Where sessions write their journals."""
    return user_data_dir() / "journals"


def latest_journal() -> Path | None:
    """The most recently written journal, if any."""
    folder = journals_dir()
    if not folder.is_dir():
        return None
    files = sorted(folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
    return files[-1] if files else None


class LocalSession:
    """A Simulation in this process, driven by the TUI's clock."""

    def __init__(self, sim: Simulation, scenario_path: Path | None, journal: Journal | None) -> None:
        self.sim = sim
        self.scenario_path = scenario_path
        self._journal = journal
        self.journal_path = str(journal.path) if journal else None
        self._speed = 1.0
        self.seat = "trainee"
        self._checkpoint = sim.now
        self.role_holders: dict[str, str] = {role: "you" for role, _ in INCIDENT_ROLES}
        """Who holds an incident role nobody was named for: the trainee in solo play (a game-day host
        names its seats)."""
        self.recovery: str | None = None
        """What ``resume`` repaired in the journal (a torn last line), for the user to see."""

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def start(cls, ref: str, seed: int, journal: bool = True, directory: Path | None = None) -> LocalSession:
        """A new session of scenario ``ref`` (id or path) with a fresh journal."""
        scenario, path = load_by_ref(ref)
        return cls.start_scenario(scenario, path, seed, journal, directory)

    @classmethod
    def start_scenario(
        cls, scenario: Scenario, path: Path | None, seed: int, journal: bool = True, directory: Path | None = None
    ) -> LocalSession:
        """A new session of a loaded scenario."""
        handle = None
        if journal:
            now = datetime.now(UTC)
            folder = directory or journals_dir()
            name = f"{now:%Y%m%d-%H%M%S}-{scenario.id}-seed{seed}.jsonl"
            header = {
                "scenario": scenario.id,
                "scenario_path": str(path) if path else None,
                "scenario_sha256": file_sha256(path) if path else None,
                "seed": seed,
                "tool_version": TOOL_VERSION,
                "started_wall": now.isoformat(timespec="seconds"),
            }
            handle = Journal(folder / name, header)
        sim = Simulation(scenario, seed, journal=handle)
        return cls(sim, path, handle)

    @classmethod
    def resume(cls, journal_path: str | Path) -> LocalSession:
        """Rebuild a session from its journal and continue appending to it (a torn last line is cut first).

        ``recovery`` then says what was repaired, if anything (None otherwise).
        """
        journal = JournalSession.open(journal_path)
        sim = journal.resume()
        assert sim.journal is not None
        session = cls(sim, journal.scenario_path, sim.journal)
        session._speed = 0.0  # come back paused: the trainee decides when the clock runs again
        if journal.data.torn is not None:
            session.recovery = journal.data.torn.describe(journal.path, "it was cut off and the session goes on")
        return session

    # --- clock -------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Simulated seconds."""
        return self.sim.now

    @property
    def finished(self) -> bool:
        """Resolved or out of time."""
        return self.sim.finished

    @property
    def speed(self) -> float:
        """Current clock speed (0 = paused)."""
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Set the clock speed to one of SPEEDS."""
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS}")
        if speed != self._speed:
            self._speed = speed
            self.look("clock", speed=speed)

    def pump(self, wall_seconds: float) -> None:
        """Advance the simulation by speed x wall time; ends the session when it finishes."""
        if self._speed and not self.sim.finished:
            compressed = self.sim.compression()
            if compressed is not None:
                # A long recovery is all that happens: skip ahead (stops by itself when a page or message comes).
                done = self.sim.advance_compressed(compressed.speed * wall_seconds)
                self.sim.advance(max(self._speed * wall_seconds - done, 0.0))
            else:
                self.sim.advance(self._speed * wall_seconds)
            if self.sim.now - self._checkpoint >= CHECKPOINT_EVERY:
                # Lets `resume` bring a killed session back to (nearly) the moment it died.
                self._checkpoint = self.sim.now
                self.sim.look("checkpoint", self.seat)
        if self.sim.finished and self.sim.ended_at is None:
            self.sim.end(end_reason_of(self.sim))

    # --- queries -----------------------------------------------------------------------------

    def briefing(self) -> Briefing:
        """The trainee's starting knowledge."""
        sc = self.sim.scenario
        return Briefing(
            sc.id,
            sc.title,
            sc.difficulty,
            tuple(sc.tags),
            sc.briefing,
            sc.duration,
            sc.slo.service,
            sc.slo.availability,
            sc.slo.latency_p99_ms,
            sc.primary,
            sc.secondary,
            tuple(sc.topology.zones),
            tuple(self.sim.service_names()),
            tuple(f.name for f in sc.topology.flags),
            self.sim.seed,
            sc.alerting.ack_timeout,
        )

    def services(self):
        return self.sim.services()

    def instances(self, service: str | None = None):
        return self.sim.instances(service)

    def metric(
        self, service: str, metric: str, zone=None, version=None, instance=None, start=None, end=None, client=None
    ) -> Series:
        # charts reach before t=0
        return self.sim.history(service, metric, zone, version, instance, start, end, client)

    def split_values(self, service: str, dimension: str) -> list[str]:
        return self.sim.split_values(service, dimension)

    def logs(self, **filters: Any):
        return self.sim.logs(**filters)

    def log_tail(self, index: int, limit: int | None = None):
        return self.sim.log_store.since_index(index, limit)

    def traces(self, **filters: Any):
        return self.sim.traces(**filters)

    def trace(self, trace_id: str):
        return self.sim.trace(trace_id)

    def change_log(self):
        return self.sim.change_log()

    def alert_list(self, include_resolved: bool = True):
        return self.sim.alert_list(include_resolved)

    def pages(self):
        return self.sim.pages()

    def operation_list(self):
        return self.sim.operation_list()

    def timeline(self) -> list[TimelineEvent]:
        return self.sim.timeline()

    def incident_view(self):
        return self.sim.incident_view()

    def incidents(self):
        return self.sim.incidents(self.role_holders)

    def sli_status(self) -> dict[str, Any]:
        return self.sim.sli_status()

    def data_status(self) -> dict[str, Any]:
        return self.sim.data_status()

    def flags(self) -> dict[str, bool]:
        return self.sim.flags()

    def messages(self):
        return self.sim.messages()

    def runbooks(self):
        return self.sim.runbooks()

    def tool_status(self):
        return self.sim.tool_status()

    def unavailable_actions(self) -> dict[str, str]:
        """Actions this scenario's system has nothing for (data actions without data...): not offered."""
        return unavailable_actions(self.sim.scenario)

    def compression(self):
        return self.sim.compression()

    # --- doing -------------------------------------------------------------------------------

    def apply(self, action: Action) -> ActionResult:
        """Apply an action as this seat; ends the session if it resolved the incident."""
        result = self.sim.apply(action, self.seat)
        if self.sim.finished and self.sim.ended_at is None:
            self.sim.end(end_reason_of(self.sim))
        return result

    def look(self, what: str, **detail: Any) -> None:
        """Journal what the trainee looked at."""
        self.sim.look(what, self.seat, **detail)

    def take_profile(self, kind: str, instance: str, seconds: float = 30.0):
        """Start a profile or dump as this seat (journalled as a look)."""
        return self.sim.take_profile(kind, instance, seconds, self.seat)

    def profile_request(self, request_id: int):
        return self.sim.profile_request(request_id)

    def quit(self) -> None:
        """Leave without ending: the journal stays resumable."""
        if self._journal is not None:
            self._journal.close()

    def score(self) -> Report:
        """The report as of now."""
        return self.sim.score()

    def _incidents(self) -> list[dict[str, Any]]:
        """The session's incidents as the debrief reports each: the report's entries (with the sim's
        severity assessment), the roles nobody was named for held by their default holders."""
        held = {n.number: dict(n.roles) for n in self.incidents()}
        return [
            entry | {"opened_at": entry["opened_at_s"], "roles": held.get(entry["number"], entry["roles"])}
            for entry in self.sim.score(impact=False).incidents
        ]

    def debrief(self) -> Debrief:
        """Report and hidden truth (only once finished)."""
        if not self.sim.finished and self.sim.ended_at is None:
            raise RuntimeError("the debrief is only available once the session has ended")
        truth = self.sim.hidden_truth()
        sc = self.sim.scenario
        steps, findings = investigation(self.sim, self.sim.looks)
        return Debrief(
            report=self.sim.score(),
            root_cause=truth["root_cause"],
            faults=truth["faults"],
            solution=truth["solution"],
            traps=truth["traps"],
            timeline=self.sim.timeline(),
            postmortem=sc.postmortem.model_dump(mode="json"),
            journal_path=self.journal_path,
            truth={k: v for k, v in truth.items() if k not in ("root_cause", "faults", "solution", "traps")}
            | {"acknowledgement": acknowledgement_of(self.sim.pages()), "incidents": self._incidents()},
            looks=list(self.sim.looks),
            investigation=steps,
            evidence=findings,
            questions=questions(self.sim),
            end_reason=self.sim.end_reason,
            tags=tuple(sc.tags),
        )

    def end_now(self, reason: str = "gave_up") -> None:
        """End the session early (the trainee asked for the debrief)."""
        self.sim.end(reason)
