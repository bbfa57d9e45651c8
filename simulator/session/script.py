"""What a scenario has happen at a time besides its faults: changes after t=0, noise, hints, messages.

Changes from before t=0 only enter the change log; later ones really roll out. Noise is the red
herrings: an unrelated deploy, config push or flag flip, an alert that fires and clears, a traffic
spike, a recurring log line. Hints and messages reach the trainee at their times. Each is a SimPy
process, started in the order the session builds them (SimPy runs events at one time in that order).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from scenarios.language.events import Change, Noise
from scenarios.language.scenario import Message, Scenario
from simulator.incident.process import IncidentState
from simulator.session.change_kinds import ChangeKinds, v3_part
from simulator.session.message_conditions import message_arrives
from simulator.telemetry.alerts import AlertEngine
from simulator.views import MessageView
from simulator.world.cluster import Cluster
from simulator.world.events import EventLog
from simulator.world.rng import RandomStreams
from simulator.world.state import RUNNING


class ScenarioScript:
    """Plays the scenario's history after t=0, noise, hints and messages."""

    def __init__(
        self,
        scenario: Scenario,
        cluster: Cluster,
        alerts: AlertEngine,
        logs: EventLog,
        rng: RandomStreams,
        incident: IncidentState,
        set_flag: Callable[[str, bool], None],
    ) -> None:
        self.scenario = scenario
        self.cluster = cluster
        self.env = cluster.env
        self.world = cluster.world
        self.alerts = alerts
        self.logs = logs
        self.rng = rng
        self.incident = incident
        self.set_flag = set_flag
        self.change_kinds = ChangeKinds(cluster, incident)

    def start_history(self) -> None:
        """Log the changes from before t=0 and schedule the later ones."""
        for ch in sorted(self.scenario.history, key=lambda c: c.at):
            if v3_part(ch) is not None and ch.at <= 0:
                self.change_kinds.play(ch.at, v3_part(ch))
                continue
            if ch.at > 0:
                self.env.process(self._change_later(ch))
                continue
            self.cluster.record_history(ch)

    def start_noise_hints_and_messages(self) -> None:
        """Schedule the noise, then the hints, then the messages."""
        for item in self.scenario.noise:
            # Log lines and traffic swings wait more than once: their own processes, with resume points
            # (simulator/session/snapshots.py re-creates a process from its locals).
            if item.log is not None:
                self.env.process(self._noise_log(item))
            elif item.traffic is not None:
                self.env.process(self._noise_traffic(item))
            else:
                self.env.process(self._noise(item))
        for hint in self.scenario.hints:
            self.env.process(self._hint(hint.after, hint.text))
        for index, message in enumerate(self.scenario.messages):
            self.env.process(self._message(index, message))

    def _change_later(self, ch: Change) -> Generator:
        yield self.env.timeout(ch.at)
        if v3_part(ch) is not None:
            self.change_kinds.play(ch.at, v3_part(ch))
            return
        self._apply_change(ch.deploy, ch.config, ch.flag)

    def _apply_change(self, deploy, config, flag) -> None:
        """A change happening during the run (history after t=0 or a noise change): it really rolls out."""
        cluster = self.cluster
        if deploy is not None:
            s = self.world.services[deploy.service]
            summary = f"deploy {s.name} {s.version} -> {deploy.to}"
            cluster.record_change("deploy", s.name, summary, deploy.by, s.version, deploy.to)
            cluster.rollout(s, deploy.to, "deploy", deploy.by)
        elif config is not None:
            s = self.world.services[config.service]
            cluster.push_config(s, config.to, config.by, config.summary, 20.0)
        elif flag is not None:
            self.set_flag(flag.flag, flag.enabled)
            state = "on" if flag.enabled else "off"
            cluster.record_change("flag", "", f"flag {flag.flag} -> {state}", flag.by, "", str(flag.enabled).lower())

    def _noise(self, item: Noise) -> Generator:
        if item.at > 0:
            yield self.env.timeout(item.at)
        if item.deploy or item.config or item.flag:
            self._apply_change(item.deploy, item.config, item.flag)
        elif v3_part(item) is not None:
            self.change_kinds.play(self.env.now, v3_part(item))
        elif item.alert:
            a = item.alert
            self.alerts.fire_noise(a.name, a.service, a.severity, a.summary, a.lasts)

    def _noise_traffic(self, item: Noise, raised: bool = False) -> Generator:
        """Traffic multiplied by the noise's factor for a while, from ``item.at`` on. ``raised`` (True once
        it is): a restore re-creates it at its second wait with its locals."""
        if not raised:
            if item.at > 0:
                yield self.env.timeout(item.at)
            self.world.traffic_factor *= item.traffic.factor
            raised = True
        yield self.env.timeout(item.traffic.lasts)
        self.world.traffic_factor /= item.traffic.factor

    def _noise_log(self, item: Noise, wait: float | None = None) -> Generator:
        """A recurring log line from a random running instance of the service, from ``item.at`` on.

        Its one wait is the loop's first statement, so a restore (simulator/session/snapshots.py)
        re-creates it at its next line by passing ``wait``: the delay already drawn.
        """
        rng = self.rng["noise-logs"]
        s = self.world.services[item.log.service]
        if wait is None:
            wait = item.at if item.at > 0 else self._noise_line(item, rng, s)
        while True:
            yield self.env.timeout(wait)
            wait = self._noise_line(item, rng, s)

    def _noise_line(self, item: Noise, rng, s) -> float:
        """Write one noise line now; returns the delay to the next."""
        running = [i for i in s.instances if i.state == RUNNING]
        if running:
            self.logs.emit(self.env.now, item.log.level, running[int(rng.random() * len(running))], item.log.message)
        return rng.expovariate(1.0 / item.log.every)

    def _message(self, index: int, message: Message) -> Generator:
        if message.at > 0:
            yield self.env.timeout(message.at)
        if index in self.incident.moved_messages:
            return  # a facilitator moved it earlier or later (incident.actions delivers it then)
        if not message_arrives(message.when, message.unless, self.env.now, self.incident, self.alerts, self.world):
            return  # the trainee's actions or the world made it moot (an update was just posted)
        self.incident.deliver(MessageView(self.env.now, message.from_, message.channel, message.text))

    def _hint(self, after: float, text: str) -> Generator:
        yield self.env.timeout(after)
        if text not in self.incident.held_hints:  # a facilitator put it off (incident.actions releases it)
            self.incident.release_hint(self.env.now, text)


def hidden_truth(scenario: Scenario, faults: list[dict]) -> dict[str, Any]:
    """What the scenario hides from the trainee, with the faults' actual onsets: for debriefs and
    facilitators only."""
    sc = scenario
    return {
        "variant": sc.chosen,
        "messages": [m.model_dump(mode="json", by_alias=True) for m in sc.messages],
        "evidence": [e.model_dump(mode="json") for e in sc.evidence],
        "stale_runbooks": [r.service for r in sc.runbooks if r.stale],
        "faults": faults,
        "root_cause": sc.root_cause.model_dump(mode="json"),
        "solution": [a.model_dump(mode="json", exclude_none=True) for a in sc.solution],
        "traps": [t.model_dump(mode="json") for t in sc.traps],
    } | _provider_changes(sc)


def _provider_changes(sc: Scenario) -> dict[str, Any]:
    """Provider-side changes, which the trainee's change log never showed (only when there are some)."""
    changes = [{"at": ch.at, **ch.provider.model_dump(mode="json")} for ch in [*sc.history, *sc.noise] if ch.provider]
    return {"provider_changes": changes} if changes else {}
