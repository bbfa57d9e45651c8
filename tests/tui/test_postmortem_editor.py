"""The postmortem inside the app (issue 14, deliverable 8): the draft opens from the debrief, the trainee edits
summary, five whys, action items (owner, priority, deadline) and lessons, saves Markdown; history links it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea

from tests.tui.helpers import SCENARIO, play_reference_solution
from tui.postmortem_draft import (
    WHYS_SECTION,
    DraftError,
    PostmortemEdits,
    apply_edits,
    edits_from_draft,
    parse_action_items,
    postmortem_path,
)
from tui.screens.debrief import DebriefScreen
from tui.screens.postmortem_editor import PostmortemEditor
from tui.session import LocalSession

GOLDEN = Path(__file__).parents[1] / "golden" / "checkout-oom-leak.md"


def test_edits_round_trip_and_keep_the_engines_sections():
    draft = GOLDEN.read_text()
    engine = edits_from_draft(draft)
    assert engine.summary.startswith("From T+00:00:07") and len(engine.action_items) == 3 and engine.lessons
    mine = PostmortemEdits(
        "Checkout pods were OOM-killed after v2.5.0; rolled back.",
        ("checkouts failed", "pods were killed", "memory grew", "", ""),
        parse_action_items("Bound the cart cache | @checkout-team | p1 | 2 weeks"),
        ("Look at what changed first.",),
    )
    saved = apply_edits(draft, mine)
    assert edits_from_draft(saved) == PostmortemEdits(
        mine.summary, ("checkouts failed", "pods were killed", "memory grew"), mine.action_items, mine.lessons
    )
    assert apply_edits(saved, edits_from_draft(saved)) == saved, "saving again changes nothing"
    titles = [line for line in saved.splitlines() if line.startswith("## ")]
    assert titles.index(f"## {WHYS_SECTION}") == titles.index("## Root cause analysis") + 1
    for kept in ("## Impact", "## Timeline", "## Investigation path"):
        assert draft.split(kept, 1)[1].split("\n## ", 1)[0] == saved.split(kept, 1)[1].split("\n## ", 1)[0]
    assert "| Bound the cart cache | @checkout-team | P1 | 2 weeks | open |" in saved


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("fix it | @me | P1", "line 1"),
        ("ok | @me | P2 | soon\nfix it | @me | urgent | soon", "line 2: priority 'urgent' must be P1, P2 or P3"),
        ("fix it |  | P1 | soon", "needs four parts"),
    ],
)
def test_a_bad_action_item_is_named_with_its_line(text, says):
    with pytest.raises(DraftError, match=says):
        parse_action_items(text)


async def test_e_on_the_debrief_opens_the_editor_and_ctrl_s_saves_markdown(make_app):
    session = LocalSession.start(SCENARIO, 1)
    play_reference_solution(session)
    app = make_app(session, "console")
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_debrief()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, PostmortemEditor)
        target = postmortem_path(session.journal_path)
        assert editor.path == target and target.is_file()
        editor.query_one("#pm-summary", TextArea).text = "We rolled checkout back to v2.4.1."
        editor.query_one("#pm-why-1", Input).value = "checkout pods were OOM-killed"
        actions = editor.query_one("#pm-actions", TextArea)
        actions.text = "Bound the cart cache | @checkout-team | P4 | 2 weeks"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Not saved" in str(editor.query_one("#pm-status", Static).visual)
        assert "We rolled checkout back" not in target.read_text()
        actions.text = "Bound the cart cache | @checkout-team | P1 | 2 weeks"
        await pilot.press("ctrl+s")
        await pilot.pause()
        text = target.read_text()
        assert "## Summary\n\nWe rolled checkout back to v2.4.1.\n" in text
        assert "1. checkout pods were OOM-killed" in text and "| P1 | 2 weeks |" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)


def test_history_links_the_saved_draft(capsys):
    from tui.cli import main

    session = LocalSession.start(SCENARIO, 1)
    play_reference_solution(session)
    session.quit()
    assert main(["history", "--add", session.journal_path]) == 0
    capsys.readouterr()
    target = postmortem_path(session.journal_path)
    target.write_text("# draft\n", encoding="utf-8")
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "Postmortem drafts" in out and str(target) in out.replace("\n", "")
