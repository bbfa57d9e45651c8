"""The debrief's severity line: right is what the scenario expects or what the simulation measured.

An author may expect SEV2 for an outage the run made total (az-outage's SLI fell to 3.5 %): the review
must not tell a trainee who followed the severity matrix that "the impact called for SEV2".
"""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest

from scenarios.catalog import load_by_ref
from simulator.incident.scoring import Report
from simulator.reports.review import SeverityVerdict, _severity, measured_severity, severity_verdict
from simulator.session.runner import run_session


@cache
def reference_report() -> Report:
    scenario, _ = load_by_ref("checkout-oom-leak")
    return run_session(scenario, 1, scenario.solution)[1]


def report(declared: str | None, expected: str, measured: tuple[str, ...]) -> Report:
    incidents = [{"number": n, "severity_assessed": m} for n, m in enumerate(measured, start=1)]
    return dataclasses.replace(
        reference_report(), severity_declared=declared, severity_expected=expected, incidents=incidents
    )


def lines(r: Report) -> tuple[list[str], list[str]]:
    well: list[str] = []
    wrong: list[str] = []
    _severity(r, well, wrong)
    return well, wrong


def test_the_worst_measured_severity_across_incidents_counts():
    assert measured_severity(report("SEV2", "SEV2", ("SEV3", "SEV1", "SEV2"))) == "SEV1"
    assert measured_severity(report("SEV2", "SEV2", ())) is None


@pytest.mark.parametrize(
    "declared, expected, measured, right, text",
    [
        ("SEV2", "SEV2", ("SEV2",), True, "Declared the right severity (SEV2)."),
        ("SEV2", "SEV2", (), True, "Declared the right severity (SEV2)."),
        (
            "SEV2",
            "SEV2",
            ("SEV1",),
            True,
            "as the scenario expects; the measured impact was SEV1: the service was down",
        ),
        ("SEV1", "SEV2", ("SEV1",), True, "Declared SEV1, as the measured impact called for (the service was down"),
        ("SEV3", "SEV2", ("SEV1",), False, "Declared SEV3; the scenario expects SEV2 and the measured impact was SEV1"),
        ("SEV1", "SEV2", ("SEV2",), False, "Declared SEV1; the scenario expects SEV2."),
        (None, "SEV2", ("SEV1",), False, "never declared (the scenario expects SEV2; the measured impact was SEV1"),
    ],
)
def test_the_severity_line_says_what_it_was_judged_against(declared, expected, measured, right, text):
    r = report(declared, expected, measured)
    well, wrong = lines(r)
    assert len(well) + len(wrong) == 1
    assert bool(well) is right
    assert text in (well or wrong)[0]
    assert severity_verdict(r).right is right


def test_the_table_note_names_the_measured_severity_only_when_it_differs():
    assert severity_verdict(report("SEV2", "SEV2", ("SEV2",))) == SeverityVerdict(True, "expected SEV2", True)
    assert severity_verdict(report("SEV3", "SEV2", ("SEV1",))) == SeverityVerdict(
        False, "expected SEV2, measured SEV1", False
    )
    # right by the measurement only: not plain, so the debrief says why it is right
    assert severity_verdict(report("SEV1", "SEV2", ("SEV1",))) == SeverityVerdict(
        True, "expected SEV2, measured SEV1", False
    )
    # right as expected, but the measurement differs: still worth saying
    assert severity_verdict(report("SEV2", "SEV2", ("SEV1",))).plain is False
