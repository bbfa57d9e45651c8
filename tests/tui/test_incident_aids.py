"""Severity and communication aids (issue 14, deliverable 5): the severity rubric in the severity form, a
status-update template, and the answer to an escalation arriving in comms."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input
from visible_text import screen_text

from scenarios.durations import format_clock
from simulator.incident.escalation import REPLY_SECONDS
from tests.tui.console_host import ConsoleHost as Host
from tests.tui.helpers import until
from tui.session import LocalSession
from tui.widgets.actions import SEVERITY_MATRIX
from tui.widgets.comms import UPDATE_DUE


@pytest.fixture
def session() -> LocalSession:
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.set_speed(0.0)
    s.sim.run_until(600)
    return s


async def test_the_severity_form_shows_the_rubric_at_80x24(session):
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("actions")
        panel = screen.panel("actions")
        panel.select_action("set_severity")
        await panel._building
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        for sev, _when, alert, respond in SEVERITY_MATRIX:
            assert sev in shown and respond.split()[0] in shown and alert in shown
        assert "war room within 15 min" in shown and "next business day" in shown


async def test_the_status_template_posts_impact_action_and_next_update(session):
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await screen.action_show_panel("comms")
        await pilot.pause()
        nxt = screen.query_one("#status-next", Input)
        assert nxt.value == format_clock(session.now + UPDATE_DUE), "the next update time is suggested"
        impact = screen.query_one("#status-impact", Input)
        impact.value = "checkout fails for some shoppers"
        await impact.action_submit()
        # The submission is handled a message later: wait for its effect (a loaded machine takes longer).
        await until(pilot, lambda: app.focused is screen.query_one("#status-action", Input), "focus on the action")
        assert not session.incident_view().status_updates, "not sent while the current action is missing"
        app.focused.value = "rolling back checkout"
        await app.focused.action_submit()
        await until(pilot, lambda: session.incident_view().status_updates, "the status update to be posted")
        posted = session.incident_view().status_updates[-1][1]
        assert posted == (
            f"Impact: checkout fails for some shoppers. Current action: rolling back checkout. "
            f"Next update at {format_clock(600 + UPDATE_DUE)}."
        )
        assert impact.value == "" and nxt.value == format_clock(session.now + UPDATE_DUE)


async def test_an_escalation_is_answered_in_comms(session):
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.request_action({"action": "escalate", "to": "secondary"})
        session.sim.run_until(600 + REPLY_SECONDS["secondary"] + 1)
        screen.refresh_panels()
        await pilot.pause()
        assert screen.unread == 1
        assert screen.query_one("#rail").announcements[-1].title.startswith("@sam")


def test_the_debrief_words_the_acknowledgement_as_it_happened(session):
    from dataclasses import replace

    from tui.screens.debrief import harm_markup

    report = replace(session.sim.score(), penalties=[])  # no penalties: the line that once lied
    assert "acknowledged in time" in harm_markup(report, "in time").plain
    late = harm_markup(report, "after escalation").plain
    assert "only after it escalated" in late and "in time" not in late
    assert "never acknowledged" in harm_markup(report, "never").plain
    assert "acknowledged" not in harm_markup(report, "").plain, "no claim without the facts (a game-day debrief)"


def test_a_debrief_carries_the_acknowledgement(session):
    session.end_now()
    assert session.debrief().truth["acknowledgement"] == "never"  # paged at 10 min, nobody acked


async def test_the_pager_and_the_debrief_show_each_incident():
    """checkout-oom-leak's disk ticket at 25 min is a second incident: a line each in the pager, and the
    debrief says how each one's pages were answered."""
    from tui.screens.debrief import DebriefScreen

    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(600)
    app = Host(session)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#incidents", DataTable)
        assert table.row_count == 1, "one incident so far"
        session.sim.run_until(1800)
        app.screen.refresh_panels()
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "1 ESCALATED not set you you you 29m45s 1 firing: KubePodCrashLooping checkout" in text
        assert "2 TRIGGERED not set you you you 5m00s 1 firing: DiskSpaceLow catalog-db" in text
        session.end_now()
        app.push_screen(DebriefScreen(session.debrief()))
        await pilot.pause()
        text = screen_text(app)
        assert "2 incidents in this session" in text
        assert "#1 from 00:00:15: KubePodCrashLooping checkout. The pages were never acknowledged." in text
        assert "#2 from 00:25:00: DiskSpaceLow catalog-db. No page was sent." in text
        assert "severity never declared, the measured impact says SEV2." in text
