"""Pilot tests of the main flows: wheel -> briefing -> console -> debrief, quitting, resuming, help.

The clock is driven by the test (``app.advance_clock`` / the simulation's ``run_until``), never by sleeping.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from textual.widgets import DataTable, Input, Label

from scenarios.catalog import list_scenarios
from tests.tui.helpers import SCENARIO, StubConsole, play_reference_solution, until
from tui.app import MisfortuneApp
from tui.screens.briefing import BriefingScreen
from tui.screens.console import ConsoleScreen
from tui.screens.debrief import DebriefScreen
from tui.screens.dialogs import ConfirmDialog
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.session import LocalSession, journals_dir

SIZE = (120, 40)


def records(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


async def test_home_lists_the_shipped_scenarios(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#scenarios", DataTable)
        titles = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        full = [e.title for e in list_scenarios()]
        assert len(titles) == len(full) and "Checkout pods keep dying" in titles
        # at 120 columns a long title ends in an ellipsis, so the difficulty and the record show: the table
        # does not scroll sideways, and once it cut them both off
        assert all(t == f or (t.endswith("…") and f.startswith(t[:-1])) for t, f in zip(titles, full, strict=True))
        assert titles != full
        assert all(str(table.get_row_at(i)[2]) == "new" for i in range(table.row_count))
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert [str(c.label) for c in table.ordered_columns] == ["Scenario", "Difficulty", "Your record"]
        await pilot.resize_terminal(200, 40)  # room for every title whole, and for the tags
        await until(pilot, lambda: len(table.ordered_columns) == 4, "the tags column")
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == full
        assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_spin_picks_a_scenario_and_shows_its_seed(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        result = home.action_spin(animate=False)
        await pilot.pause()
        assert home.query_one("#scenarios", DataTable).cursor_row == result.index
        assert home.query_one("#seed", Input).value == str(result.seed)
        assert home.picked.id == list_scenarios()[result.index].id


async def test_spin_animation_is_skippable_by_key(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        await pilot.press("s")
        assert home.spinning
        await pilot.press("escape")
        assert not home.spinning
        assert home.query_one("#scenarios", DataTable).cursor_row == home.last_spin.index


async def test_typed_seed_is_used(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        home.query_one("#seed", Input).value = "1234"
        await pilot.pause()
        assert home.seed == 1234
        home.query_one("#scenarios", DataTable).move_cursor(row=_row_of(SCENARIO))
        home.action_start()
        await pilot.pause()
        assert app.session.briefing().seed == 1234


def _row_of(scenario_id: str) -> int:
    return [e.id for e in list_scenarios()].index(scenario_id)


async def test_wheel_to_debrief_with_the_real_console(make_app):
    """Enter -> briefing -> Enter -> console with the clock running -> solve -> debrief, grade A."""
    app = make_app(console=None)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#scenarios", DataTable).move_cursor(row=_row_of(SCENARIO))
        app.screen.seed = 1  # the reference solution earns an A with this seed
        await pilot.press("enter")
        assert isinstance(app.screen, BriefingScreen)
        assert (app.session.briefing().scenario_id, app.session.briefing().seed) == (SCENARIO, 1)
        app.advance_clock(30.0)  # the briefing holds the clock
        assert app.session.now == 0.0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        assert app.clock_running and app.session.speed == 1.0
        app.advance_clock(0.5)
        app.advance_clock(0.5)
        assert app.session.now == 1.0
        play_reference_solution(app.session)
        app.advance_clock(0.1)
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        report = app.screen.report
        assert (report.outcome, report.grade) == ("resolved", "A")
        assert "Resolved" in str(app.screen.query_one("#outcome", Label).render())
        kinds = [r["type"] for r in records(app.session.journal_path)]
        assert "end" in kinds


async def test_briefing_speed_keys_set_the_clock(make_app):
    session = LocalSession.start(SCENARIO, 3)
    app = make_app(session, "briefing")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "plus")
        await pilot.press("enter")
        assert isinstance(app.screen, StubConsole)
        assert session.speed == 5.0
        app.advance_clock(2.0)
        assert session.now == 10.0


async def test_briefing_escape_goes_home_and_is_not_an_attempt(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.action_start()
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.session is None
        assert app.screen.history == {}
        assert len(list(journals_dir().glob("*.jsonl"))) == 1


async def test_time_running_out_opens_the_debrief(make_app):
    session = LocalSession.start(SCENARIO, 2, journal=False)
    app = make_app(session, "console")
    async with app.run_test(size=SIZE) as pilot:
        session.sim.run_until(session.sim.scenario.duration)
        app.advance_clock(0.1)
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert app.screen.report.outcome in ("unresolved", "mitigated")


async def test_giving_up_asks_then_debriefs(make_app):
    session = LocalSession.start(SCENARIO, 2)
    app = make_app(session, "console")
    async with app.run_test(size=SIZE) as pilot:
        app.advance_clock(1.0)
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert records(session.journal_path)[-1] == {"type": "end", "t": 1.0, "reason": "gave_up"}
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.history[SCENARIO].best == "gave_up"


async def test_quitting_mid_incident_asks_and_keeps_the_journal(make_app):
    session = LocalSession.start(SCENARIO, 4)
    app = make_app(session, "console")
    async with app.run_test(size=SIZE) as pilot:
        app.advance_clock(1.0)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)
        app.advance_clock(5.0)  # the question holds the clock
        assert session.now == 1.0
        await pilot.press("n")
        assert isinstance(app.screen, StubConsole)
        assert app.clock_running
        await pilot.press("ctrl+q")
        await pilot.press("y")
        await pilot.pause()
    assert app.resume_hint == f"misfortune resume {session.journal_path}"
    assert all(r["type"] != "end" for r in records(session.journal_path))


async def test_quit_on_home_and_debrief_does_not_ask(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.resume_hint is None
    assert not app.is_running


async def test_resume_reopens_the_console_paused(make_app):
    session = LocalSession.start(SCENARIO, 5)
    session.sim.run_until(120.0)
    from scenarios.language.actions import ACTION_ADAPTER

    session.apply(ACTION_ADAPTER.validate_python({"action": "ack"}))
    session.sim.run_until(130.0)
    session.look("checkpoint")
    session.quit()
    app = MisfortuneApp.resume(session.journal_path, console=StubConsole, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StubConsole)
        assert app.session.now == 130.0
        assert app.session.speed == 0.0
        assert app.session.pages()[0].acked_at == 120.0
        app.advance_clock(1.0)  # paused: nothing moves
        assert app.session.now == 130.0


async def test_help_lists_the_bindings_of_the_screen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {row.description: row for row in app.screen.rows}
        assert rows["Spin the wheel"].keys == "s" and rows["Spin the wheel"].binding_id == "home.spin"
        assert rows["Quit"].group == "Leaving" and rows["Spin the wheel"].group == "Starting"
        assert "Keys" in rows
        assert all(row.binding_id for row in app.screen.rows), "only the product's keys, not the toolkit's"
        table = app.screen.query_one(DataTable)
        groups = {row.group for row in app.screen.rows}
        assert table.row_count == len(app.screen.rows) + len(groups), "a heading row per group"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_home_draws_from_headers_then_marks_files_that_fail_validation(make_app):
    """The wheel lists headers at once; the full check (each variant too) turns a bad file into an error row."""
    from scenarios.catalog import library_dir, user_scenarios_dir

    text = (library_dir() / f"{SCENARIO}.yaml").read_text(encoding="utf-8")
    user_scenarios_dir().mkdir(parents=True, exist_ok=True)
    bad = text.replace(f"id: {SCENARIO}", "id: my-broken-copy", 1).replace("difficulty: ", "difficulty: 9 #", 1)
    (user_scenarios_dir() / "mine.yaml").write_text(bad, encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        (entry,) = [e for e in home.entries if e.id == "my-broken-copy"]
        assert entry.error is None  # headers only so far
        # the check starts half a second after the first frame, in a thread
        await until(pilot, lambda: [e for e in home.entries if e.path.name == "mine.yaml"][0].error, "the check")
        (entry,) = [e for e in home.entries if e.path.name == "mine.yaml"]
        assert "difficulty" in entry.error
        table = home.query_one("#scenarios", DataTable)
        row = home.entries.index(entry)
        assert str(table.get_row_at(row)[2]) == "does not load"


async def test_a_title_in_wide_characters_fits_the_list_too(make_app):
    """Widths are cells: a user's title in a two-cell script is cut to the room it has, like any other."""
    from scenarios.catalog import library_dir, user_scenarios_dir

    text = (library_dir() / f"{SCENARIO}.yaml").read_text(encoding="utf-8")
    user_scenarios_dir().mkdir(parents=True, exist_ok=True)
    title = "本番の決済が止まり続ける" * 4
    wide = text.replace(f"id: {SCENARIO}", "id: wide-title", 1)
    wide = re.sub(r"(?m)^title: .*$", f"title: {title}", wide, count=1)
    (user_scenarios_dir() / "wide.yaml").write_text(wide, encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        table = home.query_one("#scenarios", DataTable)
        await until(pilot, lambda: any(e.id == "wide-title" for e in home.entries) and table.row_count, "the list")
        await pilot.pause()
        assert str(table.get_row("wide-title")[0]).endswith("…")
        assert table.virtual_size.width <= table.scrollable_content_region.width


def test_headers_match_the_full_listing_and_a_valid_duplicate_wins():
    """The fast listing agrees with full validation; when two files claim an id, the one that loads wins."""
    from scenarios.catalog import library_dir, load_by_ref, user_scenarios_dir

    fast = list_scenarios(validate=False)
    full = list_scenarios()
    assert [(e.id, e.title, e.difficulty, e.tags, e.path) for e in fast] == [
        (e.id, e.title, e.difficulty, e.tags, e.path) for e in full
    ]
    text = (library_dir() / f"{SCENARIO}.yaml").read_text(encoding="utf-8")
    user_scenarios_dir().mkdir(parents=True, exist_ok=True)
    mine = text.replace(f"id: {SCENARIO}", "id: twice", 1)
    (user_scenarios_dir() / "a.yaml").write_text(mine.replace("difficulty: ", "difficulty: 9 #", 1), encoding="utf-8")
    (user_scenarios_dir() / "b.yaml").write_text(mine, encoding="utf-8")
    scenario, path = load_by_ref("twice")
    assert (scenario.id, path.name) == ("twice", "b.yaml")


async def test_the_wheel_paints_before_the_catalog_is_read(make_app, monkeypatch):
    """The first frame of `misfortune` is the wheel's frame; the scenarios fill it right after."""
    import scenarios.catalog

    events: list[str] = []
    reader = scenarios.catalog.list_scenarios

    def list_scenarios(*args, **kwargs):
        events.append("catalog read")
        return reader(*args, **kwargs)

    monkeypatch.setattr(scenarios.catalog, "list_scenarios", list_scenarios)
    app = make_app()
    display = app._display

    def frame(screen, renderable) -> None:
        if renderable is not None and isinstance(screen, HomeScreen) and not events[-1:] == ["frame"]:
            events.append("frame")
        display(screen, renderable)

    app._display = frame
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert events[:2] == ["frame", "catalog read"], events
        table = app.screen.query_one("#scenarios", DataTable)
        assert table.row_count == len(reader())
        assert app.screen.query_one("#seed", Input).value == str(app.screen.seed)


async def test_misfortune_theme_paints_the_app_in_that_theme_and_the_next_app_in_its_own(make_app, monkeypatch):
    """MISFORTUNE_THEME names a Textual theme (light terminals). An app started without it after one started
    with it is dark again: the CSS each app parses depends on its theme's variables (the TUI tests share
    parsed CSS between apps, tests/tui/conftest.py, keyed on them)."""

    async def colours() -> tuple[str, list[str]]:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            return app.theme, [str(w.styles.background) for w in (app.screen, *app.screen.query("*"))]

    dark = await colours()
    monkeypatch.setenv("MISFORTUNE_THEME", "textual-light")
    light = await colours()
    monkeypatch.delenv("MISFORTUNE_THEME")
    assert light[0] == "textual-light" and light[1] != dark[1]
    assert await colours() == dark
