"""The shift journal: one JSONL file, replayable to the same report, resumable after an interruption."""

from __future__ import annotations

import json

import pytest
from shiftkit import BENCH_ACTIONS, bench_library  # noqa: F401 (bench_library pins the library plans draw from)

from simulator.shift.journal import JournalError, read_shift_journal
from simulator.shift.report import shift_report
from simulator.shift.runner import play_steps, replay_shift, resume_shift, run_shift
from simulator.shift.steps import load_steps


def without_end(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "end_reason"}


@pytest.fixture(scope="module")
def journalled(tmp_path_factory):
    path = tmp_path_factory.mktemp("shift") / "shift.jsonl"
    shift, report = run_shift(2, load_steps(BENCH_ACTIONS), journal_path=path)
    return path, report


def test_records_carry_the_incident_they_target(journalled):
    path, _ = journalled
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["type"] == "header" and records[0]["kind"] == "shift"
    assert records[0]["plan"]["incidents"][0]["scenario"] == "checkout-oom-leak"
    steps = [r for r in records if r["type"] == "step"]
    assert {r["step"].get("incident") for r in steps} == {None, 1, 2}
    assert records[-1]["type"] == "end"


def test_a_replay_gives_the_same_report(journalled):
    path, report = journalled
    _, replayed = replay_shift(path)
    assert replayed == report


def test_an_interrupted_shift_resumes_to_the_same_report(journalled, tmp_path):
    path, report = journalled
    lines = path.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if '"incident":2' in line)
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join(lines[:cut]) + lines[cut][:25])  # killed mid-write
    shift = resume_shift(partial)
    rest = [s for s in load_steps(BENCH_ACTIONS) if s.at >= shift.now]
    try:
        play_steps(shift, rest)
    finally:
        shift.journal.close()
    assert without_end(shift_report(shift)) == without_end(report)
    _, replayed = replay_shift(partial)
    assert without_end(replayed) == without_end(report)


def test_a_finished_shift_does_not_resume(journalled):
    path, _ = journalled
    with pytest.raises(JournalError, match="this shift ended"):
        resume_shift(path)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda lines: lines[1:], ":1: a shift journal starts with a shift header record"),
        (lambda lines: [lines[0], '{"type":"step","t":-5,"step":{"action":"ack"}}'], ":2: bad step record: t:"),
        (lambda lines: [lines[0], '{"type":"step","t":5,"step":{"action":"explode"}}'], ":2: bad step record"),
        (
            lambda lines: [lines[0], '{"type":"step","t":NaN,"step":{"action":"ack"}}', lines[0]],
            ":2: bad step record: t: Input should be a finite number",
        ),
        (lambda lines: [lines[0], '{"type":"wat","t":5}'], ":2: unknown record type 'wat'"),
        (lambda lines: [lines[0].replace('"repeat":1', '"repeat":50')], ":1: bad header record: policy.repeat"),
        (lambda lines: [lines[0], lines[-1], lines[1]], ":3: a record after the end record"),
    ],
)
def test_a_bad_journal_names_the_line(journalled, tmp_path, mangle, message):
    path, _ = journalled
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(line.rstrip("\n") for line in mangle(path.read_text().splitlines())) + "\n")
    with pytest.raises(JournalError) as err:
        read_shift_journal(bad)
    assert message in str(err.value)
