"""Which actions can apply to a scenario's system at all: the console offers only those, and an actions
file naming another is refused before the run (a data action where no database keeps data does nothing
but fail at play time)."""

from __future__ import annotations

from typing import Any


def unavailable_actions(scenario: Any) -> dict[str, str]:
    """Action -> why it cannot apply to ``scenario``'s system and what would make it apply."""
    out: dict[str, str] = {}
    if not any(s.data is not None for s in scenario.topology.services):
        why = (
            "no database in this scenario declares data (a service's 'data:'), so there is no copy to resync or restore"
        )
        out["resync_replica"] = out["restore_backup"] = why
    if not scenario.traffic.classes:
        out["shed_class"] = "this scenario's traffic has no classes to shed (traffic.classes)"
    if scenario.recovery is None or not scenario.recovery.procedures:
        out["run_procedure"] = "this scenario has no manual procedures to run (recovery.procedures)"
    return out
