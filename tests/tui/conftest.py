"""Fixtures for TUI tests (the helpers they use live in tests/tui/helpers.py)."""

from __future__ import annotations

import gc

import pytest
from textual.css.stylesheet import Stylesheet

from tests.tui.helpers import StubConsole
from tui import heap
from tui.app import MisfortuneApp

HEAP_TESTS = frozenset({"test_heap.py"})
"""The files about the console's heap settling (tui.heap): their consoles settle and tidy as the app does."""


@pytest.fixture(autouse=True)
def _console_heap_not_settled(request, monkeypatch):
    """Outside HEAP_TESTS a console does not settle or tidy the heap (tui.heap: a full collection that
    freezes the survivors, then one after each panel switch).

    No other test asserts on them. In a test process a settle cost ~0.3 CPU-s: it walked every object of
    pytest's heap and freed the previous test's console (test_visible_text: 7.7-8.2 of its ~45 CPU-s). The
    freeing is paid anyway, by Python's own collections (the walk is what is saved: gen-2 collections 9.9 ->
    7.8 CPU-s over its 25 scenario tests). test_heap drives a real console through its settle, freeze, tidy
    and the stop at its end.
    """
    if request.node.path.name in HEAP_TESTS:
        return
    monkeypatch.setattr(heap, "settle", lambda: 0.0)
    monkeypatch.setattr(heap, "tidy", lambda: 0.0)


YOUNG_COLLECTION_EVERY = 7000
"""Allocations (less deallocations) between two young collections in a TUI test; Python's default is 700."""


@pytest.fixture(autouse=True)
def _fewer_collections(request):
    """Outside HEAP_TESTS Python's collector runs a tenth as often (its first threshold 10x, the others as
    they were), then as before once the test is done.

    A console test makes ~100,000 objects that live as long as its app, and each full collection Python
    started walked them and all of pytest's heap (~1 µs an object): 42 full collections, 7.4 of ~34 CPU-s
    of test_visible_text's 25 scenario tests; with this 13, 3.3 CPU-s (the file 34.1 -> 29.0). What the
    tests assert does not depend on when garbage is collected (no test outside HEAP_TESTS reads the
    collector); dead consoles wait a little longer to be freed, a few MB.
    """
    if request.node.path.name in HEAP_TESTS:
        yield
        return
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


_PARSED: dict[tuple, list] = {}
"""Textual CSS parsed by any app of this process: (what Textual keys its own cache on, the variables) -> rules."""
_textual_parse_rules = Stylesheet._parse_rules


def _parse_rules_once(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
    """Stylesheet._parse_rules, with the rules of a CSS text already parsed by an earlier app of this process."""
    key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(self._variables.items()))
    rules = _PARSED.get(key)
    if rules is None:
        rules = _PARSED[key] = _textual_parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
    return rules


@pytest.fixture(autouse=True)
def _css_parsed_once(monkeypatch):
    """Each app parses the same CSS (the app's, every widget class's defaults) into the same rules, ~30 ms of
    CPU an app, ~8 % of the TUI tests' CPU: an app after the first takes the rules parsed before.

    Textual already shares them so within one stylesheet (its ``_parse_cache``, keyed as here and emptied
    when the stylesheet's variables change): rules are not changed once parsed. CSS with errors gives the
    same rules with the same errors (Textual raises as before); another theme's variables parse anew
    (test_app_flow's theme test is red with the variables left out of the key)."""
    monkeypatch.setattr(Stylesheet, "_parse_rules", _parse_rules_once)


@pytest.fixture
def make_app():
    """Build an app with the stub console, a fixed wheel and the timer off (tests pump the clock)."""

    def build(*args, **kwargs) -> MisfortuneApp:
        kwargs.setdefault("console", StubConsole)
        kwargs.setdefault("spin_seed", 7)
        kwargs.setdefault("clock", False)
        return MisfortuneApp(*args, **kwargs)

    return build
