"""The hidden truth reads clean wherever it is shown, for every shipped scenario: the debrief's truth and
solution, the mentor's truth view and the facilitator's truth panel. Before, every game ended on
``zone_outage on None``, ``lasts=None`` and a trap shown as ``{'action': 'restart', ...}``.
"""

from __future__ import annotations

import pytest
from visible_text import leaks

from scenarios.catalog import library_dir, scenario_files
from tui.gameday.facilitator import truth_text
from tui.gameday.mentor import mentor_truth, truth_lines
from tui.screens.debrief import lessons_markup, solution_markup, truth_markup
from tui.session import LocalSession

SCENARIOS = sorted(p.stem for p in scenario_files(library_dir()))


@pytest.mark.parametrize("ref", SCENARIOS)
def test_the_hidden_truth_reads_clean(ref):
    session = LocalSession.start(ref, seed=1, journal=False)
    session.end_now()  # the faults' onsets are drawn at the start: the truth is whole at once
    d = session.debrief()
    shown = {
        "debrief truth": truth_markup(d).plain,
        "debrief solution": solution_markup(d).plain,
        "debrief lessons": lessons_markup(d.postmortem).plain,
        "mentor": "\n".join(truth_lines(mentor_truth(session.sim))),
        "facilitator": truth_text(session.sim).plain,
    }
    problems = [f"{where}: {p}" for where, text in shown.items() for p in leaks(text)]
    assert not problems, "\n".join(problems)
    assert all(f"fault: {f['type']}" in shown["debrief truth"] for f in d.faults)  # every fault is there
    assert all(trap["why"] in shown["mentor"] for trap in d.traps)
