"""Screens of the misfortune TUI: home (the wheel), briefing, incident console, debrief, help, dialogs."""
