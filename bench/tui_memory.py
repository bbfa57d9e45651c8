"""Peak memory of the trainee's process over an 8-hour session, against DESIGN.md's 100 MB budget.

    python bench/tui_memory.py [--scenario ID ...] [--hours 8]

Each scenario plays 8 simulated hours with seed 1 in a fresh process, twice:

- console: the incident console (Textual's headless driver at 160x48) over the session, which moves on
  60 simulated seconds at a time, the console re-reading the session after each step as its clock does
  (``refresh_panels``: the log panel ingests every new line, the visible panel re-reads), and the
  trainee switching panel every 10 simulated minutes, through every panel in turn; and the heap settled
  once a simulated hour (``--settle-every``), as the console's own settler (tui.heap) does at 60x, the
  fastest clock: at most once a wall minute, once no key came for 2 s. At 1x it settles once a simulated
  minute; the bench compresses 8 hours into a minute, where that settler would not run at all;
- headless: the same session and steps in a process that never imports Textual, reading the log tail and
  the trace list each minute as the console does, so the console's own share is the difference.

Prints the peak RSS (VmHWM) at 1, 2, 4 and 8 simulated hours beside the budget and the ratio, and the
growth per simulated hour from the first hour to the last.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

BUDGET_MB = 100.0
STEP_S = 60.0
SWITCH_EVERY = 10
"""Steps (simulated minutes) between panel switches."""
SETTLE_EVERY = 60
"""Steps (simulated minutes) between heap settles: the console's at 60x (tui.heap.SETTLE_EVERY_S of wall time)."""
MARKS_H = (1, 2, 4, 8)
HEAVIEST = ("blind-scaleout-provider-packet-loss", "discovery-contention-metastable", "checkout-oom-leak")
"""The scenarios that write the most (bench/engine.py's memory section: the heaviest 8 h sessions)."""


def peak_rss_mb() -> float:
    """This process's own high-water mark of resident memory (VmHWM), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status")


def _session(ref: str, hours: float):
    from scenarios.catalog import load_by_ref
    from tui.session import LocalSession

    scenario, path = load_by_ref(ref)
    scenario = scenario.model_copy(update={"duration": hours * 3600.0 + STEP_S})
    session = LocalSession.start_scenario(scenario, path, 1, journal=False)
    session.set_speed(0.0)
    return session


def _mark(step: int, log_lines: int) -> None:
    if (step * STEP_S) % 3600 == 0:
        print(f"mark {step * STEP_S / 3600:g} {peak_rss_mb():.1f} {log_lines}", flush=True)


def headless_child(ref: str, hours: float) -> None:
    """The session alone, read along as the console reads it."""
    session = _session(ref, hours)
    print(f"start {peak_rss_mb():.1f}", flush=True)
    index = 0
    for step in range(1, int(hours * 3600 / STEP_S) + 1):
        session.sim.run_until(step * STEP_S)
        _, index = session.log_tail(index)
        session.traces(limit=50)
        _mark(step, index)


async def console_child(ref: str, hours: float, settle_every: int = SETTLE_EVERY) -> None:
    """The incident console over the session, read along as a trainee would (module docstring)."""
    from textual.app import App

    from tui import heap
    from tui.registry import PANELS
    from tui.screens.console import ConsoleScreen

    session = _session(ref, hours)
    print(f"start {peak_rss_mb():.1f}", flush=True)

    class Host(App):
        def on_mount(self) -> None:
            self.animation_level = "none"
            self.push_screen(ConsoleScreen(session))

    app = Host()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        console = app.screen
        for _ in range(600):
            if console.prewarmed:
                break
            await asyncio.sleep(0.05)
        print(f"built {peak_rss_mb():.1f}", flush=True)
        for step in range(1, int(hours * 3600 / STEP_S) + 1):
            session.sim.run_until(step * STEP_S)
            console.refresh_panels()
            if step % SWITCH_EVERY == 0:
                await console.action_show_panel(PANELS[(step // SWITCH_EVERY) % len(PANELS)][0])
                await pilot.pause()
            if settle_every and step % settle_every == 0:
                heap.settle()  # (what the console's settler runs; its wall clock does not tick here)
            _mark(step, len(console.panel("logs").view.buffer) if console.has_panel("logs") else 0)


def run_child(mode: str, ref: str, hours: float, settle_every: int = SETTLE_EVERY) -> dict:
    """Run one mode in a fresh process; its marks {hour: (peak MB, log lines)} and the other figures."""
    command = [sys.executable, __file__, "--child", mode, "--scenario", ref, "--hours", str(hours)]
    command += ["--settle-every", str(settle_every)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{mode} run of {ref} failed:\n{done.stderr[-3000:]}")
    out: dict = {"marks": {}, "wall": time.perf_counter() - start}
    for line in done.stdout.splitlines():
        word, *rest = line.split()
        if word == "mark":
            out["marks"][float(rest[0])] = (float(rest[1]), int(rest[2]))
        elif word in ("start", "built"):
            out[word] = float(rest[0])
    return out


def report(ref: str, hours: float, settle_every: int) -> None:
    console, headless = run_child("console", ref, hours, settle_every), run_child("headless", ref, hours)
    print(f"\n{ref}  (session loaded {console['start']:.1f} MB, console built {console.get('built', 0):.1f} MB)")
    for mark in (m for m in MARKS_H if m <= hours):
        peak, lines = console["marks"][float(mark)]
        bare, _ = headless["marks"][float(mark)]
        print(
            f"  {mark:>2} h  console {peak:6.1f} MB {peak / BUDGET_MB:5.2f}x   headless {bare:6.1f} MB "
            f"{bare / BUDGET_MB:5.2f}x   console's share {peak - bare:5.1f} MB   ({lines:,} log lines)"
        )
    last = float(max(m for m in MARKS_H if m <= hours))
    if last > 1:
        growth = (console["marks"][last][0] - console["marks"][1.0][0]) / (last - 1)
        bare_growth = (headless["marks"][last][0] - headless["marks"][1.0][0]) / (last - 1)
        print(f"  growth per simulated hour after the first: console {growth:.1f} MB, headless {bare_growth:.1f} MB")
    verdict = "ok" if console["marks"][last][0] <= BUDGET_MB else "OVER"
    print(
        f"  peak at {last:g} h: {console['marks'][last][0]:.1f} MB, budget {BUDGET_MB:.0f} MB, "
        f"{console['marks'][last][0] / BUDGET_MB:.2f}x  {verdict}   (runs took {console['wall']:.0f} s and "
        f"{headless['wall']:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", help="scenario id (repeatable; default: the heaviest)")
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours per session")
    parser.add_argument(
        "--settle-every",
        type=int,
        default=SETTLE_EVERY,
        help="simulated minutes between the console's heap settles (default: 60, the console at 60x; 0: never)",
    )
    parser.add_argument("--child", choices=("console", "headless"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "console":
            asyncio.run(console_child(args.scenario[0], args.hours, args.settle_every))
        else:
            headless_child(args.scenario[0], args.hours)
        return
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"console heap settled every {args.settle_every} simulated minutes" if args.settle_every else "never settled")
    for ref in args.scenario or HEAVIEST:
        report(ref, args.hours, args.settle_every)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
