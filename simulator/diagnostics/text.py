"""Profiles and dumps as terminal text: a flame graph, top table, heap table, thread dump, crash report.

Plain strings, no Rich or Textual: the ``inspect`` command prints them and the console's profile panel
shows them (colouring the flame graph's spans itself from :func:`flame_rows`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scenarios.durations import format_clock
from simulator.diagnostics.profiles import CpuProfile, HeapProfile
from simulator.diagnostics.threads import CrashReport, ThreadDump

FLAME_DEPTH = 16
"""Deepest frame a flame graph draws (deeper frames are folded into their parent)."""


def short_name(function: str) -> str:
    """The readable tail of a function name: ``DispatcherServlet.doDispatch``, ``http.(*conn).serve``."""
    if "::" in function:
        return "::".join(function.split("::")[-2:])
    tail = function.rsplit("/", 1)[-1]
    parts = re.split(r"\.(?![^(]*\))", tail)
    return ".".join(parts[-2:]) if len(parts) > 2 else tail


@dataclass
class _Node:
    name: str
    count: int = 0
    children: dict[str, _Node] = field(default_factory=dict)


@dataclass(frozen=True)
class FlameSpan:
    """One frame of the flame graph: where it starts, how wide it is, what it is."""

    x: int
    width: int
    depth: int
    function: str
    share: float
    """Its total share of the samples."""

    @property
    def label(self) -> str:
        """Its text, fitted to its width."""
        text = short_name(self.function)
        if self.width <= 1:
            return " "[: self.width]
        if len(text) > self.width - 1:
            text = text[: max(self.width - 2, 0)] + "…"
        return text.ljust(self.width - 1) + "│"


def flame_rows(profile: CpuProfile, width: int = 100) -> list[list[FlameSpan]]:
    """Spans by depth (index 0 = root frames); widths are proportional to samples, siblings sorted by name."""
    root = _Node("all")
    for stack, n in profile.stacks:
        node = root
        root.count += n
        for name in stack[:FLAME_DEPTH]:
            node = node.children.setdefault(name, _Node(name))
            node.count += n
    total = max(root.count, 1)
    rows: list[list[FlameSpan]] = []

    def place(node: _Node, x: float, span: float, depth: int) -> None:
        for name in sorted(node.children):
            child = node.children[name]
            w = span * child.count / max(node.count, 1)
            x0, x1 = int(round(x)), int(round(x + w))
            if x1 > x0:
                while len(rows) <= depth:
                    rows.append([])
                rows[depth].append(FlameSpan(x0, x1 - x0, depth, name, child.count / total))
                place(child, x, w, depth + 1)
            x += w

    place(root, 0.0, float(width), 0)
    return rows


def flame_graph(profile: CpuProfile, width: int = 100) -> list[str]:
    """The flame graph as lines, root at the bottom."""
    lines = []
    for row in flame_rows(profile, width):
        chars = [" "] * width
        for span in row:
            chars[span.x : span.x + span.width] = list(span.label[: span.width].ljust(span.width))
        lines.append("".join(chars).rstrip())
    return list(reversed(lines))


def _header(p: Any) -> str:
    return f"{p.instance}  ({p.service} {p.version}, {p.language})"


def cpu_text(p: CpuProfile, width: int = 100, top: int = 15) -> list[str]:
    """Header, top functions, flame graph."""
    out = [
        f"CPU profile of {_header(p)}",
        f"window {format_clock(p.start)}-{format_clock(p.end)} ({p.end - p.start:.0f}s), CPU {p.cpu:.0%}, "
        f"{p.samples} samples",
        "",
        f"{'self':>7} {'total':>7}  function",
    ]
    out += [f"{r.self_share:7.1%} {r.total_share:7.1%}  {r.function}" for r in p.top(top)]
    out += ["", "flame graph (root at the bottom, width = share of samples):", *flame_graph(p, width)]
    return out


def heap_text(p: HeapProfile) -> list[str]:
    """Header and allocation sites by retained size."""
    out = [
        f"Heap profile of {_header(p)}",
        f"in use {p.used_mb:.0f} MB of {p.limit_mb:.0f} MB limit ({p.used_mb / p.limit_mb:.0%}); "
        f"GC {p.gc_cpu_share:.0%} of CPU; growth over {format_clock(p.start)}-{format_clock(p.end)}",
        "",
        f"{'retained':>10} {'growth/min':>11}  allocation site",
    ]
    for s in p.sites:
        out.append(f"{s.retained_mb:8.1f}MB {s.growth_mb_per_min:+9.2f}MB  {s.site}")
        if s.stack:
            out += [f"{'':22}  at {f}" for f in reversed(s.stack[-4:])]
    return out


def threads_text(d: ThreadDump, frames: int = 8) -> list[str]:
    """Groups of threads by state and stack, leaf frame first as jstack prints them."""
    pool = f"{d.workers} workers" if d.workers else "one goroutine per request"
    states: dict[str, int] = {}
    for g in d.groups:
        states[g.state] = states.get(g.state, 0) + g.count
    summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    out = [
        f"Thread dump of {_header(d)} at {format_clock(d.at)}",
        f"{d.total} threads ({summary}); {pool}; {d.queued} requests queued for a worker",
    ]
    for g in d.groups:
        native = f" [{g.native_state}]" if g.native_state != g.state else ""
        note = f" - {g.note}" if g.note else ""
        out += ["", f"{g.count} x {g.state}{native}{note}"]
        shown = list(reversed(g.stack))
        out += [f"    at {f}" for f in shown[:frames]]
        if len(shown) > frames:
            out.append(f"    ... {len(shown) - frames} more")
    return out


def crash_text(c: CrashReport) -> list[str]:
    """Exit, last log lines, top of the stack."""
    when = format_clock(c.at) if c.at is not None else "unknown (older than the log)"
    signal = f", signal {c.signal}" if c.signal else ""
    out = [
        f"Crash report of {_header(c)}",
        f"last exit: {c.reason}, exit code {c.exit_code}{signal} at {when}; restarts {c.restarts}; now {c.state}",
        "",
        "last log lines before the exit:",
        *(f"  {line}" for line in c.last_logs),
        "",
        "top of the stack when it died:",
        *(f"    at {f}" for f in list(reversed(c.stack))[:8]),
    ]
    return out


def render(result: Any, width: int = 100) -> list[str]:
    """Any profile or dump as lines."""
    if isinstance(result, CpuProfile):
        return cpu_text(result, width)
    if isinstance(result, HeapProfile):
        return heap_text(result)
    if isinstance(result, ThreadDump):
        return threads_text(result)
    if isinstance(result, CrashReport):
        return crash_text(result)
    raise TypeError(f"not a profile: {type(result).__name__}")
