"""Widgets of the incident console, one module per panel."""
