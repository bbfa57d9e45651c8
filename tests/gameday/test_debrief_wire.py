"""A seat under a host it cannot trust, at the end: the debrief and a mentor's hidden truth are checked
against the shapes their screens read (tui.gameday.debrief_wire) before any screen reads them.

Checked against the Debrief dataclass alone, a trap whose ``match`` was a word, an incident that was a
number or a guess without its time reached the debrief screen and failed there; a NaN error budget was
shown as ``nan``.
"""

from __future__ import annotations

import copy
import io
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import tui.screens.debrief as screen
from scenarios.catalog import library_dir, scenario_files
from simulator.incident.scoring import role_parts
from simulator.views import TimelineEvent
from tests.tui.helpers import play_reference_solution
from tui.gameday.debrief_wire import check_mentor_truth
from tui.gameday.mentor import mentor_truth, truth_lines
from tui.gameday.protocol import debrief_payload, decode_debrief
from tui.gameday.room_debrief import role_lines
from tui.gameday.seat import MALFORMED_HOST_FRAME
from tui.session import LocalSession

SCENARIOS = sorted(p.stem for p in scenario_files(library_dir()))


def game_day_roles(timeline: list[TimelineEvent], end: float) -> dict:
    """The roles' parts as a game day scores them: the trainee's actions split between an IMOC and a TLOC."""
    seats = ("imoc:ann", "tloc:bo")
    mine = [e for e in timeline if e.source != "system"]
    acts = [TimelineEvent(e.t, seats[i % 2], e.kind, e.text) for i, e in enumerate(mine)]
    return role_parts(acts, 60.0, end, frozenset({"restart", "scale", "drain_zone", "rollback_deploy"}))


@pytest.fixture(scope="module")
def played():
    """A session played to its fix, its debrief as a host sends it (a game day's roles, guesses and flags)."""
    session = LocalSession.start("az-outage", seed=1, journal=False)
    play_reference_solution(session)
    session.end_now("resolved")
    payload = json.loads(json.dumps(debrief_payload(session.debrief())))
    payload["report"]["roles"] = game_day_roles(session.timeline(), session.now)
    payload["truth"]["root_cause_guesses"] = [{"t": 700.0, "seat": "observer:cy", "text": "the zone"}]
    payload["mentor_flags"] = [{"t": 650.0, "seat": "mentor:di", "text": "good drain"}]
    return session, payload


def render(payload: dict) -> str:
    """Everything the debrief screen shows of a decoded debrief, as text."""
    d = decode_debrief(payload)
    r = d.report
    parts = [
        screen.measures_markup(r),
        screen.impact_markup(r),
        screen.harm_markup(r, str(d.truth.get("acknowledgement", ""))),
        screen.incidents_markup(d.truth.get("incidents") or []),
        screen.investigation_markup(d),
        screen.questions_markup(d),
        screen.roles_markup(d),
        screen.truth_markup(d),
        screen.solution_markup(d),
        screen.lessons_markup(d.postmortem),
    ]
    console = Console(file=io.StringIO(), width=160)
    console.print(screen.timeline_table(d.timeline, d.mentor_flags))
    lines = [screen.outcome_text(d), console.file.getvalue(), *role_lines(r.roles)]
    return "\n".join([p.plain for p in parts if p is not None] + lines)


def test_an_honest_debrief_passes_and_shows_every_part(played):
    _, payload = played
    text = render(copy.deepcopy(payload))
    assert "IMOC" in text and "TLOC" in text and "the zone" in text and "good drain" in text
    assert "Root cause" in text and "Traps" in text


@pytest.mark.parametrize("ref", SCENARIOS)
def test_every_scenarios_truth_passes_the_check(ref):
    session = LocalSession.start(ref, seed=1, journal=False)
    session.end_now()
    payload = json.loads(json.dumps(debrief_payload(session.debrief())))
    decode_debrief(payload)
    truth = json.loads(json.dumps(mentor_truth(session.sim)))
    assert check_mentor_truth(truth) == truth


