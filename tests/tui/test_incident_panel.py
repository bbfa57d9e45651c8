"""The pager's incident panel (issue 14, deliverable 4): each incident with its status, severity, role
holders, alerts and age; `s` and `p` open the severity and role forms on the incident in view."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import DataTable, Input
from visible_text import leaks, screen_text

from scenarios.language.actions import ACTION_ADAPTER
from tests.tui.console_host import ConsoleHost as Host
from tui.session import LocalSession


def session_at(t: float) -> LocalSession:
    s = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    s.set_speed(0.0)
    s.sim.run_until(t)
    return s


def rows(app: App) -> list[list[str]]:
    table = app.screen.query_one("#incidents", DataTable)
    return [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]


async def test_before_any_alert_the_panel_says_how_an_incident_opens():
    app = Host(session_at(0.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        assert "No incident yet" in shown and not app.screen.query_one("#incidents", DataTable).display


async def test_each_incident_shows_status_severity_roles_age_and_alerts_at_80x24():
    session = session_at(600.0)
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        (row,) = rows(app)
        assert row[:7] == ["1", "ESCALATED", "not set", "you", "you", "you", "9m45s"]
        assert "KubePodCrashLooping checkout" in row[7]
        assert "Incidents" in screen_text(app) and not leaks(screen_text(app))
        assert "#1 escalated to the secondary: acknowledge its page now (a)." in screen_text(app)
        await pilot.press("a")  # acknowledging the page acknowledges the incident
        await pilot.pause()
        assert rows(app)[0][1] == "ACKNOWLEDGED"
        assert "#1 is acknowledged: size it (s)" in screen_text(app), "the next step follows the status"


async def test_an_incident_without_a_page_never_asks_for_an_acknowledgement():
    """az-outage's expiring certificate opens an incident with a ticket alert only: there is no page to
    acknowledge, so the next step must not ask for one (it did: "acknowledge its page (a)")."""
    session = LocalSession.start("az-outage", seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(300.0)
    (incident,) = session.incidents()
    assert incident.status == "triggered" and incident.pages == ()
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "#1 has paged nobody yet" in shown and "acknowledge" not in shown.split("Pages")[0]


async def test_a_page_on_another_incident_is_named_before_the_step_in_view():
    """cert-expiry: #1 (the expiring certificate, a ticket) is highlighted when #2 pages. The line under the
    table said only "#1 has paged nobody yet" while #2's page waited, so a trainee sized #1 first."""
    session = LocalSession.start("cert-expiry", seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(840.0)
    first, second = session.incidents()
    assert first.pages == () and second.status == "triggered" and second.pages
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "#2 is paging you: acknowledge it (a). #1 has paged nobody yet" in shown
        await pilot.press("a")
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "#2 is paging" not in shown and "#1 has paged nobody yet" in shown


async def test_s_opens_the_severity_form_with_the_matrix_on_the_incident_in_view():
    session = session_at(600.0)
    app = Host(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        panel = screen.panel("actions")
        assert screen.active_panel == "actions" and panel.selected == "set_severity"
        assert panel.query_one("#field-incident_number", Input).value == "1"
        shown = " ".join(screen_text(app).split())
        assert "war room within 15 min" in shown and "next business day" in shown
        panel.set_field("severity", "SEV2")
        panel.action_submit()
        await pilot.pause()
        assert session.incidents()[0].severity == "SEV2"
        await screen.action_show_panel("pager")
        await pilot.pause()
        assert rows(app)[0][2] == "SEV2"


async def test_p_on_the_second_incident_names_a_holder_for_that_incident_only():
    session = session_at(1800.0)
    app = Host(session)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert [r[0] for r in rows(app)] == ["1", "2"]
        table = app.screen.query_one("#incidents", DataTable)
        table.focus()
        table.move_cursor(row=1)
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        panel = app.screen.panel("actions")
        assert panel.selected == "assign_role" and panel.query_one("#field-incident_number", Input).value == "2"
        panel.set_field("role", "comms")
        panel.set_field("person", "@kim")
        panel.action_submit()
        await pilot.pause()
        await app.screen.action_show_panel("pager")
        await pilot.pause()
        first, second = rows(app)
        assert first[4] == "you" and second[4] == "@kim"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_mitigated_then_resolved_incident_reads_so(size):
    session = session_at(0.0)
    for action in session.sim.scenario.solution:
        session.sim.run_until(action.at)
        if action.action == "resolve":
            break
        session.apply(action)
    while session.incidents()[0].status != "mitigated":
        session.sim.run_until(session.now + 15)
    app = Host(session)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert rows(app)[0][1] == "MITIGATED" and rows(app)[0][2] == "SEV2"
        assert "Declare it resolved once its cause is gone" in " ".join(screen_text(app).split())
        session.apply(ACTION_ADAPTER.validate_python({"action": "resolve"}))
        app.screen.refresh_panels()
        await pilot.pause()
        assert rows(app)[0][1] == "RESOLVED"
