"""Shadow on-call in the TUI: the expert's run played back, predictions, the debrief."""

from scenarios.language.solution import LOOK_PANELS
from tui.registry import PANELS


def test_look_panels_are_console_panels():
    assert set(LOOK_PANELS) <= {pid for pid, _key, _title in PANELS}
