"""No spoilers and no internals: every panel of the console, for every shipped scenario, read as a trainee
reads it (the characters on screen), plus the key list and the postmortems.

A placeholder or example naming any scenario's root-cause service gives an answer away; `None`, a raw
dict, markup shown literally, an internal id or a unit without its number are internals leaking.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from textual.widgets import Input, Select, TextArea
from visible_text import leaks, screen_text, spoilers

from scenarios.catalog import library_dir, load_by_ref, scenario_files
from tests.tui.console_host import ConsoleHost as Host
from tui.registry import PANELS
from tui.session import LocalSession

SCENARIOS = sorted(p.stem for p in scenario_files(library_dir()))


@cache
def answers() -> frozenset[str]:
    """Every shipped scenario's root-cause service: loaded when a test first asks, not when the file is
    collected (each xdist worker collects every file; ~0.6 CPU-s)."""
    return frozenset(load_by_ref(ref)[0].root_cause.service for ref in SCENARIOS)


GOLDEN = Path(__file__).parents[1] / "golden"


def placeholders(screen) -> list[str]:
    """Every hint text shown in an empty field or choice of the screen."""
    found = [w.placeholder for w in screen.query(Input)]
    found += [str(w.placeholder) for w in screen.query(TextArea)]
    found += [w.prompt for w in screen.query(Select)]  # the prompt shown while nothing is chosen
    return [p for p in found if p]


def test_the_checker_sees_each_kind_of_leak():
    assert leaks("mem None") and leaks("{'a': 1}") and leaks("[b]bold[/]") and leaks("[$warning]x")
    assert leaks("OOMKilled at MB") and leaks("limit MB)") and not leaks("[u] CPU  [enter] read")
    assert not leaks("New limit in MB.") and leaks("memory -> MB") and leaks("int")
    assert leaks("Keys: ConsoleScreen") and leaks("console.panel.logs")
    assert not leaks("checkout-1 OOMKilled at 448 MB (limit 448 MB)  p99 120ms  Acknowledge pages")
    assert spoilers("e.g. checkout v2.5.0 leaks", {"checkout"}) == ["checkout"]


@pytest.mark.parametrize("ref", SCENARIOS)
async def test_every_panel_of_every_scenario_reads_clean(ref):
    session = LocalSession.start(ref, seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(900)
    app = Host(session)
    problems: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        for pid, _key, _title in PANELS:
            await screen.action_show_panel(pid)
            await pilot.pause()
            problems += [f"{pid}: {p}" for p in leaks(screen_text(app))]
        problems += [
            f"placeholder {p!r} names {spoilers(p, answers())}" for p in placeholders(screen) if spoilers(p, answers())
        ]
        app.action_help = None  # the host has no help binding: open the console's key list directly
        from tui.screens.help import HelpScreen

        await app.push_screen(HelpScreen(screen))
        await pilot.pause()
        problems += [f"key list: {p}" for p in leaks(screen_text(app))]
    assert not problems, "\n".join(problems)


async def test_every_action_form_reads_clean():
    """Each action's form (docstring, labels, help, placeholders) as the trainee sees it: in checkout-oom-leak,
    and the data, traffic-class and procedure actions in scenarios that offer them."""
    from tui.widgets.actions import ORDER

    problems: list[str] = []
    seen: set[str] = set()
    for ref in ("checkout-oom-leak", "db-failover-lost-writes", "bgp-policy-withdraws-regions"):
        session = LocalSession.start(ref, seed=1, journal=False)
        session.set_speed(0.0)
        session.sim.run_until(600)
        app = Host(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            panel = await screen.ensure_panel("actions")
            await screen.action_show_panel("actions")
            for name in panel.offered:
                if name in seen:
                    continue
                seen.add(name)
                panel.select_action(name)
                await panel._building
                await pilot.pause()
                problems += [f"{name}: {p}" for p in leaks(screen_text(app))]
                problems += [f"{name}: placeholder {p}" for p in placeholders(screen) for p in leaks(p)]
    assert seen == set(ORDER)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.md")), ids=lambda p: p.stem)
def test_postmortems_read_clean(golden):
    """The golden postmortems are what the engine writes for each scenario's reference solution."""
    assert not leaks(golden.read_text()), leaks(golden.read_text())
