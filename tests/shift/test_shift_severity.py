"""The P1-P3 table drives the response; a wrong severity and a late war room have named consequences."""

from __future__ import annotations

from shiftkit import small_shift

from scenarios.language.actions import ACTION_ADAPTER
from simulator.shift.handoff import score_handoff
from simulator.shift.report import shift_report
from simulator.shift.steps import HandoffNote, ShiftStep


def do(shift, t, incident=None, **action):
    shift.run_until(t)
    return shift.apply(ShiftStep(t, ACTION_ADAPTER.validate_python(action), incident))


def edge_p1():
    """edge-bad-config-push (P1) arriving 60 s into a 1-hour shift."""
    return small_shift([("edge-bad-config-push", 60.0, "P1")], hours=1.0)


def incident_report(shift):
    shift.run_until(shift.length)
    shift.end()
    return shift_report(shift)["incidents"][0]


def test_a_war_room_within_15_minutes_of_the_first_page():
    shift = edge_p1()
    shift.run_until(1200.0)
    first = shift.pages[0].t
    do(shift, first + 60, 1, action="set_severity", severity="SEV1")
    do(shift, first + 120, 1, action="assign_role", role="imoc", person="@sam")
    do(shift, first + 180, 1, action="escalate", to="secondary")
    report = incident_report(shift)
    assert report["war_room"]["opened_in_time"] is True
    assert report["severity_consequences"] == []


def test_a_late_war_room_is_named():
    shift = edge_p1()
    shift.run_until(1200.0)
    first = shift.pages[0].t
    do(shift, first + 60, 1, action="set_severity", severity="SEV1")
    do(shift, first + 120, 1, action="assign_role", role="imoc", person="@sam")
    do(shift, first + 16 * 60, 1, action="escalate", to="secondary")
    report = incident_report(shift)
    assert report["war_room"]["opened_in_time"] is False
    assert report["severity_consequences"] == [
        "P1 without a war room within 15 min of the first page: the secondary not paged"
    ]


def test_under_declaring_a_p1_is_named():
    shift = edge_p1()
    do(shift, 1200.0, 1, action="set_severity", severity="SEV2")
    consequences = incident_report(shift)["severity_consequences"]
    assert consequences[0].startswith("declared SEV2 for a P1: under-declared")


def test_over_declaring_a_p2_is_named():
    shift = small_shift([("checkout-oom-leak", 60.0, "P2")], hours=1.0)
    do(shift, 900.0, 1, action="set_severity", severity="SEV1")
    consequences = incident_report(shift)["severity_consequences"]
    assert consequences == [
        "declared SEV1 for a P2: over-declared, pulling an IMOC and the secondary away for a degraded service "
        "(pager fatigue, and the next real P1 finds them busy)"
    ]


def test_declaring_sev3_turns_the_incident_into_a_ticket_and_stops_its_pages():
    shift = edge_p1()
    shift.run_until(1200.0)
    page = shift.pages[0]
    assert page.open
    do(shift, 1200.0, 1, action="set_severity", severity="SEV3")
    assert page.stopped == "declared SEV3: downgraded to a ticket"
    assert [t.source for t in shift.tickets] == ["incident"]
    pages_before = len(shift.pages)
    report = incident_report(shift)
    assert len(shift.pages) == pages_before  # later alerts of the incident become tickets, not pages
    assert report["severity_consequences"][0].startswith("declared SEV3 for a P1: its pages stopped")


def test_the_handoff_is_scored_against_what_was_open():
    shift = small_shift([("checkout-oom-leak", 60.0, "P2"), ("edge-bad-config-push", 120.0, "P1")], hours=1.0)
    do(shift, 600.0, 1, action="rollback_deploy", service="checkout")
    shift.run_until(3000.0)
    note = HandoffNote(active_incidents=["#1 checkout leaking, rolled back"], mitigations=["rolled back checkout"])
    scored = score_handoff(note, shift)
    assert "incident #1 (checkout-oom-leak) listed as active" in scored["covered"]
    assert "incident #1 (checkout-oom-leak): mitigation in place described" in scored["covered"]
    assert scored["missing"] == ["incident #2 (edge-bad-config-push) is still open but not under active_incidents"]
    assert scored["score"] == 67
    assert score_handoff(None, shift)["score"] == 0
