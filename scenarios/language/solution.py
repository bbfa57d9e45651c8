"""Reference-solution steps: an action of the vocabulary plus the expert's reasons for taking it.

A step is written like any timed action (``{at: 9m, action: rollback_deploy, service: checkout}``) and
may add ``why:`` (what the telemetry showed that made the expert act) and ``looked_at:`` (the console
panels, with an optional query, the expert used before acting). ``misfortune shadow`` plays them to a
trainee; nothing else reads them. Both fields are left out of every dump (journal, debrief, network
frames), so a step applied to a simulation is journalled exactly like the plain action.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, create_model, model_validator

from scenarios.language.actions import Action
from scenarios.language.base import Model

LookPanel = Literal["pager", "dashboards", "logs", "traces", "changes", "runbooks", "map", "profiles", "comms"]
"""Console panels an expert can look at (the incident console's panel ids; a test keeps them in step)."""

LOOK_PANELS: tuple[str, ...] = typing.get_args(LookPanel)
"""The panel ids a ``looked_at`` entry may name."""


class Look(Model):
    """One panel the expert looked at before acting, with what they searched for there."""

    panel: LookPanel
    """Console panel: pager, dashboards, logs, traces, changes, runbooks, map, profiles or comms."""
    query: str | None = Field(default=None, min_length=1, max_length=200)
    """What they asked the panel: a log search, a service on the dashboards, a trace filter."""

    @model_validator(mode="before")
    @classmethod
    def _bare_panel(cls, data: Any) -> Any:
        # `looked_at: [pager, changes]` is the common case: a bare panel id is a look without a query.
        return {"panel": data} if isinstance(data, str) else data


class StepNotes(Model):
    """The expert's reasons, added to a solution step (excluded from every dump of the action)."""

    why: str | None = Field(default=None, min_length=1, max_length=600, exclude=True)
    """Why the expert took this step: what the telemetry showed at that moment. Shown to a shadowing
    trainee only once the step has been played."""
    looked_at: list[Look] = Field(default_factory=list, max_length=8, exclude=True)
    """Panels (and queries) the expert used before acting, in order, e.g. [pager, {panel: logs, query: OOMKilled}]."""


def _step_models() -> dict[str, type[Model]]:
    """One step model per action model: the action's fields plus :class:`StepNotes`."""
    union = typing.get_args(Action)[0]
    out: dict[str, type[Model]] = {}
    for model in typing.get_args(union):
        name = typing.get_args(model.model_fields["action"].annotation)[0]
        out[name] = create_model(
            f"{model.__name__}Step",
            __base__=(model, StepNotes),
            __module__=__name__,
            __doc__=f"{model.__doc__}\n\nAs a solution step it may add ``why`` and ``looked_at``.",
            # Every field and its docstring comes from the two bases, already read from their source. A
            # model built here has no source: looking for it read the file of every frame on the stack,
            # 0.2 s of every process's import (each CLI command, test worker and verify process).
            __config__=ConfigDict(use_attribute_docstrings=False),
        )
    return out


STEP_MODELS = _step_models()
"""Action name -> its solution-step model (a subclass of the action's model)."""

# Module attributes by their own names, so pickle finds them (`misfortune verify` checks in processes).
globals().update({model.__name__: model for model in STEP_MODELS.values()})

SolutionStep = Annotated[typing.Union[tuple(STEP_MODELS.values())], Field(discriminator="action")]  # noqa: UP007
"""A step of a reference solution: any action of the vocabulary, with optional ``why`` and ``looked_at``."""


def step_notes(step: Any) -> tuple[str | None, tuple[Look, ...]]:
    """A step's reason and looks (none for a plain action)."""
    return getattr(step, "why", None), tuple(getattr(step, "looked_at", ()) or ())
