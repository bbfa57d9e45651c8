"""Sum the per-test CPU seconds recorded under MISFORTUNE_TEST_CPU by file, heaviest first.

    MISFORTUNE_TEST_CPU=/tmp/cpu .venv/bin/pytest -n auto
    python scripts/test_cpu.py /tmp/cpu [--tests 40]

Prints each file's CPU seconds (the test process's plus reaped children's), wall seconds and test count,
then the heaviest single tests, then the totals (collection is paid once per xdist worker).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def load(directory: Path) -> list[dict]:
    """Every record of every worker file in ``directory``."""
    records = []
    for path in sorted(directory.glob("cpu-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def main() -> None:
    """Print the per-file and per-test tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--tests", type=int, default=40, help="how many of the heaviest tests to list")
    args = parser.parse_args()
    records = load(args.directory)
    collection = [r["cpu"] for r in records if r["test"] == "<collection>"]
    tests = [r for r in records if r["test"] != "<collection>"]
    by_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for record in tests:
        row = by_file[record["test"].split("::")[0]]
        row[0] += record["cpu"] + record["children"]
        row[1] += record["wall"]
        row[2] += 1
    print(f"{'CPU s':>8} {'wall s':>8} {'tests':>6}  file")
    for name, (cpu, wall, count) in sorted(by_file.items(), key=lambda kv: -kv[1][0]):
        print(f"{cpu:8.1f} {wall:8.1f} {count:6d}  {name}")
    print(f"\n{'CPU s':>8} {'wall s':>8}  test")
    for record in sorted(tests, key=lambda r: -(r["cpu"] + r["children"]))[: args.tests]:
        print(f"{record['cpu'] + record['children']:8.2f} {record['wall']:8.2f}  {record['test']}")
    cpu = sum(r["cpu"] + r["children"] for r in tests)
    children = sum(r["children"] for r in tests)
    print(
        f"\ntotal: {len(tests)} tests, {cpu:.1f} CPU s ({children:.1f} of it in children), "
        f"collection {sum(collection):.1f} CPU s over {len(collection)} process(es)"
    )


if __name__ == "__main__":
    main()
