"""Predict-the-next-move: the plausible choices offered before an expert's move, and the verdict.

Choices are the expert's move, up to two of the scenario's traps, and other actions of the vocabulary
on targets a responder could see at that moment (services that are failing or changed recently, flags
that flipped, the zones, the severities), shuffled by a stream of the seed. Nothing here reveals the
hidden truth beyond what the question itself is about. A prediction matches when it names the same
action kind and target as the expert's move.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scenarios.language.scenario import Trap
from scenarios.language.traps import fields_match, is_pattern
from simulator.views import ChangeRecord, ServiceView

MAX_CHOICES = 6
"""Choices per question (keys 1-9 stay enough)."""
MAX_TRAPS = 2
"""Traps mixed into one question."""
RECENT_S = 3600.0
"""Changes this recent make their service and flag plausible targets."""
TARGET_FIELDS = ("service", "zone", "flag", "severity", "role", "dependency", "client")
"""Fields that say what an action is aimed at (with the action kind, what a prediction is judged on)."""
PERSON_ACTIONS = ("escalate", "handoff")
"""Actions whose ``to`` names who is brought in (elsewhere ``to`` is a version or revision: a detail)."""

Verdict = Literal["match", "trap", "other"]


def move_key(body: Mapping[str, Any]) -> tuple[str, str]:
    """(action kind, target) of an action body: what a prediction is compared on."""
    kind = str(body.get("action", ""))
    names = TARGET_FIELDS + (("to",) if kind in PERSON_ACTIONS else ())
    return kind, "/".join(str(body[f]) for f in names if body.get(f) is not None)


def describe(body: Mapping[str, Any]) -> str:
    """An action in a few words: ``rollback_deploy checkout``, ``restart checkout (all at once)``."""
    kind, target = move_key(body)
    extra = []
    if body.get("mode") == "all":
        extra.append("all at once")
    elif body.get("mode") == "rolling":
        extra.append("rolling")
    if body.get("replicas") is not None:
        extra.append(f"to {body['replicas']} replicas")
    if body.get("percent") is not None:
        extra.append(f"{body['percent']:g} %")
    if body.get("rps") is not None:
        extra.append(f"{body['rps']:g} rps")
    if body.get("enabled") is not None and kind in ("feature_flag", "fallback"):
        extra.append("on" if body["enabled"] else "off")
    if body.get("op") and body.get("op") != "add":
        extra.append(str(body["op"]))
    words = kind.replace("_", " ") + (f" {target.replace('/', ' ')}" if target else "")
    return words + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer offered to the trainee."""

    label: str
    body: dict[str, Any]
    trap: str | None = None
    """Why it is wrong, when the choice is one of the scenario's traps."""

    @property
    def key(self) -> tuple[str, str]:
        return move_key(self.body)


@dataclass(frozen=True, slots=True)
class Prediction:
    """The trainee's answer to one question, judged against the expert's move."""

    move_index: int
    t: float
    expert: str
    """The expert's move, described."""
    picked: str
    """What the trainee predicted, described (or ``(skipped)``)."""
    verdict: Verdict
    trap: str | None = None
    """Why the trap is wrong, when the trainee picked one."""
    free: bool = False
    """Entered through the action form rather than picked from the choices."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "move": self.move_index,
            "t": round(self.t, 3),
            "expert": self.expert,
            "picked": self.picked,
            "verdict": self.verdict,
            "trap": self.trap,
            "free": self.free,
        }


def matching_trap(body: Mapping[str, Any], traps: Sequence[Trap]) -> Trap | None:
    """The trap an action body falls into, if any (every field of the trap's match fits; a trap that
    needs the world, such as a sequence, counts when its fields fit)."""
    for trap in traps:
        if fields_match(trap.match, body):
            return trap
    return None


def judge(picked: Mapping[str, Any], expert: Mapping[str, Any], traps: Sequence[Trap]) -> tuple[Verdict, str | None]:
    """``match`` when kind and target equal the expert's; ``trap`` when it is one of the traps; else ``other``."""
    if move_key(picked) == move_key(expert):
        return "match", None
    trap = matching_trap(picked, traps)
    return ("trap", trap.why) if trap is not None else ("other", None)


def choices_for(
    expert: Mapping[str, Any],
    traps: Sequence[Trap],
    services: Sequence[ServiceView],
    changes: Sequence[ChangeRecord],
    zones: Sequence[str],
    flags: Sequence[str],
    now: float,
    rng: random.Random,
) -> list[Choice]:
    """The expert's move, some traps and plausible other moves, shuffled by ``rng``."""
    picked: dict[tuple[str, str], Choice] = {}

    def offer(body: dict[str, Any], trap: str | None = None) -> None:
        choice = Choice(describe(body), body, trap)
        if choice.key not in picked and choice.key[0]:
            picked[choice.key] = choice

    offer(dict(expert))
    # A pattern (service: "*-db") is not a move one can pick: only concrete traps are offered.
    usable = [t for t in traps if "action" in t.match and not any(is_pattern(v) for v in t.match.values())]
    for trap in rng.sample(usable, min(MAX_TRAPS, len(usable))):
        offer(dict(trap.match), trap.why)
    same, hands_on = _distractors(expert, services, changes, zones, flags, now)
    rng.shuffle(same)
    rng.shuffle(hands_on)
    for body in same[:2] + hands_on + same[2:]:  # at least one other move of the expert's kind, then hands-on ones
        if len(picked) >= MAX_CHOICES:
            break
        offer(body)
    choices = list(picked.values())
    rng.shuffle(choices)
    return choices


def _distractors(
    expert: Mapping[str, Any],
    services: Sequence[ServiceView],
    changes: Sequence[ChangeRecord],
    zones: Sequence[str],
    flags: Sequence[str],
    now: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Moves a responder could plausibly make now on targets visible now: of the expert's family, and hands-on."""
    kind = expert.get("action")
    failing = [s.name for s in sorted(services, key=lambda s: -s.error_ratio)[:3]]
    recent = [c for c in changes if now - RECENT_S <= c.t <= now and c.by != "you"]
    deployed = [c.service for c in recent if c.kind == "deploy" and c.service]
    configured = [c.service for c in recent if c.kind == "config" and c.service]
    words = [c.summary.split() for c in recent if c.kind == "flag"]
    flipped = [w[1] for w in words if len(w) > 1 and w[1] in flags]
    same: list[dict[str, Any]] = []
    if kind == "set_severity":
        same = [{"action": "set_severity", "severity": s} for s in ("SEV1", "SEV2", "SEV3")]
    elif kind in ("drain_zone", "undrain_zone"):
        same = [{"action": kind, "zone": z} for z in zones]
    elif kind in ("ack", "hypothesis", "status_update", "escalate", "resolve"):
        same = [
            {"action": "escalate", "to": "secondary"},
            {"action": "status_update"},
            {"action": "hypothesis"},
            {"action": "ack"},
        ]
    hands_on: list[dict[str, Any]] = []
    for name in dict.fromkeys(failing + deployed + configured):
        hands_on.append({"action": "restart", "service": name, "mode": "rolling"})
        replicas = next((s.desired for s in services if s.name == name), 3)
        hands_on.append({"action": "scale", "service": name, "replicas": replicas + max(2, replicas // 2)})
    hands_on += [{"action": "rollback_deploy", "service": name} for name in dict.fromkeys(deployed)]
    hands_on += [{"action": "rollback_config", "service": name} for name in dict.fromkeys(configured)]
    hands_on += [{"action": "feature_flag", "flag": flag, "enabled": False} for flag in dict.fromkeys(flipped)]
    return same, hands_on
