"""The journal session: validation with file:line errors, replay keeping seats, replay to t, torn lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios import load_by_ref
from scenarios.language.actions import ACTION_ADAPTER
from simulator.session.journal import Journal, JournalError, cut_torn_line, read_journal
from simulator.session.journal_session import JournalSession, replay_journal
from simulator.session.runner import session_header
from simulator.session.simulation import Simulation

SCENARIO = "checkout-oom-leak"
HEADER = {"type": "header", "format": 1, "scenario": SCENARIO, "seed": 1}
GAME_DAY = [
    (300.0, "imoc:ana", {"action": "ack"}),
    (330.0, "imoc:ana", {"action": "set_severity", "severity": "SEV2"}),
    (420.0, "tloc:bo", {"action": "hypothesis", "text": "checkout v2.5.0 leaks memory"}),
    (540.0, "tloc:bo", {"action": "rollback_deploy", "service": "checkout"}),
    (560.0, "facilitator", {"action": "inject", "kind": "message", "sender": "@vp", "text": "status?"}),
    (600.0, "imoc:ana", {"action": "status_update", "text": "rolled back checkout"}),
]
"""Who did what in a small game day (the facilitator's inject included)."""


@pytest.fixture(scope="module")
def shipped():
    return load_by_ref(SCENARIO)


def record_game_day(shipped, path: Path, until: float = 900.0, end: str | None = "time_up") -> Simulation:
    """Play GAME_DAY live into a journal at ``path``; the live Simulation is returned."""
    scenario, scenario_path = shipped
    journal = Journal(path, session_header(scenario, 1, scenario_path))
    sim = Simulation(scenario, 1, journal)
    for t, seat, fields in GAME_DAY:
        sim.run_until(t)
        assert sim.apply(ACTION_ADAPTER.validate_python(fields), seat).accepted
        sim.look("panel", seat, name="dashboards")
    sim.run_until(until)
    if end is not None:
        sim.end(end)
    journal.close()
    return sim


def who_did_what(sim: Simulation) -> list[tuple[float, str, str, str]]:
    return [(e.t, e.source, e.kind, e.text) for e in sim.timeline() if e.source != "system"]


def test_replay_keeps_the_seat_of_every_action(shipped, tmp_path):
    live = record_game_day(shipped, tmp_path / "j.jsonl")
    replayed, report = replay_journal(tmp_path / "j.jsonl")
    assert who_did_what(replayed) == who_did_what(live)
    assert {source for _, source, _, _ in who_did_what(replayed)} == {"imoc:ana", "tloc:bo"}
    assert replayed.messages() == live.messages() and any(m.sender == "@vp" for m in replayed.messages())
    assert report == live.score()
    assert set(report.roles) == {"imoc", "tloc"} and report.roles["tloc"]["mitigations"]


def test_replay_to_t_is_the_session_as_it_was_then(shipped, tmp_path):
    record_game_day(shipped, tmp_path / "j.jsonl")
    session = JournalSession.open(tmp_path / "j.jsonl")
    at_450 = session.replay_to(450.0)
    assert at_450.now == 450.0 and at_450.ended_at is None
    assert [(source, kind) for _, source, kind, _ in who_did_what(at_450)] == [
        ("imoc:ana", "ack"),
        ("imoc:ana", "set_severity"),
        ("tloc:bo", "hypothesis"),
    ]
    live = Simulation(shipped[0], 1)
    for t, seat, fields in GAME_DAY[:3]:
        live.run_until(t)
        live.apply(ACTION_ADAPTER.validate_python(fields), seat)
    live.run_until(450.0)
    assert at_450.score() == live.score()
    assert at_450.metric("checkout", "error_ratio").values == live.metric("checkout", "error_ratio").values


# --- validation ------------------------------------------------------------------------------------

ACTION = {"type": "action", "t": 5.0, "seat": "trainee", "action": {"action": "ack"}, "accepted": True}
BAD_RECORDS = [
    ('{"type":"action","t":"12","seat":"trainee","action":{"action":"ack"}}', "t: must be a number"),
    ('{"type":"action","t":null,"seat":"trainee","action":{"action":"ack"}}', "t: must be a number"),
    ('{"type":"action","t":NaN,"seat":"trainee","action":{"action":"ack"}}', "t: must be a finite number"),
    ('{"type":"look","t":Infinity,"seat":"trainee","what":"console"}', "t: must be a finite number"),
    ('{"type":"action","t":-3,"seat":"trainee","action":{"action":"ack"}}', "t: must be a finite number"),
    ('{"type":"look","t":true,"seat":"trainee","what":"console"}', "t: must be a number"),
    ('{"type":"look","t":1.0,"seat":"trainee","what":"console"}', "goes back in time (line 2 is at 5s)"),
    ('{"type":"frob","t":6}', "unknown record type 'frob'"),
    ('["action", 6]', "unknown record without a 'type'"),
    ('{"type":"header","format":1,"scenario":"x","seed":1}', "unknown record type 'header'"),
    ('{"type":"action","t":6,"seat":"trainee","action":{"action":"frobnicate"}}', "does not match any of the"),
    ('{"type":"action","t":6,"seat":"trainee","action":{"action":"scale","service":"x"}}', "replicas: Field required"),
    ('{"type":"action","t":6,"seat":"root","action":{"action":"ack"}}', "unknown seat 'root'"),
    ('{"type":"action","t":6,"seat":"admin:eve","action":{"action":"ack"}}', "unknown seat 'admin:eve'"),
    ('{"type":"look","t":6,"seat":"imoc:","what":"console"}', "unknown seat 'imoc:'"),
    ('{"type":"look","t":6,"what":"console"}', "seat: Field required"),
    ('{"type":"action","t":6,"seat":"trainee","action":{"action":"ack"},"forged":1}', "forged: Extra inputs"),
    ('{"type":"end","t":6,"reason":"hacked"}', "reason: Input should be 'resolved'"),
    ('{"type":"action","t":6,', "not a JSON record"),
]


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "message"), BAD_RECORDS, ids=[m for _, m in BAD_RECORDS])
def test_a_bad_record_is_a_file_line_error(tmp_path, line, message):
    end = json.dumps({"type": "end", "t": 9.0, "reason": "time_up"})
    path = write_lines(tmp_path / "j.jsonl", json.dumps(HEADER), json.dumps(ACTION), line, end)
    with pytest.raises(JournalError) as err:
        read_journal(path)
    assert str(err.value).startswith(f"{path}:3: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({**HEADER, "seed": "1"}, "seed: Input should be a valid integer"),
        ({**HEADER, "seed": True}, "seed: Input should be a valid integer"),
        ({**HEADER, "scenario": "/etc/passwd"}, "scenario: String should match pattern"),
        ({**HEADER, "format": 2}, "format: Input should be 1"),
        ({"type": "look", "t": 0, "seat": "trainee", "what": "x"}, "must start with a header record"),
    ],
)
def test_a_bad_header_is_a_line_1_error(tmp_path, header, message):
    path = write_lines(tmp_path / "j.jsonl", json.dumps(header), json.dumps(ACTION))
    with pytest.raises(JournalError) as err:
        read_journal(path)
    assert str(err.value).startswith(f"{path}:1: ") and message in str(err.value)


