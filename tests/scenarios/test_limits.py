"""Bounds for every input (scenarios/limits.py): each refused with file:line:col and a reason, fast."""

import os
import re
import subprocess
import sys
import time

import pytest

from scenarios.catalog import library_dir
from scenarios.limits import (
    MAX_ACTIONS,
    MAX_FILE_BYTES,
    MAX_TICKS,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    yaml_shape_problem,
)
from scenarios.loader import ScenarioError, load_actions, load_scenario, load_scenario_text

RETRY_STORM = (library_dir() / "retry-storm.yaml").read_text()


def problems_of(text: str, name: str = "t.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, name)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (".nan", "t.yaml:5:11: duration: a duration must be a finite number of seconds, not nan"),
        (".inf", "t.yaml:5:11: duration: a duration must be a finite number of seconds, not inf"),
        ("-.inf", "t.yaml:5:11: duration: a duration must be a finite number of seconds, not -inf"),
        ("1.0e+308", "t.yaml:5:11: duration: 1e+308 is too long: durations are at most 366 days either way"),
        ("1e308", "t.yaml:5:11: duration: '1e308' is not a duration"),  # YAML 1.1 reads it as text
        ("99999999999999d", "t.yaml:5:11: duration: '99999999999999d' is too long"),
        ("-5m", "t.yaml:5:11: duration: Input should be greater than 0"),
        ("48h", "t.yaml:5:11: duration: Input should be less than or equal to 86400"),
    ],
)
def test_non_finite_huge_and_negative_durations_are_refused_with_their_place(minimal_text, value, expected):
    lines = problems_of(minimal_text.replace("duration: 1h", f"duration: {value}"))
    assert lines[0].startswith(expected), lines


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("mb_per_min: 8", "mb_per_min: .nan", "t.yaml:21:17: faults[0].mb_per_min: Input should be a finite number"),
        ("mb_per_min: 8", "mb_per_min: .inf", "t.yaml:21:17: faults[0].mb_per_min: Input should be a finite number"),
        ("mb_per_min: 8", "mb_per_min: 1.0e+300", "t.yaml:21:17: faults[0].mb_per_min: 1e+300 is out of range"),
        ("    at: 0s\n", "    at: -1m\n", "t.yaml:18:9: faults[0].at: -1m is negative"),
        ("{checkout: 1.0}", "{checkout: 1.0e+9}", "t.yaml:12:25: topology.services[0].calls.checkout: Input should be"),
        ("{checkout: 1.0}", "{checkout: -1}", "t.yaml:12:25: topology.services[0].calls.checkout: Input should be"),
        ("replicas: 2\n      version", "replicas: 5000\n      version", "t.yaml:14:17: topology.services[1].repl"),
        ("duration: 1h", "duration: 1h\ntick: 1ms", "t.yaml:6:7: tick: Input should be greater than or equal to 0.25"),
    ],
)
def test_numbers_are_finite_and_bounded(minimal_text, old, new, expected):
    assert old in minimal_text
    lines = problems_of(minimal_text.replace(old, new))
    assert lines[0].startswith(expected), lines


def test_too_many_ticks_replicas_and_calls_per_request(minimal_text):
    text = minimal_text.replace("duration: 1h", "duration: 24h\ntick: 500ms")
    assert any(f"tick: duration / tick is 172,800 steps, more than {MAX_TICKS:,}" in p for p in problems_of(text))
    text = minimal_text.replace("replicas: 2", "replicas: 499").replace(
        "  zones: [zone-a, zone-b]", "  zones: [zone-a, zone-b]"
    )
    many = text.replace(
        "    - name: checkout\n",
        "".join(f"    - {{name: extra-{i}, replicas: 400}}\n" for i in range(4)) + "    - name: checkout\n",
    )
    assert any("replicas in all are too many (at most 2,000" in p for p in problems_of(many))
    chain = minimal_text.replace(
        "      calls: {checkout: 1.0}\n", "      calls: {checkout: 40}\n      retries: 5\n"
    ).replace(
        "      version: v2.0.0\n", "      version: v2.0.0\n      calls: {db: 40}\n      retries: 5\n    - name: db\n"
    )
    lines = problems_of(chain)
    assert any("topology.services: one request to 'frontend' causes about" in p for p in lines), lines


