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

COMMANDS: tuple[ConsoleCommand, ...] = (
    *(
        ConsoleCommand(f"console.panel.{pid}", key, f"show_panel('{pid}')", title, show=pid in ("pager", "logs"))
        for pid, key, title in PANELS
    ),
    ConsoleCommand("console.ack", "a", "ack", "Acknowledge pages"),
    ConsoleCommand("console.clock.pause", "space", "toggle_pause", "Pause/resume"),
    *(
        ConsoleCommand(f"console.clock.speed{int(speed)}", key, f"speed({speed})", f"Speed {int(speed)}x", show=False)
        for key, speed in SPEED_KEYS
    ),
    ConsoleCommand("console.evidence", "ctrl+e", "attach_evidence", "Attach selection as evidence", show=False),
    ConsoleCommand("console.focus_panel", "escape", "leave_field", "Leave the field", show=False),
    ConsoleCommand("console.hint", "ctrl+h", "show_hints", "Show released hints", show=False),
    ConsoleCommand("console.palette", "ctrl+p", "app.command_palette", "Commands", show=False),
    ConsoleCommand("console.profile.cpu", "U", "profile('cpu')", "CPU profile of the instance", show=False),
    ConsoleCommand("console.profile.heap", "E", "profile('heap')", "Heap profile of the instance", show=False),
    ConsoleCommand("console.profile.threads", "R", "profile('threads')", "Thread dump of the instance", show=False),
    ConsoleCommand("console.profile.crash", "K", "profile('crash')", "Crash report of the instance", show=False),
)
"""Every console command, in help order."""


def bindings() -> list[Binding]:
    """Key bindings for the console screen, built from the registry."""
    return [
        Binding(c.key, c.action, c.description, show=c.show, id=c.id, priority=c.key == "ctrl+e")
        for c in COMMANDS
        if c.action != "app.command_palette"
    ]


def help_rows() -> list[tuple[str, str]]:
    """(key, description) rows for a help screen."""
    return [(c.key, c.description) for c in COMMANDS]


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
