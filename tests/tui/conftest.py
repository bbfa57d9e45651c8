"""Fixtures for TUI tests (the helpers they use live in tests/tui/helpers.py)."""

from __future__ import annotations

import pytest

from tests.tui.helpers import StubConsole
from tui.app import MisfortuneApp


@pytest.fixture
def make_app():
    """Build an app with the stub console, a fixed wheel and the timer off (tests pump the clock)."""

    def build(*args, **kwargs) -> MisfortuneApp:
        kwargs.setdefault("console", StubConsole)
        kwargs.setdefault("spin_seed", 7)
        kwargs.setdefault("clock", False)
        return MisfortuneApp(*args, **kwargs)

    return build
