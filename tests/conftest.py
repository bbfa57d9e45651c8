"""Shared test setup: no test reads or writes the real user data directory."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_misfortune_home(tmp_path_factory, monkeypatch):
    """Point MISFORTUNE_HOME at a fresh empty directory for every test."""
    monkeypatch.setenv("MISFORTUNE_HOME", str(tmp_path_factory.mktemp("misfortune-home")))
