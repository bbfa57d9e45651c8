"""Benchmarks of the incident console against the TUI budget in DESIGN.md.

    python bench/tui_console.py [--cpu-seconds 30] [--repeat 5]

Prints medians beside the budget: first console frame (0.5 s), CPU of the console at 1x over
30 simulated seconds (10 % of one core), key press to repaint (50 ms), log filtering over
1,000,000 lines (200 ms). Runs headless (Textual's test driver), so terminal output is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import replace

from textual.app import App

from tui.screens.console import ConsoleScreen
from tui.session import LocalSession
from tui.widgets.log_buffer import LogBuffer, LogQuery

SIZE = (160, 48)


class Host(App):
    """The console with a clock like the real app's: pump the session every quarter second."""

    def __init__(self, session: LocalSession, clock: bool = False) -> None:
        super().__init__()
        self.session = session
        self.clock = clock
        self.animation_level = "none"  # as MisfortuneApp sets it

    def on_mount(self) -> None:
        self.push_screen(ConsoleScreen(self.session))
        if self.clock:
            self.set_interval(0.25, lambda: self.session.pump(0.25))


def new_session(at: float = 600.0) -> LocalSession:
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(at)
    return session


async def first_frame() -> float:
    session = new_session()
    start = time.perf_counter()
    app = Host(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        return time.perf_counter() - start


async def cpu_at_1x(panel: str, seconds: float) -> float:
    session = new_session()
    session.set_speed(1.0)
    app = Host(session, clock=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel(panel)
        await pilot.pause()
        sim_start, wall, cpu = session.now, time.perf_counter(), time.process_time()
        while session.now - sim_start < seconds:
            await asyncio.sleep(0.5)
        return (time.process_time() - cpu) / (time.perf_counter() - wall)


async def key_to_repaint(rounds: int) -> tuple[float, float]:
    """Median time of a panel-switch key press, and of a press of an unbound key (the driver's cost)."""
    session = new_session()
    app = Host(session)
    bound, unbound = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await asyncio.sleep(1.0)  # let the panels pre-warm, as they do while the trainee reads the pager
        for _ in range(rounds):
            for key in "gdltcmyxo":
                start = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                bound.append(time.perf_counter() - start)
                # Back to the tab strip (a panel may focus a text field, which would eat the next key).
                await pilot.press("escape")
                await pilot.pause()
                start = time.perf_counter()
                await pilot.press("f12")
                await pilot.pause()
                unbound.append(time.perf_counter() - start)
    return statistics.median(bound), statistics.median(unbound)


def million_lines() -> LogBuffer:
    """1,000,000 lines cycled from a real session, each copy with its own trace ids."""
    session = new_session(1800.0)
    records = session.logs()
    buffer = LogBuffer()
    n = 0
    while n < 1_000_000:
        batch = []
        for rec in records:
            if n >= 1_000_000:
                break
            tid = f"{n:032x}" if rec.trace_id else ""
            batch.append(replace(rec, t=rec.t + n / 1000, trace_id=tid))
            n += 1
        buffer.extend(batch)
    return buffer


def filtering(buffer: LogBuffer, repeat: int) -> list[tuple[str, float, int]]:
    some_trace = next(buffer.trace_id(i) for i in range(buffer.base + 500_000, buffer.end) if buffer.trace_id(i))
    queries = [
        ("text 'oomkilled'", LogQuery(text="oomkilled")),
        ("text 'context canceled'", LogQuery(text="context canceled")),
        ("text ' 200 ' (most lines)", LogQuery(text=" 200 ")),
        ("service checkout, level ERROR", LogQuery(service="checkout", level="ERROR")),
        ("trace id", LogQuery(trace_id=some_trace)),
    ]
    out = []
    for name, query in queries:
        times, firsts = [], []
        count = 0
        for _ in range(repeat):
            start = time.perf_counter()
            count = len(buffer.filter(query))
            times.append(time.perf_counter() - start)
            # What the view shows first: the newest slice's matches (the scan then goes on).
            start = time.perf_counter()
            next(buffer.filter_newest_first(query))
            firsts.append(time.perf_counter() - start)
        out.append((name, statistics.median(times), statistics.median(firsts), count))
    return out


def report(name: str, value: float, budget: float, unit: str, scale: float = 1000.0) -> None:
    ratio = value / budget
    verdict = "ok" if ratio <= 1 else "OVER"
    print(f"{name:<44} {value * scale:9.1f} {unit:<3} budget {budget * scale:7.1f} {unit:<3} {ratio:5.2f}x  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-seconds", type=float, default=30.0, help="simulated seconds at 1x per CPU run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    frames = [asyncio.run(first_frame()) for _ in range(args.repeat)]
    report("first console frame (median)", statistics.median(frames), 0.5, "ms")
    for panel in ("dashboards", "logs"):
        share = asyncio.run(cpu_at_1x(panel, args.cpu_seconds))
        report(f"CPU at 1x, {panel} visible ({args.cpu_seconds:g} s)", share, 0.10, "%", 100.0)
    bound, unbound = asyncio.run(key_to_repaint(max(1, args.repeat // 2)))
    report("key press -> repaint, panel switch (median)", bound, 0.050, "ms")
    report("  of which the test driver's own press", unbound, 0.050, "ms")
    report("  panel switch beyond the driver", max(bound - unbound, 0.0), 0.050, "ms")
    start = time.perf_counter()
    buffer = million_lines()
    print(f"(filled {len(buffer):,} lines in {time.perf_counter() - start:.1f} s)")
    for name, seconds, first, count in filtering(buffer, args.repeat):
        report(f"filter 1M lines: {name} ({count:,})", seconds, 0.200, "ms")
        report("  newest matches on screen", first, 0.200, "ms")


if __name__ == "__main__":
    main()
