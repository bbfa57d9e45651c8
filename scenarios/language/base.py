"""Shared base for every model of the scenario language: frozen, strict about unknown keys."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Model(BaseModel):
    """Base model: immutable, unknown keys are errors, attribute docstrings become descriptions."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        populate_by_name=True,
    )


def _kebab(value: str) -> str:
    if not _KEBAB.match(value):
        raise ValueError(f"{value!r} must be kebab-case (lowercase letters, digits and dashes)")
    return value


Name = Annotated[str, AfterValidator(_kebab)]
"""A kebab-case identifier such as ``checkout`` or ``payments-db``."""
