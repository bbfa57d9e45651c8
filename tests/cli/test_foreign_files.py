"""Errors never echo a file the user did not ask to parse: a journal's scenario path at a system file."""

import json
from pathlib import Path

import pytest

from scenarios.catalog import load_by_ref
from simulator.session.runner import run_session
from tui.cli import main

SECRET = "root:x:0:0:root:/root:/bin/bash\ndaemon:secret-token-4f9a:1:1::/usr/sbin:/usr/sbin/nologin\n"


@pytest.fixture
def journal_to(tmp_path):
    """A finished journal whose header points its scenario at another file (by path, or by id)."""
    scenario, path = load_by_ref("checkout-oom-leak")
    base = tmp_path / "base.jsonl"
    run_session(scenario, 1, scenario.solution, journal_path=base, scenario_path=path)
    lines = base.read_text().splitlines()

    def make(target: str, field: str = "scenario_path") -> Path:
        header = json.loads(lines[0])
        header.update({field: target, "scenario_sha256": None})
        if field == "scenario":
            header["scenario_path"] = None
        journal = tmp_path / f"forged-{field}.jsonl"
        journal.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
        return journal

    return make


def system_files(tmp_path) -> list[str]:
    fake = tmp_path / "shadow"
    fake.write_text(SECRET)
    real = [p for p in ("/etc/passwd", "/etc/hosts") if Path(p).is_file()]
    return [str(fake), *real]


@pytest.mark.parametrize("field", ["scenario_path", "scenario"])
@pytest.mark.parametrize("command", [["replay"], ["postmortem"], ["history", "--add"]])
def test_a_journal_pointing_at_a_system_file_names_it_and_never_shows_it(journal_to, tmp_path, capsys, command, field):
    for target in system_files(tmp_path):
        journal = journal_to(target, field)
        assert main([*command, str(journal)]) == 2
        captured = capsys.readouterr()
        if field == "scenario_path":
            assert f"{target} is not a scenario file" in captured.err, captured.err
        else:  # an id is never a path: the header is refused before any file is opened
            assert captured.err.startswith(f"{journal}:1: header: scenario"), captured.err
        assert "Traceback" not in captured.err
        content = Path(target).read_text(errors="replace")
        for line in filter(None, (line.strip() for line in content.splitlines())):
            if len(line) > 6:  # any line of the file, or a long piece of it, would be an echo
                assert line not in captured.err and line[:12] not in captured.err, line
        assert captured.out == ""


def test_a_journal_pointing_at_a_device_or_a_huge_file_is_not_read(journal_to, tmp_path, capsys):
    """Neither is hashed nor parsed: the scenario is found by the journal's id instead, and the replay works."""
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as f:
        f.truncate(50_000_000)  # sparse: 50 MB of zeros that a hash would have to read
    for target in [str(huge), "/dev/zero"]:
        assert main(["replay", str(journal_to(target)), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["scenario"] == "checkout-oom-leak"
