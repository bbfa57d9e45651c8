"""One registry of the console's commands: it feeds key bindings, the footer, the help text and the palette.

Every entry has a stable id (so users can remap keys through Textual's keymap), a key and a description.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    """A command of the incident console."""

    id: str
    key: str
    action: str
    """Textual action string run on the console screen."""
    description: str
    show: bool = True
    """Shown in the footer (the palette lists every command)."""
    group: str = "Incident"
    """What the key is for, as the key list (?) groups it."""


PANELS: tuple[tuple[str, str, str], ...] = (
    ("pager", "g", "Pager"),
    ("dashboards", "d", "Dashboards"),
    ("logs", "l", "Logs"),
    ("traces", "t", "Traces"),
    ("changes", "c", "Changes"),
    ("runbooks", "r", "Runbooks"),
    ("map", "m", "Map"),
    ("hypotheses", "y", "Hypotheses"),
    ("actions", "x", "Actions"),
    ("comms", "o", "Comms"),
    ("profiles", "f", "Profiles"),
)
"""Panel id, key, title: one tab each."""

SPEED_KEYS: tuple[tuple[str, float], ...] = (("1", 1.0), ("2", 2.0), ("3", 5.0), ("4", 10.0), ("5", 60.0))
"""Clock keys and the speed each sets."""
CLOCK_KEYS_TEXT = "clock: 1-5 = 1x 2x 5x 10x 60x · +/- faster/slower · space pause"
"""The one set of clock keys, worded the same on every screen that has a clock (briefing, console)."""
TEXT_FIELD_KEYS = ("space",)
"""Priority keys that still type while a text field has focus (they work from lists and dropdowns)."""

COMMANDS: tuple[ConsoleCommand, ...] = (
    *(
        ConsoleCommand(
            f"console.panel.{pid}", key, f"show_panel('{pid}')", title, show=pid in ("pager", "logs"), group="Panels"
        )
        for pid, key, title in PANELS
    ),
    ConsoleCommand(
        "console.panel.previous", "left_square_bracket", "step_panel(-1)", "Previous panel", False, "Panels"
    ),
    ConsoleCommand("console.panel.next", "right_square_bracket", "step_panel(1)", "Next panel", False, "Panels"),
    ConsoleCommand("console.ack", "a", "ack", "Acknowledge pages"),
    ConsoleCommand(
        "console.incident.severity", "s", "incident_form('set_severity')", "Severity of the incident", show=False
    ),
    ConsoleCommand(
        "console.incident.roles", "p", "incident_form('assign_role')", "Name who holds an incident role", show=False
    ),
    ConsoleCommand("console.view", "v", "view_row", "Read the selected row whole", show=False, group="Reading"),
    ConsoleCommand("console.clock.pause", "space", "toggle_pause", "Pause/resume", group="Clock"),
    *(
        ConsoleCommand(
            f"console.clock.speed{int(speed)}",
            key,
            f"speed({speed})",
            f"Speed {int(speed)}x",
            show=False,
            group="Clock",
        )
        for key, speed in SPEED_KEYS
    ),
    ConsoleCommand("console.clock.faster", "plus", "faster", "Faster clock", show=False, group="Clock"),
    ConsoleCommand("console.clock.slower", "minus", "slower", "Slower clock", show=False, group="Clock"),
    ConsoleCommand("console.evidence", "ctrl+e", "attach_evidence", "Attach selection as evidence", show=False),
    ConsoleCommand(
        "console.focus_panel", "escape", "leave_field", "Leave the field", show=False, group="Moving around"
    ),
    ConsoleCommand("console.hint", "ctrl+h", "show_hints", "Show released hints", show=False),
    ConsoleCommand("console.palette", "ctrl+p", "app.command_palette", "Commands", show=False, group="Moving around"),
    ConsoleCommand("console.profile.cpu", "U", "profile('cpu')", "CPU profile of the instance", show=False),
    ConsoleCommand("console.profile.heap", "E", "profile('heap')", "Heap profile of the instance", show=False),
    ConsoleCommand("console.profile.threads", "R", "profile('threads')", "Thread dump of the instance", show=False),
    ConsoleCommand("console.profile.crash", "K", "profile('crash')", "Crash report of the instance", show=False),
)
"""Every console command, in help order."""


def bindings() -> list[Binding]:
    """Key bindings for the console screen, built from the registry."""
    return [
        # Priority: ctrl+e attaches from any widget; space pauses from lists and dropdowns too (a text
        # field still gets it: Textual drops keys the focused field consumes from every binding).
        Binding(c.key, c.action, c.description, show=c.show, id=c.id, priority=c.key in ("ctrl+e", *TEXT_FIELD_KEYS))
        for c in COMMANDS
        if c.action != "app.command_palette"
    ]


def help_rows() -> list[tuple[str, str]]:
    """(key, description) rows for a help screen."""
    return [(c.key, c.description) for c in COMMANDS]


PURPOSES: dict[str, str] = {c.id: c.group for c in COMMANDS} | {
    "app.quit": "Leaving",
    "app.give_up": "Leaving",
    "app.help": "Moving around",
    "briefing.begin": "Starting",
    "briefing.back": "Leaving",
    "briefing.faster": "Clock",
    "briefing.slower": "Clock",
    **{f"briefing.speed{speed:g}": "Clock" for _, speed in SPEED_KEYS},
    "home.spin": "Starting",
    "home.start": "Starting",
    "home.seed": "Starting",
    "home.skip": "Starting",
    "home.quit": "Leaving",
    "debrief.quit": "Leaving",
    "debrief.home": "Leaving",
}
"""Binding id -> what the key is for; ids not listed here belong to the panel or dialog that has focus."""
HERE = "Here"
"""The group of keys that belong to what has focus (a panel, a list, a dialog)."""
GROUP_ORDER = ("Starting", "Panels", "Reading", "Incident", "Clock", HERE, "Moving around", "Leaving")


def purpose(binding_id: str) -> str:
    """The key list's group for a product binding (its id)."""
    return PURPOSES.get(binding_id, HERE)


class ConsoleCommands(Provider):
    """Command palette entries for the console: the same registry as the keys."""

    def _commands(self) -> list[tuple[str, str, str]]:
        return [(f"{c.description} ({c.key})", c.action, c.id) for c in COMMANDS if c.action != "app.command_palette"]

    async def discover(self) -> Hits:
        for text, action, cid in self._commands():
            yield DiscoveryHit(text, partial(self._run, action), help=cid)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, action, cid in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._run, action), help=cid)

    async def _run(self, action: str) -> None:
        await self.screen.run_action(action)