WRONG = {
    "a trap whose match is a word": (("traps", 0, "match"), "restart"),
    "a why that is a dict": (("root_cause", "five_whys", 0), {"[b]": 1}),
    "an incident that is a number": (("truth", "incidents", 0), 3),
    "an incident without its number": (("truth", "incidents", 0), {}),  # read "#None from 00:00:00"
    "a guess without its time": (("truth", "root_cause_guesses", 0, "t"), "soon"),
    "a NaN error budget": (("report", "error_budget_burned_pct"), math.nan),
    "an infinite flag time": (("mentor_flags", 0, "t"), math.inf),
    "a guess at a time past any game": (("truth", "root_cause_guesses", 0, "t"), 1e300),
    "an IMOC without its counts": (("report", "roles", "imoc", "status_updates"), None),
    "lessons as one word": (("postmortem", "lessons"), "learn"),
    "an action item as a list": (("postmortem", "action_items", 0), ["a"]),
}


def put(payload: dict, path: tuple, value) -> None:
    """Set the value at ``path`` (keys and list indexes) of a nested payload."""
    node = payload
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@pytest.mark.parametrize("name", list(WRONG))
def test_a_debrief_part_of_the_wrong_shape_is_malformed(played, name):
    _, payload = played
    payload = copy.deepcopy(payload)
    path, value = WRONG[name]
    put(payload, path, value)
    with pytest.raises(MALFORMED_HOST_FRAME):
        decode_debrief(payload)


@pytest.mark.parametrize("part, value", [("traps", [{"match": "x"}]), ("faults", "all"), ("root_cause", None)])
def test_a_mentor_truth_of_the_wrong_shape_is_malformed(played, part, value):
    session, _ = played
    truth = {**json.loads(json.dumps(mentor_truth(session.sim))), part: value}
    with pytest.raises(MALFORMED_HOST_FRAME):
        check_mentor_truth(truth)


def paths(node, prefix=()) -> list[tuple]:
    """Every place in a nested payload (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i))
    return found


READ = ("report", "root_cause", "faults", "solution", "traps", "postmortem", "truth", "mentor_flags", "timeline")
WORDS = st.text(alphabet="abc xyz-", max_size=12)  # no "None", no braces: any leak below is the screen's own
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, width=32) | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_debrief_a_host_sends_is_refused_or_shown_clean(played, data):
    """Whatever one place of the debrief holds, the seat refuses the frame or every part renders with no
    raw dict and no None."""
    _, honest = played
    payload = copy.deepcopy(honest)
    for _ in range(data.draw(st.integers(1, 3))):
        places = [p for p in paths(payload) if p[0] in READ]  # again: a put may replace a whole branch
        put(payload, data.draw(st.sampled_from(places)), data.draw(JSON))
    try:
        text = render(payload)
    except MALFORMED_HOST_FRAME:
        return
    shown = [line for line in text.splitlines() if "{'" in line or "None" in line]
    assert not shown, shown


def test_a_seat_refuses_a_welcome_whose_mentor_truth_is_malformed(played):
    """The seat checks the truth as the welcome arrives (a refusal to join), not when the mentor opens it."""
    from tui.gameday.protocol import view_payload
    from tui.gameday.seat import RemoteSession

    session, _ = played
    truth = json.loads(json.dumps(mentor_truth(session.sim)))
    welcome = {
        "type": "welcome",
        "allowed": ["whisper"],
        "role": "mentor",
        "seat": "di",
        "briefing": json.loads(json.dumps(view_payload(session.briefing()))),
        "runbooks": json.loads(json.dumps(view_payload(session.runbooks()))),
    }
    seat = RemoteSession("127.0.0.1", 9, "t", "mentor", "di")  # never connected: the welcome alone
    seat._welcome({**welcome, "truth": truth})
    assert truth_lines(seat.truth) == truth_lines(truth)
    with pytest.raises(MALFORMED_HOST_FRAME):
        seat._welcome({**welcome, "truth": {**truth, "traps": [{"match": "restart", "why": "x"}]}})
