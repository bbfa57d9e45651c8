"""Shared base for every model of the scenario language: frozen, strict about unknown keys."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from scenarios.limits import bounded_value

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Model(BaseModel):
    """Base model: immutable, unknown keys are errors, attribute docstrings become descriptions.

    Every number is finite (``.nan`` and ``.inf`` are refused) and every value bounded (see
    scenarios/limits.py): fields with no tighter constraint of their own still get a ceiling.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        populate_by_name=True,
        allow_inf_nan=False,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        return bounded_value(value)


def _kebab(value: str) -> str:
    if not _KEBAB.match(value):
        raise ValueError(f"{value!r} must be kebab-case (lowercase letters, digits and dashes)")
    return value


Name = Annotated[str, AfterValidator(_kebab)]
"""A kebab-case identifier such as ``checkout`` or ``payments-db``."""
