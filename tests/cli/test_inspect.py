"""misfortune inspect: each view as text and JSON, stable JSON for a seed and time, bad input exit 2."""

from __future__ import annotations

import json

import pytest
from headless_kit import SHIPPED

from tui.cli import main


def _json(capsys, *argv: str) -> dict:
    assert main(["inspect", SHIPPED, *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_profile_json_is_stable_for_a_seed_and_time(capsys):
    argv = ("--at", "25m", "--seed", "3", "--show", "profile", "--service", "checkout")
    first = _json(capsys, *argv)
    assert first == _json(capsys, *argv)
    assert (first["scenario"], first["seed"], first["at_s"], first["show"]) == (SHIPPED, 3, 1500.0, "profile")
    cpu, heap = first["cpu"], first["heap"]
    assert (cpu["start"], cpu["end"]) == (1470.0, 1500.0)
    assert cpu["samples"] == sum(s["samples"] for s in cpu["stacks"])
    # The shipped leak's allocation site is the biggest and the only growing one.
    assert heap["sites"][0]["site"].endswith("RequestCache.put")
    assert heap["sites"][0]["growth_mb_per_min"] > 5
    other = _json(capsys, "--at", "25m", "--seed", "4", "--show", "profile", "--service", "checkout")
    assert other["cpu"] != cpu


@pytest.mark.parametrize("show", ["metrics", "logs", "traces", "changes", "alerts", "dump"])
def test_every_view_as_json_and_text(capsys, show):
    data = _json(capsys, "--at", "30m", "--show", show, "--service", "checkout", "--limit", "5")
    assert data["show"] == show
    assert main(["inspect", SHIPPED, "--at", "30m", "--show", show, "--service", "checkout", "--limit", "5"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{SHIPPED} seed 1 at 00:30:00: {show}")
    if show == "metrics":
        assert [s["name"] for s in data["services"]] == ["checkout"]
        assert all(i["service"] == "checkout" for i in data["instances"])
    if show == "logs":
        assert 0 < len(data["logs"]) <= 5 and all(r["service"] == "checkout" for r in data["logs"])
    if show == "dump":
        assert data["threads"]["total"] > 0
        assert data["crash"]["reason"] == "OOMKilled" and data["crash"]["exit_code"] == 137
        assert "Crash report of" in text and "Thread dump of" in text


def _rollbacks(data: dict) -> list[tuple]:
    return [
        (c["t"], c["service"], c["before"], c["after"], c["by"]) for c in data["changes"] if c["kind"] == "rollback"
    ]


def test_actions_file_is_applied_before_the_moment(capsys, actions_file):
    # (The history's deploy v2.4.1 -> v2.5.0 is in every change log: only the rollback record proves
    # that the file was applied.)
    data = _json(capsys, "--at", "40m", "--show", "changes", "--actions", str(actions_file))
    assert _rollbacks(data) == [(540.0, "checkout", "v2.5.0", "v2.4.1", "you")]
    assert data["at_s"] == 1260.0  # the file's resolve at 21m ended the session: the moment is its end
    assert _rollbacks(_json(capsys, "--at", "40m", "--show", "changes")) == []
    early = _json(capsys, "--at", "8m", "--show", "changes", "--actions", str(actions_file))
    assert (early["at_s"], _rollbacks(early)) == (480.0, [])  # the 9m rollback has not happened yet


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--at", "soon", "--show", "logs"], "--at:"),
        (["--at", "9h", "--show", "logs"], "outside the scenario"),
        (["--at", "5m", "--show", "logs", "--service", "nope"], "--service: no service 'nope'"),
        (["--at", "5m", "--show", "profile"], "need --service S or --instance I"),
        (["--at", "5m", "--show", "dump", "--instance", "checkout-x"], "--instance: no instance 'checkout-x'"),
        (["--at", "5m", "--show", "profile", "--service", "checkout", "--seconds", "0"], "--seconds"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(capsys, argv, message):
    assert main(["inspect", SHIPPED, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unknown_scenario_and_view(capsys):
    assert main(["inspect", "no-such-scenario", "--at", "5m", "--show", "logs"]) == 2
    assert "no-such-scenario" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["inspect", SHIPPED, "--at", "5m", "--show", "flames"])
    assert exc.value.code == 2


def test_the_data_view_as_text_and_json(capsys):
    argv = ["inspect", "db-failover-lost-writes", "--at", "12m", "--show", "data"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "config-db: primary config-db-2" in text
    assert "config-db-0          eu-west-1a     diverged" in text
    assert "data lost: 13,036 writes, recovery point 36.3s" in text
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["databases"][0]["primary"] == "config-db-2" and data["data_lost_records"] == 13036
    assert main(["inspect", SHIPPED, "--at", "1m", "--show", "data"]) == 0
    assert "no databases with data" in capsys.readouterr().out
