"""Time from process start to the first frame of the real ``misfortune`` command, against 0.5 s.

    python bench/tui_startup.py [--repeat 7] [--command misfortune]

Starts the installed command in a pseudo-terminal (160x48), as a user's shell would, and times how long
until a text that only the drawn screen contains arrives on the terminal: the home screen's title for
``misfortune``, the briefing's rules card for ``misfortune play checkout-oom-leak --seed 1``. The child
is then killed; it runs with a throw-away ``MISFORTUNE_HOME`` so no journal or history is touched.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

BUDGET_S = 0.5
SIZE = (160, 48)
CASES = (
    ("home", [], b"Wheel of Misfortune"),
    ("play", ["play", "checkout-oom-leak", "--seed", "1"], b"Rules of the exercise"),
)
TIMEOUT_S = 30.0


def first_frame(command: str, args: list[str], marker: bytes, home: str) -> tuple[float, float]:
    """Wall seconds from fork to ``marker`` appearing on the child's terminal, and the child's CPU seconds
    by then (killed at once): on a busy machine the CPU figure is the steadier one."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of SIZE, then the command
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        env = dict(os.environ, MISFORTUNE_HOME=home, TERM="xterm-256color", COLORTERM="truecolor")
        os.execvpe(command, [command, *args], env)
    seen = b""
    try:
        while time.perf_counter() - start < TIMEOUT_S:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if marker in seen:
                wall = time.perf_counter() - start
                os.kill(pid, signal.SIGKILL)
                usage = os.wait4(pid, 0)[2]
                pid = 0
                return wall, usage.ru_utime + usage.ru_stime
        raise RuntimeError(f"{command} {' '.join(args)}: no {marker!r} within {TIMEOUT_S:g} s; got {seen[-400:]!r}")
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    # The venv's own script when the venv is not on PATH (`.venv/bin/python bench/tui_startup.py`).
    beside = Path(sys.executable).parent / "misfortune"
    parser.add_argument("--command", default=shutil.which("misfortune") or str(beside))
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as home:
        first_frame(args.command, [], CASES[0][2], home)  # warm the OS file cache and .pyc files
        for name, argv, marker in CASES:
            runs = [first_frame(args.command, argv, marker, home) for _ in range(args.repeat)]
            times = [wall for wall, _cpu in runs]
            median = statistics.median(times)
            cpu = statistics.median(cpu for _wall, cpu in runs)
            ratio = median / BUDGET_S
            print(
                f"first frame, {name:<4} ({' '.join(['misfortune', *argv])}): {median * 1000:.0f} ms median "
                f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), budget {BUDGET_S * 1000:.0f} ms, "
                f"{ratio:.2f}x {'ok' if ratio <= 1 else 'OVER'}; process CPU by then {cpu * 1000:.0f} ms "
                f"({cpu / BUDGET_S:.2f}x of the budget)"
            )
    print(f"load average at end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
