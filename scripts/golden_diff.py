"""Which report fields moved between two copies of tests/golden/reports.json, scenario by scenario.

    git show HEAD:tests/golden/reports.json > /tmp/before.json
    MISFORTUNE_UPDATE_GOLDEN=1 pytest tests/simulator/test_report_golden.py
    python scripts/golden_diff.py /tmp/before.json tests/golden/reports.json [max lines per scenario]

Read it before committing re-pinned goldens: every moved field should have a reason.
"""

from __future__ import annotations

import json
import sys


def walk(old, new, path: str, out: list[str]) -> None:
    """Append a line per added (+), removed (-) or changed (~) leaf under ``path``."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key not in old:
                out.append(f"+ {path}.{key}")
            elif key not in new:
                out.append(f"- {path}.{key}")
            else:
                walk(old[key], new[key], f"{path}.{key}", out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            walk(a, b, f"{path}[{i}]", out)
    elif old != new:
        out.append(f"~ {path}: {str(old)[:70]} -> {str(new)[:70]}")


def main(argv: list[str]) -> int:
    with open(argv[0]) as f:
        before = json.load(f)
    with open(argv[1]) as f:
        after = json.load(f)
    limit = int(argv[2]) if len(argv) > 2 else 12
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            print(f"{'NEW' if name not in before else 'GONE'} scenario {name}")
            continue
        out: list[str] = []
        walk(before[name], after[name], name, out)
        for line in out[:limit]:
            print(line)
        if len(out) > limit:
            print(f"  ... {len(out)} changes in {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
