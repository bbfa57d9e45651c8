"""The reports wing: what is written after a session.

Owns the Markdown postmortem (``postmortem``), the facts and review it is built from (``facts``,
``review``), the SQLite history store with readiness per fault class (``history``), follow-ups and
practice (``follow_ups``), the difficulty to suggest next (``next_difficulty``), the trainee's runbook
corrections (``runbook_notes``) and the hidden truth in words for the debrief and the game day's truth
views (``truth_words``).

May import every other wing (never ``tui``); reads finished sessions only, through
``facts.FinishedSession`` and ``history.FinishedAttempt``. ``__all__`` below is the wing's public face.
"""

from simulator.reports.facts import EvidenceFinding, PathStep, QuestionAnswer, investigation, questions
from simulator.reports.follow_ups import (
    STATUSES,
    FollowThrough,
    FollowUp,
    follow_ups_from_shift,
    practice_from_shift,
    team_readiness,
)
from simulator.reports.history import (
    SHADOW,
    UNPLAYED_WEAKNESS,
    Attempt,
    HistoryError,
    attempt_from_journal,
    fault_class,
    history_path,
    open_history_recovering,
    readiness,
    rebuild,
    record_debrief,
    record_recovering,
    record_shadow,
    weakness,
)
from simulator.reports.next_difficulty import DifficultyAdvice, suggest_difficulty
from simulator.reports.postmortem import postmortem_for_journal, postmortem_of
from simulator.reports.review import SeverityVerdict, severity_verdict
from simulator.reports.runbook_notes import RunbookNoteError, RunbookNotes, ShownRunbook, shown_runbook
from simulator.reports.truth_words import action_words, fault_words, fields_words, value_words

__all__ = [
    "action_words",
    "fault_words",
    "fields_words",
    "value_words",
    "SeverityVerdict",
    "severity_verdict",
    "Attempt",
    "DifficultyAdvice",
    "EvidenceFinding",
    "FollowThrough",
    "FollowUp",
    "HistoryError",
    "PathStep",
    "QuestionAnswer",
    "RunbookNoteError",
    "RunbookNotes",
    "SHADOW",
    "STATUSES",
    "ShownRunbook",
    "UNPLAYED_WEAKNESS",
    "attempt_from_journal",
    "fault_class",
    "follow_ups_from_shift",
    "history_path",
    "investigation",
    "open_history_recovering",
    "postmortem_for_journal",
    "postmortem_of",
    "practice_from_shift",
    "questions",
    "readiness",
    "rebuild",
    "shown_runbook",
    "suggest_difficulty",
    "record_debrief",
    "record_recovering",
    "record_shadow",
    "team_readiness",
    "weakness",
]
