"""Screens of the misfortune TUI: home (the wheel), briefing, incident console, debrief, help, dialogs."""

import tui.textual_fixes  # noqa: F401  (every screen's widgets let go of their rendered lines)
