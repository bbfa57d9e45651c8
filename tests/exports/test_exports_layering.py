"""The exports wing reads no wall clock, imports no UI, and nothing else in the engine imports it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = sorted((ROOT / "simulator" / "exports").glob("*.py"))
WALL_CLOCK = re.compile(  # noqa: E501
    r"^\s*(import time\b|from time import|from datetime import|import datetime)|\btime\.time\(", re.M
)
UI = re.compile(r"^\s*(from|import) (textual|tui|rich)\b", re.M)


def test_exports_read_no_wall_clock_and_import_no_ui():
    assert EXPORTS
    for path in EXPORTS:
        text = path.read_text(encoding="utf-8")
        assert not WALL_CLOCK.search(text), f"{path.name}: the caller passes the epoch; exports never read the clock"
        assert not UI.search(text), f"{path.name} imports the UI"


def test_no_earlier_wing_imports_the_exports():
    for path in sorted((ROOT / "simulator").rglob("*.py")):
        if "exports" in path.parts:
            continue
        assert "simulator.exports" not in path.read_text(encoding="utf-8"), f"{path} imports the exports wing"
