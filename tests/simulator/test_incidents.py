"""Several incidents in one session: alerts grouped by service and time, each with its own pages and ack."""

from __future__ import annotations

from simulator.incident import GROUP_WINDOW_SECONDS, group_incidents
from simulator.views import AlertView, IncidentView, PageView


def open_incident(state: str = "open") -> IncidentView:
    return IncidentView(state, None, {}, (), (), (), None, (), ())


def alert(name: str, service: str, fired: float | None, state: str = "firing") -> AlertView:
    return AlertView(name, service, "page", state, "", fired or 0.0, fired, None, 0.0)


def page(number: int, name: str, t: float, acked: float | None = None, escalated: float | None = None) -> PageView:
    return PageView(number, name, "page", t, acked, escalated, "you")


def test_one_cause_one_incident():
    alerts = [alert("CheckoutErrors", "checkout", 60.0), alert("FrontendErrors", "frontend", 120.0)]
    (only,) = group_incidents(open_incident(), alerts, [page(1, "CheckoutErrors", 60.0, acked=90.0)])
    assert only.number == 1 and only.opened_at == 60.0
    assert only.services == ("checkout", "frontend") and only.pages == (1,)
    assert only.status == "acknowledged" and only.acknowledgement == "in time"


def test_a_later_alert_on_another_service_opens_a_second_incident_with_its_own_ack():
    late = 60.0 + GROUP_WINDOW_SECONDS + 1
    alerts = [
        alert("OrdersErrorRateHigh", "orders", 60.0),
        alert("CertExpiring", "payments", late),
        alert("OrdersLatency", "orders", late + 5),  # same service as incident 1: joins it, however late
        alert("NotYet", "inventory", None),  # pending alerts belong to no incident
    ]
    pages = [
        page(1, "OrdersErrorRateHigh", 60.0, acked=120.0),
        page(2, "CertExpiring", late, acked=late + 400.0, escalated=late + 300.0),
    ]
    first, second = group_incidents(open_incident(), alerts, pages)
    assert first.alerts == ("OrdersErrorRateHigh orders", "OrdersLatency orders") and first.pages == (1,)
    assert second.alerts == ("CertExpiring payments",) and second.pages == (2,)
    assert (first.acknowledgement, second.acknowledgement) == ("in time", "after escalation")
    assert second.opened_at == late


def test_alerts_close_in_time_group_together_and_status_follows_each_incidents_pages():
    alerts = [alert("A", "svc-a", 10.0), alert("B", "svc-b", 10.0 + GROUP_WINDOW_SECONDS - 1)]
    assert len(group_incidents(open_incident(), alerts, [])) == 1
    alerts = [alert("A", "svc-a", 10.0), alert("B", "svc-b", 10.0 + GROUP_WINDOW_SECONDS)]
    pages = [page(1, "A", 10.0, escalated=310.0)]
    a, b = group_incidents(open_incident(), alerts, pages)
    assert (a.status, b.status) == ("escalated", "no page yet")
    cleared = [alert("A", "svc-a", 10.0, state="resolved")]
    (only,) = group_incidents(open_incident(), cleared, [page(1, "A", 10.0, acked=20.0)])
    assert only.status == "alerts cleared"
    (only,) = group_incidents(open_incident("resolved"), cleared, [page(1, "A", 10.0, acked=20.0)])
    assert only.status == "resolved"


def test_a_real_session_reports_its_noise_ticket_as_a_second_incident():
    from tui.session import LocalSession

    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.sim.run_until(1800.0)
    session.end_now()
    incidents = session.debrief().truth["incidents"]
    assert [i["alerts"] for i in incidents] == [["KubePodCrashLooping checkout"], ["DiskSpaceLow catalog-db"]]
    assert incidents[0]["acknowledgement"] == "never" and incidents[1]["acknowledgement"] == "no page"
