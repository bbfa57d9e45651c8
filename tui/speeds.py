"""The clock speeds, in a module of their own: the briefing paints before the port (and the simulator it
imports) loads, and commands that draw nothing import the port without Textual."""

SPEEDS = (0.0, 1.0, 2.0, 5.0, 10.0, 60.0)
"""Clock speeds: paused, 1x (default: real time pressure), 2x, 5x, 10x, 60x."""
