"""The room end to end, as people play it: `misfortune host` and three `misfortune join` seats (IMOC, TLOC,
observer) in tmux, driven by keys; a protocol client stands in only for the IMOC's forbidden rollback (its
console does not offer one).

It checks the issue's "done when": each seat sees only what its role may, the IMOC's rollback is refused
with a reason, the facilitator's own message reaches the seats, a dropped seat rejoins with its token (its
role, view and unread message back), and the room debrief, on a seat and beside the journal, names who did
what. Slow (real processes): about a minute.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from scenarios.language.offer import unavailable_actions
from tui.gameday.roles import DEFAULT_TABLE
from tui.gameday.seat import RemoteSession
from tui.widgets.actions import ORDER

BIN = str(Path(sys.executable).parent / "misfortune")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
PATIENCE = 60.0


class Tmux:
    """Detached tmux sessions, one per terminal of the room."""

    def __init__(self, tmp_path: Path) -> None:
        self.prefix = f"room{os.getpid()}"
        self.env = {"MISFORTUNE_HOME": str(tmp_path / "home"), "TERM": "xterm-256color"}
        self.names: list[str] = []
        self.tmux = ["tmux", "-L", self.prefix, "-f", "/dev/null"]  # a server of its own: its own sizes

    def start(self, name: str, command: str, width: int = 150, **env: str) -> None:
        values = " ".join(f"{k}={v}" for k, v in {**self.env, **env}.items())
        session = f"{self.prefix}-{name}"
        subprocess.run([*self.tmux, "kill-session", "-t", session], capture_output=True)
        subprocess.run(
            [
                *self.tmux,
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                str(width),
                "-y",
                "45",
                f"env -u COLUMNS -u LINES {values} {command}; sleep 60",  # pytest sets COLUMNS
            ],
            check=True,
        )
        self.names.append(session)

    def screen(self, name: str) -> str:
        out = subprocess.run([*self.tmux, "capture-pane", "-p", "-t", f"{self.prefix}-{name}"], capture_output=True)
        return out.stdout.decode(errors="replace")

    def keys(self, name: str, *keys: str, literal: bool = False) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", f"{self.prefix}-{name}", *(["-l"] if literal else []), *keys])
        time.sleep(0.3)

    def wait(self, name: str, *texts: str, timeout: float = PATIENCE) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen(name)
            if all(t in shown for t in texts):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: no {[t for t in texts if t not in shown]} on:\n{shown}")
            time.sleep(0.25)

    def kill(self, name: str) -> None:
        subprocess.run([*self.tmux, "kill-session", "-t", f"{self.prefix}-{name}"], capture_output=True)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def room(tmp_path):
    tmux = Tmux(tmp_path)
    yield tmux
    tmux.close()


def seat_token(room: Tmux, name: str) -> str:
    """Open the seat's room feed (F), read its rejoin token, go back."""
    room.keys(name, "F")
    shown = room.wait(name, "--seat-token")
    room.keys(name, "Escape")
    return re.search(r"--seat-token (\S+)", shown).group(1)


