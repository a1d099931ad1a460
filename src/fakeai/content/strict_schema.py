"""OpenAI's structural rules for ``strict`` schemas (structured outputs and strict tools), checked before a
request runs so a schema OpenAI would refuse gets the same 400 here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fakeai.content.json_schema import Path, SchemaError


def check_strict(schema: Any, path: Path = ()) -> None:
    """OpenAI's structural rules for ``strict`` schemas: every object closes its properties and requires all.

    Raises SchemaError with OpenAI's wording; ``path`` is the ``context`` tuple OpenAI reports.
    """
    if not isinstance(schema, Mapping):
        return
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties", True) is not False:
            raise SchemaError("'additionalProperties' is required to be supplied and to be false.", path)
        missing = [key for key in schema.get("properties", {}) if key not in schema.get("required", ())]
        if missing:
            raise SchemaError(
                "'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'.",
                path,
            )
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            check_strict(sub, (*path, key, name))
    for key in ("anyOf", "allOf", "oneOf", "prefixItems"):
        for index, sub in enumerate(schema.get(key) or ()):
            check_strict(sub, (*path, key, index))
    if isinstance(schema.get("items"), Mapping):
        check_strict(schema["items"], (*path, "items"))
