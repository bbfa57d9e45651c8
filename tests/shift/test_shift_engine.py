"""The shift engine: the plan, incidents offset in shift time, pages through the policy, tickets, the report."""

from __future__ import annotations

import subprocess
import sys

import pytest
from shiftkit import BENCH_ACTIONS, ROOT, bench_library, small_shift  # noqa: F401 (bench_library pins the library plans draw from)

from scenarios.language.actions import ACTION_ADAPTER
from simulator.shift.plan import PlannedEvent, generate_plan
from simulator.shift.runner import plan_shift, run_shift, shipped_library
from simulator.shift.steps import ShiftStep, load_steps


@pytest.fixture(scope="module")
def played_shift():
    """The bench's 12-hour shift (seed 2) played from its actions file: (shift, report)."""
    return run_shift(2, load_steps(BENCH_ACTIONS))


@pytest.fixture(scope="module")
def unanswered_shift():
    """The same shift with nobody answering the pager: (shift, report)."""
    return run_shift(2)


def step(at: float, incident: int | None = None, **action) -> ShiftStep:
    return ShiftStep(at, ACTION_ADAPTER.validate_python(action), incident)


def test_the_plan_is_drawn_from_the_seed():
    library = [s for s, _ in shipped_library().values()]
    first = generate_plan(5, 12.0, 2, library)
    assert first == generate_plan(5, 12.0, 2, library)
    assert first != generate_plan(6, 12.0, 2, library)
    assert len(first.incidents) == 2
    assert [i.at for i in first.incidents] == sorted(i.at for i in first.incidents)
    kinds = {e.kind for e in first.events}
    assert kinds == {"noise_alert", "false_positive", "ticket"}


def test_the_incident_count_follows_the_pace_target():
    library = [s for s, _ in shipped_library().values()]
    assert len(generate_plan(5, 12.0, 0, library).incidents) == 0
    assert len(generate_plan(5, 12.0, 3, library).incidents) == 3
    assert len(generate_plan(5, 6.0, 2, library).incidents) == 1
    for seed in range(1, 30):
        assert len(generate_plan(seed, 12.0, 2, library).incidents) <= 2


def test_some_seeds_bring_a_second_incident_while_the_first_is_open():
    overlapping = []
    for seed in range(1, 12):
        plan, used = plan_shift(seed)
        a, b = plan.incidents
        if b.at < a.at + used[a.scenario][0].duration:
            overlapping.append(seed)
    assert overlapping, "no seed overlaps two incidents"


def test_two_overlapping_incidents_run_side_by_side_in_shift_time():
    shift = small_shift([("checkout-oom-leak", 60.0, "P2"), ("edge-bad-config-push", 600.0, "P1")])
    shift.run_until(1800.0)
    first, second = shift.runs
    assert abs(first.sim.now - 1740.0) <= 1.0
    assert abs(second.sim.now - 1200.0) <= 1.0
    assert not first.over and not second.over
    # Each incident's pages are shift pages at shift time = offset + the simulation's time.
    for run in shift.runs:
        for page in shift.pages_of(run):
            assert page.incident == run.number
            assert any(abs(run.shift_time(p.t) - page.t) < 1e-6 for p in run.sim.alerts.pages)
    assert [p.t for p in shift.pages] == sorted(p.t for p in shift.pages)


def test_nobody_answering_leaves_every_page_unacknowledged_and_every_incident_unresolved(unanswered_shift):
    shift, report = unanswered_shift
    assert len(report["incidents"]) == 2
    assert all(i["outcome"] == "unresolved" and i["tta_s"] is None for i in report["incidents"])
    assert report["pages"]["count"] >= 2
    assert all(p["tta_s"] is None and p["exhausted"] for p in report["pages"]["list"])
    assert report["handoff"]["written"] is False
    assert report["handoff"]["missing"]


def test_the_played_shift_resolves_both_incidents_and_reports_them(played_shift):
    shift, report = played_shift
    for key in ("incidents", "pages", "false_positives", "tickets", "handoff", "postmortems_due"):
        assert key in report
    incidents = report["incidents"]
    assert [i["scenario"] for i in incidents] == ["checkout-oom-leak", "cert-expiry"]
    for incident in incidents:
        assert incident["outcome"] == "resolved"
        assert incident["tta_s"] is not None and incident["ttr_s"] is not None
        assert incident["severity"] in ("P1", "P2")
    p1 = incidents[1]
    assert p1["severity"] == "P1" and p1["war_room"]["opened_in_time"] is True
    assert p1["severity_consequences"] == []
    assert report["pages"]["missed_sla"] == 0
    assert report["false_positives"]["count"] == 2
    assert report["false_positives"]["rate"] == 0.5 and report["false_positives"]["ok"] is False
    closed = [t for t in report["tickets"] if t["status"] == "closed"]
    assert [t["number"] for t in closed] == [1]
    assert report["handoff"]["written"] and report["handoff"]["score"] == 100