def test_a_three_seat_game_day_with_a_facilitator_plays_to_the_end_in_tmux(room, tmp_path):
    port = free_port()
    room.start("host", f"{BIN} host checkout-oom-leak --seed 1 --port {port}", width=240)
    token = re.search(r"--token (\S+)", room.wait("host", "--token", "Hidden truth")).group(1)
    join = f"{BIN} join 127.0.0.1:{port}"
    room.start("imoc", f"{join} --role imoc --name ana --on-call primary", MISFORTUNE_TOKEN=token)
    room.start("tloc", f"{join} --role tloc --name bo", MISFORTUNE_TOKEN=token)
    room.start("obs", f"{join} --role observer --name cy", MISFORTUNE_TOKEN=token)
    room.wait("imoc", " ana ", "IMOC", "primary on call")
    room.wait("tloc", " bo ", "TLOC")
    room.wait("obs", " cy ", "Observer")

    # each seat is offered only what its role may do
    for seat in ("imoc", "tloc", "obs"):
        room.keys(seat, "x")
    imoc = room.wait("imoc", "set_severity", "status_update")
    assert "rollback_deploy" not in imoc and "restart" not in imoc
    room.wait("tloc", "rollback_deploy", "hypothesis")
    assert "set_severity" not in room.screen("tloc")
    room.wait("obs", "Your role takes no actions here.")

    # the clock runs (60x); the page reaches the primary, who acknowledges
    room.keys("host", "space")
    for _ in range(4):
        room.keys("host", "+", literal=True)
    room.wait("imoc", "KubePodCrashLooping", timeout=90)
    room.keys("host", "space")  # paused again: the room talks
    room.keys("imoc", "a")
    room.wait("host", "imoc:ana action: ack")

    # the IMOC's rollback (through the protocol: its console offers none) is refused with the reason
    ana_token = seat_token(room, "imoc")
    stand_in = RemoteSession("127.0.0.1", port, token, "imoc", "ana", seat_token=ana_token).connect()
    try:
        refused = stand_in.apply(ACTION_ADAPTER.validate_python({"action": "rollback_deploy", "service": "checkout"}))
    finally:
        stand_in.quit()
    assert not refused.accepted and "the IMOC coordinates and does not debug" in refused.message
    room.wait("host", "imoc:ana refused: rollback_deploy: the IMOC coordinates")

    # the facilitator's own message reaches the seats
    room.keys("host", "m")
    room.keys("host", "@cto (stakeholder): Are we losing orders right now?", literal=True)
    room.keys("host", "Enter")
    for seat in ("tloc", "obs"):
        room.keys(seat, "o")
        room.wait(seat, "Are we losing orders right now?")

    # the TLOC drops (its terminal dies) while on the changes panel; the room goes on without it
    bo_token = seat_token(room, "tloc")
    room.keys("tloc", "c")
    room.wait("tloc", "Change log")
    time.sleep(1.0)  # the view reaches the host with the next look
    room.kill("tloc")
    room.wait("host", "tloc:bo leave")
    room.keys("host", "m")
    room.keys("host", "0.0", literal=True)
    room.keys("host", "Enter")
    room.wait("obs", "ETA")
    # it rejoins with its token: its role, its view and the message it has not read come back
    room.start("tloc2", f"{join} --role observer --name bo --seat-token {bo_token}", MISFORTUNE_TOKEN=token)
    back = room.wait("tloc2", " bo ", "TLOC", "Change log", "msgs 1")
    assert "Observer" not in back.splitlines()[0]

    # the TLOC rolls back checkout from its form, the facilitator ends the incident
    room.keys("tloc2", "x")
    room.wait("tloc2", "Enter fill its form")
    # (checkout-oom-leak keeps no data, has no traffic classes or procedures: those are not offered)
    unavailable = unavailable_actions(load_by_ref("checkout-oom-leak")[0])
    offered = [name for name in ORDER if name in DEFAULT_TABLE["tloc"] and name not in unavailable]
    for _ in range(offered.index("rollback_deploy")):
        room.keys("tloc2", "Down")
    room.keys("tloc2", "Enter")
    room.wait("tloc2", "rollback_deploy  Roll a service back")
    room.keys("tloc2", "Enter")
    room.keys("tloc2", "checkout", literal=True)
    room.keys("tloc2", "Enter")
    room.keys("tloc2", "C-s")
    room.wait("host", "tloc:bo action: rollback_deploy")
    room.keys("host", "x")
    room.wait("host", "ENDED")

    # the room's debrief names who did what, on a seat and beside the journal
    room.wait("obs", "grade", timeout=30)
    room.keys("obs", "b")
    debrief = room.wait("obs", "Room debrief", "ana (IMOC)")
    assert "ana (IMOC)" in debrief
    journals = list((tmp_path / "home").rglob("*.room.md"))
    assert len(journals) == 1
    saved = journals[0].read_text()
    assert "### ana (IMOC)" in saved and "- " in saved and "ack (as IMOC)" in saved
    assert "### bo (TLOC)" in saved and "rollback_deploy (as TLOC)" in saved
    assert "ana was refused out of role:" in saved and "@cto" not in saved.split("## Communication")[0]