def test_variables_whose_combinations_explode_are_refused_before_any_is_validated(minimal_text):
    variables = "variables:\n" + "".join(f"  v{i}: [a, b, c, d]\n" for i in range(30))
    started = time.process_time()  # CPU: the guard is against work, not a loaded machine
    lines = problems_of(minimal_text + variables)
    assert time.process_time() - started < 2
    assert lines[0].startswith("t.yaml:28:3: variables: 1,152,921,504,606,846,976 combinations of values are too many")


def test_deep_nesting_is_refused_at_its_place_before_python_recursion_runs_out():
    for text in ("a: " + "[" * 100_000 + "]" * 100_000, "a: " + "{b: " * 5_000 + "1" + "}" * 5_000):
        lines = problems_of(text)
        assert re.match(r"t\.yaml:1:\d+: nesting is deeper than 32 levels", lines[0]), lines
    exact = "a: " + "[" * (MAX_YAML_DEPTH - 1) + "1" + "]" * (MAX_YAML_DEPTH - 1)
    assert yaml_shape_problem(exact) is None
    assert "deeper" in yaml_shape_problem("a: " + "[" * MAX_YAML_DEPTH + "1" + "]" * MAX_YAML_DEPTH)[2]


def test_the_composer_guard_holds_even_when_the_prescan_is_skipped(monkeypatch):
    monkeypatch.setattr("scenarios.loader.yaml_shape_problem", lambda text: None)
    lines = problems_of("a: " + "[" * 500 + "]" * 500)
    assert "nesting is deeper than 32 levels" in lines[0]


def test_alias_bombs_and_recursive_aliases_are_refused():
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)
    )
    lines = problems_of(laughs)
    assert re.match(rf"t\.yaml:\d+:\d+: the file stands for more than {MAX_YAML_NODES:,} values", lines[0]), lines
    assert problems_of("a: &a [1, *a]\n")[0] == (
        "t.yaml:1:11: alias *a is inside its own anchor (a structure that contains itself)"
    )


def test_the_shipped_scenarios_are_far_inside_every_bound():
    for path in sorted(library_dir().glob("*.yaml")):
        text = path.read_text()
        assert yaml_shape_problem(text) is None
        load_scenario(path)
        assert len(text) < MAX_FILE_BYTES / 50


def test_file_size_is_checked_before_reading_and_devices_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_FILE_BYTES)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(big)
    assert str(caught.value) == f"{big}: the file is 1,000,003 bytes, more than the limit of 1,000,000; " + (
        "a scenario is far smaller"
    )
    if os.path.exists("/dev/zero"):
        with pytest.raises(ScenarioError, match="is not a regular file"):
            load_scenario("/dev/zero")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="is not a regular file"):
        load_actions(fifo)


def test_actions_files_get_the_same_bounds(tmp_path):
    path = tmp_path / "actions.yaml"
    path.write_text("- {at: .nan, action: ack}\n- {at: .inf, action: note, text: x}\n- {at: 1.0e+308, action: ack}\n")
    with pytest.raises(ScenarioError) as caught:
        load_actions(path)
    lines = [str(p) for p in caught.value.problems]
    assert lines[0] == f"{path}:1:8: [0].at: a duration must be a finite number of seconds, not nan"
    assert lines[1] == f"{path}:2:8: [1].at: a duration must be a finite number of seconds, not inf"
    assert lines[2].startswith(f"{path}:3:8: [2].at: 1e+308 is too long")
    path.write_text("- {at: 1m, action: set_memory_limit, service: checkout, limit_mb: 1.0e12}\n")
    with pytest.raises(ScenarioError, match=r":1:67: \[0\]\.limit_mb: Input should be less than or equal to"):
        load_actions(path)
    path.write_text("".join(f"- {{at: {i}s, action: ack}}\n" for i in range(MAX_ACTIONS + 1)))
    with pytest.raises(ScenarioError, match="2,001 actions are too many for one file"):
        load_actions(path)


