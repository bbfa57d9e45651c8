"""The JSON Schema of scenario files, as editors and ``misfortune schema`` use it.

Generated from the pydantic models, with two corrections so a real validator accepts every file the
loader accepts: a ``looked_at`` entry may be a bare panel name (the model's before-validator turns it
into ``{panel: ...}``), and any typed or constrained value may instead be a ``${variable}`` placeholder
(the loader substitutes the seed's value before validating, see scenarios.language.variants).
"""

from __future__ import annotations

from typing import Any

from scenarios.language.scenario import Scenario
from scenarios.language.solution import LOOK_PANELS

SCHEMA_ID = "urn:misfortune:scenario"
"""``$id`` of the exported JSON Schema."""

PLACEHOLDER = {"type": "string", "pattern": r"\$\{[a-z][a-z0-9_]*\}"}
"""A text value holding a ``${variable}``: allowed where a number, a duration or a choice is expected."""

_CONSTRAINED = ("pattern", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, usable by editors such as yaml-language-server."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema.pop("title", None)
    look = schema["$defs"]["Look"]
    schema["$defs"]["Look"] = {"anyOf": [{"enum": list(LOOK_PANELS)}, look], "description": look.get("description")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "misfortune scenario",
        **_with_placeholders(schema),
    }


def _with_placeholders(node: Any) -> Any:
    """Every leaf that is not free text also accepts a ``${variable}`` (a ``const`` stays: it selects a kind)."""
    if isinstance(node, list):
        return [_with_placeholders(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _with_placeholders(value) for key, value in node.items()}
    if "const" in out or "$ref" in out or "anyOf" in out or "oneOf" in out:
        return out
    kind = out.get("type")
    if (
        kind in ("number", "integer", "boolean")
        or (kind is None and "enum" in out)
        or (kind == "string" and any(k in out for k in _CONSTRAINED))
    ):
        return {"anyOf": [out, PLACEHOLDER]}
    return out