def test_a_record_after_the_end_of_the_scenario_is_refused(tmp_path):
    late = {**ACTION, "t": 7201.0}
    path = write_lines(tmp_path / "j.jsonl", json.dumps(HEADER), json.dumps(ACTION), json.dumps(late))
    with pytest.raises(JournalError) as err:
        JournalSession.open(path)
    assert str(err.value).startswith(f"{path}:3: ") and "after the end of scenario" in str(err.value)


# --- torn last line ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        (b'{"type":"look","t":950.0,"se', "no newline at its end"),
        (b'{"type":"look","t":950.0,"seat":"trainee","what":"console"}', "no newline at its end"),
        (b'{"type":"look","t":950.0,"se\n', "not a JSON record"),
        (b'{"type":"look","t":950.0,"seat":"tr\xc3', "no newline at its end"),
    ],
    ids=["cut-mid-record", "cut-before-newline", "garbage-line", "cut-mid-character"],
)
def test_a_torn_last_line_is_reported_ignored_and_cut(shipped, tmp_path, tail, why):
    path = tmp_path / "j.jsonl"
    live = record_game_day(shipped, path, end=None)
    committed = path.read_bytes()
    path.write_bytes(committed + tail)
    data = read_journal(path)
    assert data.torn is not None and why in data.torn.why
    assert data.torn.line == committed.count(b"\n") + 1 and data.torn.offset == len(committed)
    session = JournalSession.open(path)
    assert session.torn_notice.startswith(f"{path}:{data.torn.line}: the last line is torn")
    replayed, _ = session.replay()
    assert who_did_what(replayed) == who_did_what(live)
    cut_torn_line(path, data)
    assert path.read_bytes() == committed
    assert read_journal(path).torn is None


def test_a_line_in_the_middle_that_does_not_parse_is_an_error_not_a_torn_line(tmp_path):
    path = write_lines(tmp_path / "j.jsonl", json.dumps(HEADER), '{"type":"act', json.dumps(ACTION))
    with pytest.raises(JournalError, match=r":2: not a JSON record"):
        read_journal(path)


def test_cutting_refuses_a_journal_that_grew_since_it_was_read(shipped, tmp_path):
    path = tmp_path / "j.jsonl"
    record_game_day(shipped, path, end=None)
    path.write_bytes(path.read_bytes() + b'{"type":"lo')
    data = read_journal(path)
    path.write_bytes(path.read_bytes() + b'ok"}\n')
    with pytest.raises(JournalError, match="changed while it was being read"):
        cut_torn_line(path, data)


def test_a_look_detail_cannot_forge_an_action_record(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path, {"scenario": SCENARIO, "seed": 1})
    journal.look(3.0, "observer:eve", "panel", type="action", action={"action": "resolve"}, accepted=True)
    journal.close()
    data = read_journal(path)
    assert data.actions == [] and [(look["type"], look["seat"]) for look in data.looks] == [("look", "observer:eve")]


def test_whatever_a_seat_may_journal_reads_back(tmp_path):
    """A seat's look frame allows any 'what' up to 64 characters and any detail: the journal must read it."""
    path = tmp_path / "j.jsonl"
    journal = Journal(path, {"scenario": SCENARIO, "seed": 1})
    journal.look(1.0, "observer:eve", "", note="[bold", nested={"deep": [1, None, "x"]})
    journal.look(2.0, "tloc:bo", "w" * 64)
    journal.close()
    assert [look["what"] for look in read_journal(path).looks] == ["", "w" * 64]


def test_a_journal_too_big_or_not_a_file_is_refused_before_reading(tmp_path):
    """Both journal formats share one reader: a huge file or a directory is an error, never a read."""
    from simulator.session.journal import MAX_JOURNAL_BYTES
    from simulator.shift.journal import read_shift_journal

    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as f:
        f.truncate(MAX_JOURNAL_BYTES + 1)  # sparse: costs no disk
    for read in (read_journal, read_shift_journal):
        with pytest.raises(JournalError, match="larger than 64 MB"):
            read(huge)
        with pytest.raises(JournalError, match="not a regular file"):
            read(tmp_path)