ADVERSARIAL = {
    "deep.yaml": "a: " + "[" * 200_000 + "]" * 200_000 + "\n",
    "laughs.yaml": "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 13)),
    "variables.yaml": RETRY_STORM.replace(
        "variables:\n", "variables:\n" + "".join(f"  v{i}: [a, b, c, d, e, f]\n" for i in range(40)), 1
    ),
    "replicas.yaml": re.sub(r"replicas: \d+", "replicas: 499", RETRY_STORM),
    "flat.yaml": "[" + ",".join(["1"] * 450_000) + "]\n",
    "strings.yaml": "id: x\nbriefing: " + "y" * 990_000 + "\n",
    "keys.yaml": "".join(f"k{i}: {{a: [x, y, z]}}\n" for i in range(40_000))[: MAX_FILE_BYTES - 10],
}


# Runs the command line in the child and, as it exits, writes the peak RSS of its own address space
# (VmHWM). ru_maxrss would not do: Linux carries a forked child's pre-exec size into it, so under an
# xdist worker of several hundred MB every child looked that big.
_PEAK_WRAPPER = """
import atexit, runpy, sys
out = sys.argv[1]
def _peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(out, "w") as f:
        f.write(kb)
atexit.register(_peak)
sys.argv = ["misfortune", *sys.argv[2:]]
runpy.run_module("tui.cli", run_name="__main__")
"""


HANG_S = 180.0


def _run_measured(args: list[str], where) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``misfortune ARGS`` to its end: its outcome, CPU seconds and peak RSS in MB. The limits are on CPU
    and memory; ``HANG_S`` of wall time only catches a child that never ends (a loaded machine gives a child
    that needs 4 CPU-s a tenth of a core: 30 s of wall ran out)."""
    out, err, peak = where / "stdout.txt", where / "stderr.txt", where / "peak.txt"
    argv = [sys.executable, "-c", _PEAK_WRAPPER, str(peak), *args]
    with out.open("w") as o, err.open("w") as e:
        child = subprocess.Popen(argv, stdout=o, stderr=e, text=True)
        deadline = time.monotonic() + HANG_S
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)  # this child's own CPU time
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                child.wait()
                raise AssertionError(f"{args} ran over {HANG_S:g} s of wall time")
            time.sleep(0.01)
    child.returncode = os.waitstatus_to_exitcode(status)
    done = subprocess.CompletedProcess(argv, child.returncode, out.read_text(), err.read_text())
    return done, usage.ru_utime + usage.ru_stime, int(peak.read_text()) / 1024


def test_validate_of_any_file_under_1mb_takes_under_5s_and_500mb(tmp_path):
    for name, text in ADVERSARIAL.items():
        assert len(text.encode()) < MAX_FILE_BYTES, name
        (tmp_path / name).write_text(text)
    for name in ADVERSARIAL:
        # The child's own CPU time and peak memory, not wall time (a shared machine stretches it) and not
        # RUSAGE_CHILDREN (an xdist worker's earlier children would stand in its peak).
        done, elapsed, peak_mb = _run_measured(["validate", str(tmp_path / name)], tmp_path)
        assert done.returncode == 2, (name, done.stdout, done.stderr[-2000:])
        assert "Traceback" not in done.stderr and done.stderr.startswith(str(tmp_path / name)), done.stderr[-2000:]
        assert elapsed < 5, (name, elapsed)
        assert peak_mb < 500, (name, peak_mb)
