"""The game day's role table: what each incident role may do, and why not when it may not.

The seed's rule: the incident coordinator (IMOC) communicates and does not debug; the tech lead (TLOC)
and the ops engineers investigate and mitigate and report status to the IMOC; a scribe keeps notes;
an observer reads only. A *power* is an action of the vocabulary or one of the seat's own frames
(``profile``, ``report`` = status to the IMOC, ``guess``, ``end`` = call time). The facilitator holds
every power in-process and is not in the table.

The table is per game: the facilitator may grant or revoke a power live (a small team lets the IMOC
mitigate); :class:`RoleTable` records every change so the host journals it and a resumed game day
replays it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scenarios.language.actions import MITIGATION_ACTIONS, PROCESS_ACTIONS

SEAT_POWERS = ("profile", "report", "guess", "end")
"""Powers that are seat frames rather than actions: take a profile, post a status report to the IMOC,
guess the root cause (observers), call time."""
POWERS = tuple(sorted(PROCESS_ACTIONS)) + tuple(sorted(MITIGATION_ACTIONS)) + SEAT_POWERS
"""Every power the table can grant."""

TABLE_ROLES = ("imoc", "tloc", "ops", "scribe", "observer", "mentor")
"""Roles a seat can sit in (the facilitator is the host's own console)."""
ROLE_TITLES = {
    "imoc": "IMOC",
    "tloc": "TLOC",
    "ops": "Ops engineer",
    "scribe": "Scribe",
    "observer": "Observer",
    "mentor": "Mentor",
    "facilitator": "Facilitator",
}
"""How a role is named on screens (header, feed, debrief)."""

COORDINATION = frozenset({"ack", "set_severity", "assign_role", "status_update", "escalate", "resolve", "handoff"})
INVESTIGATION = frozenset({"hypothesis", "note", "profile", "report"})

DEFAULT_TABLE: dict[str, frozenset[str]] = {
    # A profile is a look, not a change: the IMOC may take one (the debrief shows who looked at what).
    "imoc": COORDINATION | {"note", "end", "profile"},
    "tloc": MITIGATION_ACTIONS | INVESTIGATION | {"ack"},
    "ops": MITIGATION_ACTIONS | INVESTIGATION,
    "scribe": frozenset({"note"}),
    "observer": frozenset({"guess"}),
    "mentor": frozenset(),  # reverse shadow: the mentor whispers and flags (its own frames), never acts
}
"""The seed's roles: IMOC coordinates, TLOC and ops investigate and mitigate, the scribe notes, the
observer only reads (and may guess the root cause)."""

WHY_NOT: dict[str, str] = {
    "imoc": "the IMOC coordinates and does not debug: ask the TLOC or an ops engineer to do it "
    "(the facilitator can let the IMOC mitigate for a small team)",
    "tloc": "that is the IMOC's call: the TLOC diagnoses and mitigates; send the IMOC a status report (S)",
    "ops": "that is the IMOC's call: ops engineers investigate and mitigate; report status to the IMOC (S)",
    "scribe": "the scribe keeps the record: notes only",
    "observer": "observers are read-only; you may submit a root-cause guess (shown in the debrief)",
    "mentor": "a mentor coaches and does not act: W whispers the trainee a hint, M flags this moment",
}
"""Why each role is refused a power it does not hold (sent back to the seat)."""


def title(role: str) -> str:
    """A role's display name."""
    return ROLE_TITLES.get(role, role)


def seat_title(label: str) -> str:
    """``tloc:bo`` -> ``bo (TLOC)``; other seat names unchanged."""
    role, colon, name = label.partition(":")
    return f"{name} ({title(role)})" if colon and role in ROLE_TITLES else label


@dataclass
class RoleTable:
    """Powers per role for one game; changes are kept in order (the host journals each one)."""

    powers: dict[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_TABLE))

    def allowed(self, role: str) -> frozenset[str]:
        """Everything ``role`` may do now."""
        return self.powers.get(role, frozenset())

    def actions(self, role: str) -> frozenset[str]:
        """The vocabulary actions ``role`` may take (what its action form offers)."""
        return self.allowed(role) - frozenset(SEAT_POWERS)

    def refusal(self, role: str, power: str) -> str | None:
        """Why ``role`` may not use ``power`` (None when it may)."""
        if power in self.allowed(role):
            return None
        if power == "inject":
            return "only the facilitator injects"
        if power == "guess":
            return "root-cause guesses are for observers; the others write hypotheses"
        if power == "end":
            return "only the IMOC (or the facilitator) ends the incident"
        return WHY_NOT.get(role, f"{power} is not the {title(role)}'s to take")

    def change(self, role: str, power: str, granted: bool) -> str:
        """Grant or revoke ``power`` for ``role`` (ValueError naming the choices when either is unknown)."""
        if role not in TABLE_ROLES:
            raise ValueError(f"no role {role!r}; roles: {', '.join(TABLE_ROLES)}")
        if power not in POWERS:
            raise ValueError(f"no power {power!r}; powers: {', '.join(POWERS)}")
        current = self.allowed(role)
        self.powers[role] = current | {power} if granted else current - {power}
        return f"{title(role)} {'may now' if granted else 'may no longer'} {power}"

    def changes(self) -> list[tuple[str, str, bool]]:
        """(role, power, granted) that turn the default table into this one."""
        out = []
        for role in TABLE_ROLES:
            out += [(role, power, True) for power in sorted(self.allowed(role) - DEFAULT_TABLE[role])]
            out += [(role, power, False) for power in sorted(DEFAULT_TABLE[role] - self.allowed(role))]
        return out

    def differences(self) -> list[str]:
        """How this game's table differs from the default (for the facilitator and the debrief)."""
        out = []
        for role in TABLE_ROLES:
            added = sorted(self.allowed(role) - DEFAULT_TABLE[role])
            removed = sorted(DEFAULT_TABLE[role] - self.allowed(role))
            if added:
                out.append(f"{title(role)} may also: {', '.join(added)}")
            if removed:
                out.append(f"{title(role)} may not: {', '.join(removed)}")
        return out
