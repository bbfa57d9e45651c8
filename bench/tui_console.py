"""Benchmarks of the incident console against the TUI budget in DESIGN.md.

    python bench/tui_console.py [--cpu-seconds 30] [--repeat 5] [--only switch,cpu,frame,filter] [--sizes 160x48,80x24]

Prints each figure beside its budget and the ratio: first console frame (0.5 s), CPU of the console
at 1x over 30 simulated seconds (5 % of one core), key press to repaint for a panel switch (50 ms,
median and 90th percentile of the heaviest panel, clock paused and at 1x, at 160x48 and 80x24), log
filtering over 1,000,000 lines (200 ms, CPU time, as the log view filters: every line counted, the newest
screenful read; the list of every match, which the view no longer builds, beside it). Runs headless
(Textual's test driver); each frame is still rendered to the terminal's bytes, only the write to a terminal
is not counted. A timed key goes into the app's queue as a terminal's would (not through Pilot.press, whose
wait wakes every widget).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import time
from dataclasses import replace

from textual import events
from textual.app import App
from textual.widgets import Input

from tui.registry import PANELS
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

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):  # as MisfortuneApp: the console settles the heap while idle
            self.last_input = time.monotonic()
        await super().on_event(event)

    def on_mount(self) -> None:
        self.last_input = time.monotonic()
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


async def cpu_at_1x(panel: str, seconds: float) -> tuple[float, float, float]:
    """(share of a core over ``seconds`` of play at 1x once the console is pre-warmed, CPU seconds and wall
    seconds from launch to the end of the pre-warm). The pre-warm (panels built and staged off screen while
    the trainee reads the pager) happens once per game: counted inside the window, it made the share a
    figure of the first seconds, not of play."""
    session = new_session()
    session.set_speed(1.0)
    app = Host(session, clock=True)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel(panel)
        await prewarmed(app.screen)
        warm_cpu, warm_wall = time.process_time() - cpu0, time.perf_counter() - wall0
        sim_start, wall, cpu = session.now, time.perf_counter(), time.process_time()
        while session.now - sim_start < seconds:
            await asyncio.sleep(0.5)
        return (time.process_time() - cpu) / (time.perf_counter() - wall), warm_cpu, warm_wall


class Frames:
    """Times of the frames the console writes, each rendered to the terminal's bytes as a real terminal
    would get them (the headless driver skips that step, so the bench does it)."""

    def __init__(self, app: App) -> None:
        self.times: list[tuple[float, float]] = []
        display = app._display

        def timed(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)
                self.times.append((time.perf_counter(), time.process_time()))

        app._display = timed  # type: ignore[method-assign]

    def since(self, start: float, cpu: float) -> list[tuple[float, float]]:
        """Wall and process CPU seconds from ``start``/``cpu`` to each frame written after it."""
        return [(t - start, c - cpu) for t, c in self.times if t >= start]


SWITCH_KEYS = "gdltcrmyxof"
"""One key per console panel (tui.registry.PANELS)."""
QUIET_S = 0.15
"""A switch has settled once no frame came for this long while the process idled."""
IDLE_CPU_S = 0.001
"""CPU seconds per 20 ms step below which the process counts as idle (Textual's own test uses 1 ms)."""


def send_key(app: App, key: str) -> None:
    """The key as a terminal's driver delivers it: one Key event into the app's queue, nothing else.

    Pilot.press would also wake every widget of the screen twice to learn when they are done (~8 ms of
    CPU each time on the console's ~190 widgets): that is the test driver's cost, not the key's.
    """
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def settled(frames: Frames, start: float, limit: float = 5.0) -> None:
    """Return once no frame has come for QUIET_S and the process idles (or after ``limit`` seconds)."""
    while time.perf_counter() - start < limit:
        cpu = time.process_time()
        await asyncio.sleep(0.02)
        busy = time.process_time() - cpu >= IDLE_CPU_S
        last = max([start, *(t for t, _c in frames.times[-1:])])
        if not busy and time.perf_counter() - last >= QUIET_S:
            return


def _prewarm_done(console: ConsoleScreen) -> bool:
    """The console's own flag; a console from before it had one (A/B runs against an older commit): every
    panel built and the charts' history read."""
    done = getattr(console, "prewarmed", None)
    if done is None:
        return all(console.has_panel(pid) for pid, _key, _title in PANELS) and getattr(console, "_history_read", True)
    return bool(done)


async def prewarmed(console: ConsoleScreen, limit: float = 30.0) -> None:
    """Wait until the console has built every panel and staged it off screen (as it does while the trainee
    reads the pager), then 1 s more. A fixed second was not enough on a loaded machine: the first round
    then timed switches racing the pre-warm's mounts."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit and not _prewarm_done(console):
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)


async def key_to_repaint(
    rounds: int, clock: bool, size: tuple[int, int]
) -> dict[str, list[tuple[float, float, float]]]:
    """Per panel key: (first frame, settled frame, CPU until settled) after each press, in seconds from the
    key event. The CPU figure is this process's own time: other processes on a loaded machine delay the
    wall figures, not it.

    "Settled" is the last frame the press caused before the app went idle (a panel that paints twice,
    first stale then refreshed, counts its second frame). With ``clock`` the session moves on 0.25 s of
    simulated time before each press, as at 1x, so every switch finds its panel's data out of date.
    """
    session = new_session()
    app = Host(session)
    out: dict[str, list[tuple[float, float]]] = {}
    # A blinking text cursor repaints twice a second whatever the keys do: its frames would be counted
    # as the one a switch settled in.
    blink = Input.cursor_blink
    Input.cursor_blink = False  # type: ignore[assignment]
    try:
        return await _switches(app, session, rounds, clock, size, out)
    finally:
        Input.cursor_blink = blink  # type: ignore[assignment]


async def _switches(
    app: App, session: LocalSession, rounds: int, clock: bool, size: tuple[int, int], out: dict
) -> dict:
    frame_counts: dict[str, list[int]] = out.setdefault("frames", {})
    """Frames each press wrote (one when the whole switch lands in its first frame)."""
    async with app.run_test(size=size) as pilot:
        frames = Frames(app)
        await pilot.pause()
        await prewarmed(app.screen)
        # The console re-reads the visible panel every second: those frames are not the key's (their cost is
        # in the CPU-at-1x figure), and landing inside a switch's window they made "settled" a lottery.
        console = app.screen
        if getattr(console, "_timer", None) is not None:
            console._timer.pause()
        for round_ in range(rounds + 1):
            for key in SWITCH_KEYS:
                if clock:
                    session.pump(0.25)
                    await pilot.pause()
                start, cpu = time.perf_counter(), time.process_time()
                send_key(app, key)
                await settled(frames, start)
                written = frames.since(start, cpu)
                if written:
                    # Round 0 shows each pre-warmed panel for the first time (its first layout and render):
                    # once per game, so it is reported on its own line, not as a fifth of every sample.
                    where = out.setdefault("first visits", {}) if round_ == 0 else out
                    where.setdefault(key, []).append((written[0][0], written[-1][0], written[-1][1]))
                    counts = frame_counts if round_ else out.setdefault("first frames", {})
                    counts.setdefault(key, []).append(len(written))
                # Back to the tab strip (a panel may focus a text field, which would eat the next key).
                await pilot.press("escape")
                await pilot.pause()
    return out


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def report_switches(label: str, runs: dict) -> None:
    """Per panel median of the settled frame, then the heaviest panel's median and p90 against the budget
    (the heaviest by CPU: on a shared machine the wall figures measure the neighbours), then the first
    visits."""
    names = {key: pid for pid, key, _title in PANELS}
    first_visits: dict[str, list[tuple[float, float, float]]] = runs.pop("first visits", {})
    frame_counts: dict[str, list[int]] = runs.pop("frames", {})
    first_frames: dict[str, list[int]] = runs.pop("first frames", {})
    settled = {key: [s for _f, s, _c in triples] for key, triples in runs.items()}
    print(
        f"{label}: settled frame per panel (median ms): "
        + ", ".join(f"{names[k]} {statistics.median(v) * 1000:.0f}" for k, v in settled.items())
    )
    heaviest = max(runs, key=lambda k: statistics.median(c for _f, _s, c in runs[k]))
    firsts = [f for f, _s, _c in runs[heaviest]]
    cpus = [c for _f, _s, c in runs[heaviest]]
    report(f"  {names[heaviest]}: first frame (median)", statistics.median(firsts), 0.050, "ms")
    report(f"  {names[heaviest]}: settled (median)", statistics.median(settled[heaviest]), 0.050, "ms")
    report(f"  {names[heaviest]}: settled (90th percentile)", percentile(settled[heaviest], 0.9), 0.050, "ms")
    report(f"  {names[heaviest]}: CPU until settled (median)", statistics.median(cpus), 0.050, "ms")
    report(f"  {names[heaviest]}: CPU until settled (90th pct)", percentile(cpus, 0.9), 0.050, "ms")
    if frame_counts:
        print(
            "  frames written per press (most of any press): "
            + ", ".join(f"{names[k]} {max(v)}" for k, v in frame_counts.items())
        )
    every = [s for v in settled.values() for s in v]
    report("  every panel: settled (90th percentile)", percentile(every, 0.9), 0.050, "ms")
    every_cpu = [c for triples in runs.values() for _f, _s, c in triples]
    report("  every panel: CPU until settled (90th pct)", percentile(every_cpu, 0.9), 0.050, "ms")
    if first_visits:
        cpu_first = {k: triples[0][2] for k, triples in first_visits.items()}
        print(
            "  first visit of each pre-warmed panel, CPU until settled (ms): "
            + ", ".join(f"{names[k]} {v * 1000:.0f}" for k, v in cpu_first.items())
        )
        worst = max(cpu_first, key=cpu_first.__getitem__)
        report(
            f"  first visits: median of the {len(cpu_first)} panels", statistics.median(cpu_first.values()), 0.050, "ms"
        )
        report(f"  first visits: heaviest ({names[worst]})", cpu_first[worst], 0.050, "ms")
        settled_first = {k: triples[0][1] for k, triples in first_visits.items()}
        report("  first visits: settled, slowest (wall)", max(settled_first.values()), 0.050, "ms")
        print(
            "  first visits: frames written per press: "
            + ", ".join(f"{names[k]} {v[0]}" for k, v in first_frames.items())
        )


def million_lines() -> LogBuffer:
    """1,000,000 lines cycled from a real session, each copy with its own trace ids."""
    session = new_session(1800.0)
    records = session.logs()
    buffer = LogBuffer()
    n, cpu = 0, 0.0
    while n < 1_000_000:
        batch = []
        for rec in records:
            if n >= 1_000_000:
                break
            tid = f"{n:032x}" if rec.trace_id else ""
            batch.append(replace(rec, t=rec.t + n / 1000, trace_id=tid))
            n += 1
        start = time.process_time()
        buffer.extend(batch)
        cpu += time.process_time() - start
    print(f"(LogBuffer.extend: {cpu:.2f} s CPU for {n:,} lines, {cpu / n * 1e6:.2f} µs a line)")
    return buffer


def filtering(buffer: LogBuffer, repeat: int) -> list[tuple[str, float, float, float, float, int]]:
    """Per query: median CPU seconds of the filter as the log view runs it (``matches``: every line counted,
    the newest screenful read by rank), its wall seconds, the newest slice's CPU seconds (what the view
    shows first), the whole list of matching lines' CPU seconds (``filter``), and how many lines match.
    CPU time: a loaded machine stretches wall time."""
    some_trace = next(buffer.trace_id(i) for i in range(buffer.base + 500_000, buffer.end) if buffer.trace_id(i))
    queries = [
        ("text 'oomkilled'", LogQuery(text="oomkilled")),
        ("text 'context canceled'", LogQuery(text="context canceled")),
        ("text ' 200 ' (most lines)", LogQuery(text=" 200 ")),
        ("text 'info' (most lines, once a line)", LogQuery(text="info")),
        ("text 'e' (every line)", LogQuery(text="e")),
        ("service checkout, level ERROR", LogQuery(service="checkout", level="ERROR")),
        ("trace id", LogQuery(trace_id=some_trace)),
    ]
    out = []
    for name, query in queries:
        times, walls, firsts, lists = [], [], [], []
        count = 0
        for _ in range(repeat):
            wall, start = time.perf_counter(), time.process_time()
            matches = buffer.matches(query)
            count = len(matches)
            for rank in range(max(0, count - 48), count):  # the newest screenful, as the view follows
                matches[rank]
            times.append(time.process_time() - start)
            walls.append(time.perf_counter() - wall)
            # What the view shows first: the newest slice's matches (the scan then goes on).
            start = time.process_time()
            next(buffer.filter_newest_first(query))
            firsts.append(time.process_time() - start)
            start = time.process_time()
            assert len(buffer.filter(query)) == count
            lists.append(time.process_time() - start)
        out.append(
            (
                name,
                statistics.median(times),
                statistics.median(walls),
                statistics.median(firsts),
                statistics.median(lists),
                count,
            )
        )
    return out


def report(name: str, value: float, budget: float, unit: str, scale: float = 1000.0) -> None:
    ratio = value / budget
    verdict = "ok" if ratio <= 1 else "OVER"
    print(f"{name:<44} {value * scale:9.1f} {unit:<3} budget {budget * scale:7.1f} {unit:<3} {ratio:5.2f}x  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-seconds", type=float, default=30.0, help="simulated seconds at 1x per CPU run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (switches: visits after the first)")
    parser.add_argument("--sizes", default="160x48,80x24", help="terminal sizes for the switch figures")
    parser.add_argument("--only", default="frame,cpu,switch,filter", help="comma-separated parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    sizes = [tuple(int(n) for n in size.split("x")) for size in args.sizes.split(",")]
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    if "frame" in parts:
        frames = [asyncio.run(first_frame()) for _ in range(args.repeat)]
        report("first console frame (median)", statistics.median(frames), 0.5, "ms")
    if "cpu" in parts:
        for panel in ("dashboards", "logs"):
            share, warm_cpu, warm_wall = asyncio.run(cpu_at_1x(panel, args.cpu_seconds))
            report(f"CPU at 1x, {panel} visible ({args.cpu_seconds:g} s)", share, 0.05, "%", 100.0)
            print(f"  (before it, once per game: launch and pre-warm {warm_cpu:.2f} s CPU in {warm_wall:.1f} s)")
    if "switch" in parts:
        rounds = args.repeat
        for width, height in sizes:
            for clock, how in ((False, "clock paused"), (True, "clock at 1x")):
                runs = asyncio.run(key_to_repaint(rounds, clock, (width, height)))
                report_switches(f"key press -> repaint, {width}x{height}, {how}", runs)
    if "filter" not in parts:
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        return
    start = time.perf_counter()
    buffer = million_lines()
    print(f"(filled {len(buffer):,} lines in {time.perf_counter() - start:.1f} s)")
    for name, seconds, wall, first, listed, count in filtering(buffer, args.repeat):
        report(f"filter 1M lines: {name} ({count:,}), CPU", seconds, 0.200, "ms")
        print(f"  (wall {wall * 1000:.1f} ms)")
        report("  newest matches on screen, CPU", first, 0.200, "ms")
        print(f"  (every match listed, LogBuffer.filter: {listed * 1000:.1f} ms CPU)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