def test_postmortems_due_name_their_triggers(played_shift, unanswered_shift):
    _, report = played_shift
    due = {d["incident"]: {r["trigger"] for r in d["reasons"]} for d in report["postmortems_due"]}
    assert due[1] == {"user impact", "manual intervention"}
    assert due[2] == {"user impact", "error-budget burn", "manual intervention", "escalation"}
    _, unanswered = unanswered_shift
    unanswered_due = {d["incident"]: {r["trigger"] for r in d["reasons"]} for d in unanswered["postmortems_due"]}
    assert "manual intervention" not in unanswered_due[1]
    assert "escalation" in unanswered_due[1]  # nobody acknowledged: the policy went past the primary


def test_an_action_for_an_incident_that_has_not_arrived_is_rejected():
    shift = small_shift([("checkout-oom-leak", 3600.0, "P2")])
    shift.run_until(600.0)
    result = shift.apply(step(600.0, 1, action="rollback_deploy", service="checkout"))
    assert not result.accepted and "has not arrived" in result.message
    result = shift.apply(step(600.0, None, action="rollback_deploy", service="checkout"))
    assert not result.accepted and "incident: N" in result.message


def test_acknowledging_a_shift_page_acknowledges_the_incident():
    shift = small_shift([("checkout-oom-leak", 60.0, "P2")])
    shift.run_until(1500.0)
    page = shift.pages[0]
    result = shift.apply(step(1500.0, None, action="ack", page=page.number))
    assert result.accepted
    assert page.acked_at == 1500.0
    sim_page = shift.runs[0].sim.alerts.pages[0]
    assert sim_page.acked_at == 1500.0 - 60.0


def test_a_noise_ticket_and_a_false_positive_arrive_at_their_times():
    events = [
        PlannedEvent(number=1, kind="ticket", at=100.0, service="search", title="reindex failed once"),
        PlannedEvent(number=2, kind="false_positive", at=200.0, service="dns", title="resolver slow"),
        PlannedEvent(number=3, kind="noise_alert", at=300.0, service="cdn", title="origin slow"),
    ]
    shift = small_shift([], hours=1.0, events=events)
    shift.run_until(3600.0)
    assert [(t.number, t.t, t.source) for t in shift.tickets] == [(1, 100.0, "noise")]
    assert [(p.t, p.false_positive, p.incident) for p in shift.pages] == [(200.0, True, None)]
    assert [a.t for a in shift.noise_alerts] == [300.0]


def test_the_shift_wing_imports_no_ui_and_no_reports():
    code = (
        "import sys, simulator.shift.runner, simulator.shift.report; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui', 'rich') "
        "or m.startswith('simulator.reports')]; assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_an_alert_firing_again_for_the_same_incident_is_grouped_into_its_page(unanswered_shift):
    shift, _ = unanswered_shift
    leak = shift.runs[0]
    fired = [p.alert for p in leak.sim.alerts.pages]
    assert len(fired) > len(set(fired)), "the leak's crash-loop alert should fire more than once"
    pages = shift.pages_of(leak)
    assert sorted(p.title for p in pages) == sorted(set(fired))
    assert sum(p.repeats for p in pages) == len(fired) - len(set(fired))


def test_the_shift_wing_reads_no_wall_clock_and_no_global_random():
    # The engine's own rules (tests/simulator/test_layering.py), applied to this wing's files.
    import importlib.util

    spec = importlib.util.spec_from_file_location("layering", ROOT / "tests" / "simulator" / "test_layering.py")
    layering = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layering)
    files = sorted((ROOT / "simulator" / "shift").glob("*.py")) + [ROOT / "simulator" / "reports" / "follow_ups.py"]
    problems = [
        f"{path.name}: {why}"
        for path in files
        for pattern, why in layering.FORBIDDEN
        if pattern.search(layering.code_only(path.read_text(encoding="utf-8")))
    ]
    assert not problems, problems
