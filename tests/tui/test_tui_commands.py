"""misfortune play / resume: bad input is a clear message and exit 2, never a traceback."""

from __future__ import annotations

import json
import threading

from scenarios.catalog import library_dir
from scenarios.loader import ScenarioError, SourceProblem
from tests.tui.helpers import StubConsole
from tests.tui.visible_text import screen_text
from tui.app import MisfortuneApp
from tui.cli import main
from tui.commands import tui_commands
from tui.session import LocalSession


def test_play_unknown_scenario_exits_2(capsys):
    assert main(["play", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert "no-such-scenario" in err and "Traceback" not in err


def test_play_rejects_a_bad_speed(capsys):
    try:
        main(["play", "checkout-oom-leak", "--speed", "3"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "not a clock speed" in capsys.readouterr().err


def test_resume_without_journals_exits_2(capsys):
    assert main(["resume"]) == 2
    assert "no journal" in capsys.readouterr().err


def test_resume_bad_journal_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "action"}\n')
    assert main(["resume", str(bad)]) == 2
    assert f"{bad}:1" in capsys.readouterr().err
    assert main(["resume", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such journal" in capsys.readouterr().err


def test_resume_ended_session_exits_2(tmp_path, capsys):
    path = tmp_path / "ended.jsonl"
    header = {"type": "header", "format": 1, "scenario": "checkout-oom-leak", "seed": 1}
    path.write_text(json.dumps(header) + "\n" + json.dumps({"type": "end", "t": 5.0, "reason": "resolved"}) + "\n")
    assert main(["resume", str(path)]) == 2
    assert "already ended" in capsys.readouterr().err


def built_app(monkeypatch, argv):
    built = {}

    def fake_run(build):
        built["app"] = build()
        return 0

    monkeypatch.setattr(tui_commands, "_run", fake_run)
    assert main(argv) == 0
    return built["app"]


def test_play_of_a_shipped_scenario_opens_the_briefing_and_starts_the_session_after(monkeypatch):
    app = built_app(monkeypatch, ["play", "checkout-oom-leak", "--seed", "9", "--speed", "60"])
    assert (app.opening, app.speed, app.session, app.pending) == ("briefing", 60.0, None, ("checkout-oom-leak", 9))


def test_play_of_a_file_starts_the_session_before_the_screen(monkeypatch, tmp_path):
    """A file may be invalid: its problems must print before the screen is taken (exit 2, plain text)."""
    path = tmp_path / "mine.yaml"
    path.write_text((library_dir() / "checkout-oom-leak.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    app = built_app(monkeypatch, ["play", str(path), "--seed", "9"])
    assert (app.opening, app.pending, app.session.briefing().seed) == ("briefing", None, 9)


def test_shipped_id_reads_only_the_library_header(monkeypatch, tmp_path):
    monkeypatch.setenv("MISFORTUNE_HOME", str(tmp_path))
    assert tui_commands.shipped_id("checkout-oom-leak")
    assert not tui_commands.shipped_id("no-such-scenario")
    assert not tui_commands.shipped_id("../library/checkout-oom-leak")
    assert not tui_commands.shipped_id(str(library_dir() / "checkout-oom-leak.yaml")), "a path is a file"
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.yaml").write_text("id: checkout-oom-leak\n", encoding="utf-8")
    assert not tui_commands.shipped_id("checkout-oom-leak"), "a user scenario may claim the id"


class SlowStart:
    """LocalSession.start held until the test lets it go (or failing with a scenario error)."""

    def __init__(self, fail: bool = False) -> None:
        self.release = threading.Event()
        self.fail = fail
        self.started: list = []
        self.quits: list = []
        self.real_start = LocalSession.start  # taken before the test puts this object in its place

    def __call__(self, ref, seed):
        self.release.wait(20)
        if self.fail:
            raise ScenarioError([SourceProblem("broken.yaml", 3, 1, "", "not a scenario")])
        session = self.real_start(ref, seed, journal=False)
        quit_session = session.quit
        session.quit = lambda: (self.quits.append(session), quit_session())[1]
        self.started.append(session)
        return session


async def until(pilot, condition, limit: float = 20.0) -> bool:
    for _ in range(int(limit / 0.02)):
        if condition():
            return True
        await pilot.pause(0.02)
    return condition()


async def test_the_briefing_paints_its_rules_first_and_enter_waits_for_the_session(monkeypatch):
    from tui.screens.briefing import BriefingScreen

    slow = SlowStart()
    monkeypatch.setattr(LocalSession, "start", slow)
    app = MisfortuneApp.play_later("checkout-oom-leak", 4, clock=False, console=StubConsole)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        briefing = app.screen
        assert isinstance(briefing, BriefingScreen) and briefing.session is None
        text = screen_text(app)
        assert "Rules of the exercise" in text and "loading the scenario" in text
        await pilot.press("enter")  # before the session exists: remembered
        assert app.screen is briefing
        slow.release.set()
        assert await until(pilot, lambda: isinstance(app.screen, StubConsole)), "Enter began once it loaded"
        assert app.session is slow.started[0] and app.pending is None


async def test_a_session_that_fails_to_start_exits_2_with_the_reason(monkeypatch):
    slow = SlowStart(fail=True)
    slow.release.set()
    monkeypatch.setattr(LocalSession, "start", slow)
    app = MisfortuneApp.play_later("checkout-oom-leak", 4, clock=False, console=StubConsole)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await until(pilot, lambda: app.start_error is not None)
    assert app.return_code == 2 and "broken.yaml:3:1" in app.start_error


async def test_going_back_while_it_loads_closes_the_late_session(monkeypatch):
    slow = SlowStart()
    monkeypatch.setattr(LocalSession, "start", slow)
    app = MisfortuneApp.play_later("checkout-oom-leak", 4, clock=False, console=StubConsole)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        slow.release.set()
        assert await until(pilot, lambda: bool(slow.quits)), "nobody plays it: it is closed"
        assert app.session is None and slow.quits == slow.started
