"""A shadow session names the expert as the one who acts: in the roles and in the change log, never "you"."""

from __future__ import annotations

from tui.shadow_session import EXPERT, ShadowSession


def play_until_a_change(session: ShadowSession, by: str) -> list:
    """Answer every question with a skip until the expert has changed something; what the simulation
    wrote for it."""
    playback = session.playback
    session.set_speed(10.0)
    changed: list = []
    while playback.state != "ended" and not changed:
        session.pump(6.0)  # a simulated minute
        if playback.state == "asking":
            playback.answer(None)
            playback.proceed()
        changed = [c for c in session.sim.change_log() if c.by == by]
    assert changed, "the expert changed nothing the change log shows"
    return changed


def test_a_journal_shadowed_names_its_trainee_the_expert(tmp_path):
    from tui.cli import main

    journal = tmp_path / "run.jsonl"
    assert main(["run", "checkout-oom-leak", "--solution", "--json", "--journal", str(journal)]) == 0
    session = ShadowSession.open(str(journal), 1)
    changed = play_until_a_change(session, "you")  # the journal's seat was the trainee
    shown = {(c.t, c.summary): c.by for c in session.change_log()}
    assert all(shown[(c.t, c.summary)] == EXPERT for c in changed)
    assert set(session.role_holders.values()) == {EXPERT}


def test_the_expert_holds_the_roles_and_made_the_changes():
    session = ShadowSession.open("checkout-oom-leak", 1)
    changed = play_until_a_change(session, "expert")  # the seat a reference solution plays as
    shown = {(c.t, c.summary): c.by for c in session.change_log()}
    assert all(shown[(c.t, c.summary)] == EXPERT for c in changed)
    assert not {"you", "expert"} & set(shown.values())
    assert set(session.role_holders.values()) == {EXPERT}
