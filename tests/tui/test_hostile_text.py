"""Text from a scenario, a seat or the network is data on every screen: never markup, never raw escapes.

A scenario whose every shown string is hostile (unclosed ``[bold``, a stray ``[/]``, a ``[link=...]``,
ANSI colours, an OSC hyperlink, a carriage return, NUL, a very long line) is played through every
console panel, the debrief, the home list and the facilitator's console; a note, a hypothesis and a
guess carry the same. Nothing may crash, the literal brackets must show, and no control character
may reach the screen.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Markdown, OptionList, Static

from scenarios.catalog import library_dir, user_scenarios_dir
from scenarios.language.actions import ACTION_ADAPTER
from scenarios.limits import MAX_TEXT_CHARS
from scenarios.text import clean
from tui.gameday.facilitator import FacilitatorScreen
from tui.gameday.host import GameHost
from tui.registry import PANELS
from tui.screens.console import ConsoleScreen
from tui.screens.debrief import DebriefScreen
from tui.session import LocalSession
from tui.widgets.log_view import LogView
from tui.widgets.text import line, plain

SIZE = (160, 50)

HOSTILE = (
    "[bold oops [/] [link=https://evil.example]click[/link] \x1b[31mred\x1b[0m "
    "\x1b]8;;https://x\x07osc\x1b]8;;\x07 \r\x00end"
)
"""One string with every trick: it must show as ``[bold oops [/] [link=...]click[/link] red osc  end``."""
SHOWN = clean(HOSTILE)
MARKERS = ("[bold oops", "[/]", "[link=https://evil.example]")
"""What must appear literally wherever a hostile string is shown."""
LONG = "[b" + "x" * 5000


def tagged(tag: str) -> str:
    return f"{tag} {HOSTILE}"


def hostile_scenario(directory: Path) -> Path:
    """checkout-oom-leak with its shown strings replaced by hostile ones (every one tagged by where it is)."""
    data = yaml.safe_load((library_dir() / "checkout-oom-leak.yaml").read_text())
    data["id"] = "hostile-text"
    data["title"] = tagged("TITLE")
    data["briefing"] = tagged("BRIEFING") + "\n" + LONG
    data["tags"] = [tagged("TAG")]
    data["root_cause"]["summary"] = tagged("SUMMARY")
    data["root_cause"]["five_whys"][0] = tagged("WHY")
    data["hints"][0] = {"after": "1m", "text": tagged("HINT")}
    data["noise"][1]["log"]["message"] = tagged("LOGLINE")
    data["noise"][1]["log"]["every"] = "10s"
    data["alerting"]["rules"][0]["summary"] = tagged("ALERT")
    data["postmortem"]["lessons"][0] = tagged("LESSON")
    data["runbooks"] = [{"service": "checkout", "title": tagged("RUNBOOK"), "body": tagged("BODY")}]
    data["messages"] = [{"at": "1m", "from": tagged("SENDER"), "channel": "chat", "text": tagged("MESSAGE")}]
    path = directory / "hostile-text.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=False))
    return path


def act(body: dict):
    return ACTION_ADAPTER.validate_python(body)


def hostile_session(path: Path) -> LocalSession:
    session = LocalSession.start(str(path), seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(300)
    session.apply(act({"action": "ack"}))
    session.apply(act({"action": "note", "text": tagged("NOTE")}))
    session.apply(act({"action": "hypothesis", "text": tagged("HYPOTHESIS"), "evidence": [tagged("EVIDENCE")]}))
    session.apply(act({"action": "status_update", "text": tagged("STATUS")}))
    session.apply(act({"action": "note", "text": LONG}))
    session.sim.run_until(420)
    return session


def shown_text(screen) -> str:
    """Everything the screen's widgets hold as text (Static content, table cells, options, markdown)."""
    out: list[str] = []
    for widget in screen.query("*"):
        if isinstance(widget, Static):
            out.append(str(widget.render()))
        if isinstance(widget, DataTable):
            for row in range(widget.row_count):
                out += [str(cell) for cell in widget.get_row_at(row)]
        if isinstance(widget, OptionList):
            out += [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]
        if isinstance(widget, Markdown):
            out.append(widget.source)
        if isinstance(widget, LogView):
            out += [widget.buffer.line(i) for i in range(len(widget.buffer))]
    return "\n".join(out)


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_shown_as_text(text: str, *tags: str) -> None:
    for tag in tags:
        assert f"{tag} [bold oops" in text, f"{tag} not shown literally"
    for marker in MARKERS:
        assert marker in text
    assert not CONTROL.search(text), "a control character reached the screen"


class Host(App):
    def __init__(self, screen) -> None:
        super().__init__()
        self._first = screen

    def on_mount(self) -> None:
        self.push_screen(self._first)

    def show_debrief(self) -> None:  # the console asks for it when the session ends
        pass


def test_the_helpers_give_plain_text():
    assert clean(HOSTILE) == "[bold oops [/] [link=https://evil.example]click[/link] red osc  end"
    assert isinstance(plain(HOSTILE), Text) and plain(HOSTILE).plain == clean(HOSTILE, keep_newlines=True)
    assert plain("a\nb", keep_newlines=False).plain == "a b"
    assert line(("B ", "bold"), HOSTILE).plain == "B " + clean(HOSTILE, keep_newlines=True)
    assert line(("[x", "bold")).spans and line("[x").plain == "[x"


async def test_every_console_panel_shows_hostile_text_as_text(tmp_path):
    session = hostile_session(hostile_scenario(tmp_path))
    app = Host(ConsoleScreen(session))
    seen = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        for pid, _key, _title in PANELS:
            await screen.action_show_panel(pid)
            screen.refresh_panels()
            await pilot.pause()
            seen.append(shown_text(screen))
        screen.action_show_hints()
        await pilot.pause()
        seen.append("\n".join(str(n.message) for n in app._notifications))
    text = "\n".join(seen)
    tags = ("NOTE", "HYPOTHESIS", "STATUS", "MESSAGE", "SENDER", "RUNBOOK", "ALERT", "HINT", "LOGLINE", "BODY")
    assert_shown_as_text(text, *tags)
    assert "[b" + "x" * 100 in text


async def test_the_debrief_shows_hostile_text_as_text(tmp_path):
    session = hostile_session(hostile_scenario(tmp_path))
    session.end_now("gave_up")
    app = Host(DebriefScreen(session.debrief()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = shown_text(app.screen)
    assert_shown_as_text(text, "SUMMARY", "WHY", "LESSON")


async def test_the_home_list_and_briefing_show_hostile_text_as_text(tmp_path):
    from tui.app import MisfortuneApp
    from tui.screens.briefing import BriefingScreen

    user_scenarios_dir().mkdir(parents=True, exist_ok=True)
    hostile_scenario(user_scenarios_dir())
    user_scenarios_dir().joinpath("broken.yaml").write_text(f"id: broken\ntitle: {HOSTILE!r}\n[bold: 1\n")
    app = MisfortuneApp(clock=False, spin_seed=7)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        home = app.screen
        table = home.query_one(DataTable)
        row = next(i for i in range(table.row_count) if "TITLE" in str(table.get_row_at(i)[0]))
        table.move_cursor(row=row)
        await pilot.pause()
        text = shown_text(home)
        broken = next(i for i in range(table.row_count) if "broken" in str(table.get_row_at(i)[0]))
        table.move_cursor(row=broken)
        await pilot.pause()
        text += shown_text(home)
    assert_shown_as_text(text, "TITLE", "TAG")
    session = hostile_session(user_scenarios_dir() / "hostile-text.yaml")
    app = Host(BriefingScreen(session))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = shown_text(app.screen)
    assert_shown_as_text(text, "TITLE", "BRIEFING")


async def test_the_facilitator_shows_hostile_text_as_text(tmp_path):
    host = GameHost(hostile_session(hostile_scenario(tmp_path)), port=0, clock=False)
    host.guess("observer:cy", "observer", tagged("GUESS"))
    host.act("tloc:bo", "tloc", {"action": tagged("ACTION")})
    host.act("tloc:bo", "tloc", {"action": "note", "text": tagged("FEEDNOTE")})
    host.refuse_web("127.0.0.1", f"GET /{HOSTILE}: wrong or missing token")
    host._refuse("127.0.0.1:5555", tagged("HELLO"))
    app = Host(FacilitatorScreen(host, join_hint=tagged("JOIN")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.refresh_view()
        await pilot.pause()
        text = shown_text(app.screen)
    assert_shown_as_text(text, "GUESS", "ACTION", "HELLO", "SUMMARY", "HINT")
    assert f"GET /{SHOWN}"[:60] in text
    host.session.quit()


@pytest.mark.parametrize(
    "value", [HOSTILE, LONG, "[/]", "[", "\x1b[2J", "x" * MAX_TEXT_CHARS], ids=lambda v: repr(v[:12])
)
async def test_a_notification_of_outside_text_never_breaks_the_screen(value):
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    app = Host(ConsoleScreen(session))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen._apply(act({"action": "note", "text": value}))
        app.screen._apply(act({"action": "hypothesis", "op": "confirm", "id": 99}))  # a rejection
        await pilot.pause()
        app.screen.refresh_panels()
        await pilot.pause()
    assert session.incident_view().notes[-1][2] == value


async def test_a_seat_console_shows_other_seats_hostile_text_as_text(tmp_path):
    from tests.gameday.test_seat_console import ThreadedHost, console_built, until
    from tui.gameday.seat_app import seat_app

    threaded = ThreadedHost(GameHost(hostile_session(hostile_scenario(tmp_path)), port=0, clock=False))
    try:
        threaded.call(threaded.host.act, "imoc:ana", "imoc", {"action": "note", "text": tagged("SEATNOTE")})
        threaded.advance(60)
        watcher = threaded.seat("observer", "cy")
        app = seat_app(watcher)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await console_built(app, pilot)
                await until(pilot, lambda: watcher.now == threaded.host.sim.now, "the seat to catch up")
                screen, seen = app.screen, []
                for pid, _key, _title in PANELS:
                    await screen.action_show_panel(pid)
                    screen.refresh_panels()
                    await pilot.pause()
                    seen.append(shown_text(screen))
                screen._apply(act({"action": "note", "text": tagged("REFUSED")}))  # an observer's: refused
                await pilot.pause()
        finally:
            watcher.quit()
    finally:
        threaded.close()
    assert_shown_as_text("\n".join(seen), "SEATNOTE", "NOTE", "MESSAGE", "RUNBOOK", "LOGLINE", "HINT")
