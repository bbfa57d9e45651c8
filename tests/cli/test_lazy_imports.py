"""Start-up cost: commands that draw nothing never import Textual, and the TUI's first frame needs
neither the simulator nor the scenario language (they load after it). Each check runs in a fresh
interpreter, so modules an earlier test imported cannot hide an import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scenarios.catalog import library_dir
from tui.widgets.markdown import HIGHLIGHT

UI = ("textual", "rich.live")
HEAVY = ("simulator", "scenarios.language", "scenarios.catalog", "pydantic")


def modules_after(code: str, tmp_path) -> list[str]:
    """Module names loaded once ``code`` ran in a fresh interpreter (stdout of the code is dropped)."""
    probe = (
        "import contextlib, io, json, sys\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {"MISFORTUNE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == r or m.startswith(r + ".") for r in roots)]


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["list"],
        ["validate", str(library_dir() / "checkout-oom-leak.yaml")],
        ["run", "checkout-oom-leak", "--seed", "1"],
    ],
    ids=["help", "list", "validate", "run"],
)
def test_commands_that_draw_nothing_never_import_textual(argv, tmp_path):
    code = (
        f"from tui.cli import main\ntry:\n    code = main({argv!r})\n"
        "except SystemExit as stop:\n    code = stop.code\nassert code in (0, None), code"
    )
    modules = modules_after(code, tmp_path)
    assert "tui.cli" in modules
    assert loaded(modules, UI) == [], f"misfortune {' '.join(argv)} imported the UI"


def test_the_home_screen_needs_neither_the_simulator_nor_the_language(tmp_path):
    """Everything the wheel's first frame is drawn from: the command line, the app, the home screen."""
    modules = modules_after("import tui.cli, tui.app, tui.screens.home, tui.commands.tui_commands", tmp_path)
    assert "textual.app" in modules
    assert loaded(modules, HEAVY) == [], "these load before the first frame of `misfortune`"


def test_scenario_helpers_do_not_build_the_language(tmp_path):
    modules = modules_after("import scenarios.text", tmp_path)
    assert loaded(modules, HEAVY) == []
    modules = modules_after("import scenarios\nscenarios.load_by_ref", tmp_path)
    assert "scenarios.language.scenario" in modules, "the package's names still load on first use"


def test_the_briefing_of_play_paints_before_the_simulator_and_the_language(tmp_path):
    """``misfortune play <shipped id>`` in a terminal: its parser, the app and the briefing load first; the
    session (simulator, language) is started by the app after the first frame."""
    code = (
        "from tui.cli import build_parser\nfrom tui.commands import tui_commands\n"
        "import tui.app, tui.screens.briefing\n"
        "args = build_parser([tui_commands]).parse_args(['play', 'checkout-oom-leak', '--seed', '1'])\n"
        "assert tui_commands.shipped_id(args.scenario)\n"
        "tui.app.MisfortuneApp.play_later(args.scenario, args.seed)"
    )
    modules = modules_after(code, tmp_path)
    assert "textual.app" in modules and "tui.screens.briefing" in modules
    assert loaded(modules, HEAVY) == [], "these load before the first frame of `misfortune play`"


ON_FIRST_USE = ("tui.screens.runbook_editor", "textual.widgets._text_area", "textual.document", "pygments", HIGHLIGHT)
"""What the console holds only once it is used: the runbook editor (``e``), and pygments for a runbook's
code block (no shipped runbook has one)."""


def test_the_console_loads_the_runbook_editor_and_pygments_only_when_used(tmp_path):
    modules = modules_after("import tui.app, tui.screens.console, tui.widgets.runbooks", tmp_path)
    assert "textual.widgets._markdown" in modules, "the runbooks panel shows Textual's Markdown"
    assert loaded(modules, ON_FIRST_USE) == [], "a console holds these all session"
    code = (
        "from tui.widgets.runbooks import RunbooksPanel\nimport tui.screens.runbook_editor\n"
        "from textual.widgets._markdown import MarkdownFence\nMarkdownFence.highlight('x = 1', 'python')"
    )
    used = modules_after(code, tmp_path)
    assert [m for m in ON_FIRST_USE if m not in used] == [], "each loads once it is used"


def test_a_runbook_code_block_is_highlighted_as_textual_highlights_it():
    """Textual's Markdown highlights through tui.widgets.markdown's stand-in, which calls Textual's own."""
    from textual.highlight import HighlightTheme, highlight
    from textual.widgets._markdown import MarkdownFence

    import tui.widgets.markdown

    code = "def page(oncall):\n    return oncall.ack()  # 5 minutes\n"
    shown = MarkdownFence.highlight(code, "python")
    assert shown == highlight(code, language="python", theme=HighlightTheme)
    assert len(shown.spans) > 3, "highlighted, not plain"
    assert tui.widgets.markdown.Markdown.__module__ == "textual.widgets._markdown"
