"""Reverse shadow in the seats' consoles: the mentor whispers with W and reads the truth with T; the
trainee's console shows the whisper; the mentor is not offered the trainee's keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Input, Static

from tests.gameday.test_debrief_roles import console_built
from tests.gameday.test_seat_console import ThreadedHost, until
from tui.gameday.host import GameHost
from tui.gameday.mentor_view import TruthScreen
from tui.gameday.seat_app import seat_app


@pytest.fixture
def mentored(tmp_path) -> Iterator[ThreadedHost]:
    game = ThreadedHost(
        GameHost.start_session("checkout-oom-leak", 1, directory=tmp_path, port=0, clock=False, mentor=True)
    )
    yield game
    game.close()


async def test_the_mentor_whispers_from_the_console_and_the_trainee_sees_it(mentored):
    mentored.advance(300)
    trainee = mentored.seat("imoc", "ana")
    mentor = mentored.seat("mentor", "sam")
    app = seat_app(mentor)
    try:
        async with app.run_test(size=(140, 50)) as pilot:
            await console_built(app, pilot)
            console = app.screen
            assert console.check_action("whisper", ()) and console.check_action("truth", ())
            assert console.check_action("ack", ()) is False and console.check_action("profile", ("cpu",)) is False
            await pilot.press("T")
            assert isinstance(app.screen, TruthScreen)
            assert "memory_leak" in str(app.screen.query_one("#truth", Static).render())
            await pilot.press("escape")
            console.action_whisper()
            await pilot.pause()
            app.screen.query_one(Input).value = "compare memory per version"
            await pilot.press("enter")
            await until(pilot, lambda: trainee.whispers, "the whisper to reach the trainee")
        assert trainee.whispers[0][1:] == ("mentor:sam", "compare memory per version")
        trainee_app = seat_app(trainee)
        # Every toast the app is asked to show, kept: Textual drops a toast from its own list once its
        # timeout (20 s for a whisper) has passed, and on a loaded machine the console's first refresh,
        # which shows it, can come that long before its last panel is built.
        shown: list[str] = []
        notify = trainee_app.notify

        def recording_notify(message, *args, **kwargs):
            shown.append(str(message))
            return notify(message, *args, **kwargs)

        trainee_app.notify = recording_notify
        async with trainee_app.run_test(size=(140, 50)) as pilot:
            await console_built(trainee_app, pilot)
            trainee_app.screen.refresh_panels()  # (or the console's own refresh already did)

            def notes() -> list[str]:
                return shown

            await until(pilot, lambda: "compare memory per version" in notes(), "the whisper's toast")
            assert notes().count("compare memory per version") == 1, "shown once"
            assert trainee_app.screen.check_action("whisper", ()) is False
    finally:
        trainee.quit()
        mentor.quit()
