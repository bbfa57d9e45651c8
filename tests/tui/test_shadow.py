"""Shadow on-call in the TUI: the expert's run played back, predictions, the debrief.

Most steps go through the app's API (``advance_clock``, screen actions); a few key presses check the
wiring (digits answer while a question is open, instead of setting the clock speed).
"""

from __future__ import annotations

from textual.widgets import Static

from scenarios.catalog import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from scenarios.language.solution import LOOK_PANELS
from simulator.reports.history import SHADOW, open_history
from simulator.session.predictions import move_key
from tui.registry import PANELS
from tui.screens.shadow import MentorQuestion, ShadowConsole
from tui.screens.shadow_debrief import ShadowDebriefScreen
from tui.shadow_app import ShadowApp

SIZE = (120, 36)


def test_look_panels_are_console_panels():
    assert set(LOOK_PANELS) <= {pid for pid, _key, _title in PANELS}


def shadow_app() -> ShadowApp:
    return ShadowApp.open("checkout-oom-leak", 1, 10.0, clock=False)


async def until_question(app: ShadowApp, pilot) -> None:
    """Pump the clock (10x) until the playback asks, then let the strip draw."""
    for _ in range(2000):
        if app.session.state != "watching":
            break
        app.advance_clock(1.0)
    await pilot.pause()
    app.screen.check_playback()
    await pilot.pause()


def strip_text(app: ShadowApp) -> str:
    return str(app.screen.query_one("#shadow-text", Static).render())


def pick(app: ShadowApp, trap: bool = False) -> int:
    """The number of the expert's move among the choices (or of a trap)."""
    playback = app.session.playback
    for number, choice in enumerate(playback.choices, 1):
        if (trap and choice.trap) or (not trap and choice.key == move_key(playback.move.body)):
            return number
    raise AssertionError("no such choice")


async def test_a_prediction_that_matches_and_one_that_picks_the_trap():
    app = shadow_app()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ShadowConsole)
        verdicts = []
        while app.session.state != "ended":
            await until_question(app, pilot)
            if app.session.state == "ended":
                break
            move = app.session.playback.move
            assert move.why and move.why not in strip_text(app)  # the reason only once the move is played
            trap = move.body["action"] == "rollback_deploy"
            app.screen.action_answer(pick(app, trap))
            await pilot.pause()
            assert move.why in strip_text(app).replace("\n", " ")
            verdicts.append(app.session.playback.predictions[move.index].verdict)
            if trap:
                assert "one of this incident's traps" in strip_text(app)
            app.screen.action_proceed()
        assert verdicts == ["match"] * 4 + ["trap"] + ["match"] * 2
        app.advance_clock(0.1)
        await pilot.pause()
        assert isinstance(app.screen, ShadowDebriefScreen)
        wrong = str(app.screen.query_one("#shadow-wrong", Static).render())
        assert "restart checkout (all at once)" in wrong and "leak brings the kills back" in wrong
    with open_history() as h:
        assert h.attempts() == []  # not a scored attempt
        (shadow,) = h.attempts(SHADOW)
        assert '"matched": 6' in shadow.detail


async def test_digit_keys_answer_while_asked_and_set_the_speed_otherwise():
    app = shadow_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")  # watching: speed 1x
        assert app.session.speed == 1.0
        app.session.set_speed(10.0)
        await until_question(app, pilot)
        number = pick(app)
        await pilot.press(str(number))
        assert app.session.state == "revealed" and app.session.speed == 10.0
        assert app.session.playback.predictions[0].verdict == "match"
        await pilot.press("n")
        assert app.session.state == "watching"


async def test_free_input_through_the_action_form_is_a_prediction():
    app = shadow_app()
    async with app.run_test(size=SIZE) as pilot:
        restart = ACTION_ADAPTER.validate_python({"action": "restart", "service": "checkout", "mode": "all"})
        refused = app.session.apply(restart)
        assert not refused.accepted and "shadowing" in refused.message
        await until_question(app, pilot)
        result = app.session.apply(restart)
        assert result.accepted and "(trap)" in result.message
        assert app.session.playback.predictions[0].free
        assert app.session.sim.incident.timeline[-1].kind == "ack"  # the expert's move, not the trainee's


async def test_rewind_and_a_question_for_the_mentor():
    app = shadow_app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(2):
            await until_question(app, pilot)
            app.screen.action_answer(0)
            app.screen.action_proceed()
        await until_question(app, pilot)
        assert app.session.now == 360.0
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, ShadowConsole) and app.session.now == 300.0
        assert app.session.state == "asking" and app.session.playback.move.body["action"] == "set_severity"
        app.screen.action_ask_mentor()
        await pilot.pause()
        assert isinstance(app.screen, MentorQuestion)
        await pilot.press(*"why SEV2?", "enter")
        (question,) = app.session.summary().questions
        assert (question.t, question.text, question.move_index) == (300.0, "why SEV2?", 1)


def test_bad_input_exits_2_with_a_message(tmp_path, capsys):
    from tui.cli import main

    assert main(["shadow", "no-such-scenario"]) == 2
    assert "unknown scenario 'no-such-scenario'" in capsys.readouterr().err
    assert main(["shadow", str(tmp_path / "gone.jsonl")]) == 2
    assert "no such journal file" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "header", "format": 1, "scenario": "checkout-oom-leak", "seed": "x"}\n')
    assert main(["shadow", str(bad)]) == 2
    assert f"{bad}:1:" in capsys.readouterr().err


async def test_a_recorded_journal_plays_with_its_notes_as_reasons(tmp_path):
    from simulator.session.runner import run_session

    scenario = load_by_ref("checkout-oom-leak")[0]
    actions = [
        ACTION_ADAPTER.validate_python({"at": 280, "action": "note", "text": "page for checkout; acking"}),
        ACTION_ADAPTER.validate_python({"at": 300, "action": "ack"}),
    ]
    journal = tmp_path / "senior.jsonl"
    run_session(scenario, 5, actions, until=400, journal_path=journal)
    app = ShadowApp.open(str(journal), 1, 10.0, clock=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.session.sim.seed == 5
        await until_question(app, pilot)
        app.screen.action_answer(pick(app))
        await pilot.pause()
        assert "page for checkout; acking" in strip_text(app)
        app.screen.action_proceed()
        for _ in range(50):
            app.advance_clock(1.0)
        await pilot.pause()
        assert isinstance(app.screen, ShadowDebriefScreen)  # the recorded session ended at 400 s
