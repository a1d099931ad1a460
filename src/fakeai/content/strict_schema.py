"""OpenAI's rules for ``strict`` schemas (structured outputs and strict tools), checked before a request runs
so a schema OpenAI would refuse gets the same 400 here.

Two kinds: the structural rules (every object closes its properties and requires them all) and the size
limits OpenAI documents for strict mode (see docs/generation.md, "Limits"): at most ``MAX_PROPERTIES``
object properties in all, ``MAX_NESTING`` levels of nesting, ``MAX_ENUM_VALUES`` enum values in all, and
``MAX_STRING_TOTAL`` characters of property names, definition names, enum and const values together; a
string enum of more than ``LARGE_ENUM`` values may hold ``MAX_LARGE_ENUM_LENGTH`` characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fakeai.content.schema_keywords import Path, SchemaError

MAX_PROPERTIES = 5_000
MAX_NESTING = 10
MAX_ENUM_VALUES = 1_000
MAX_STRING_TOTAL = 120_000
LARGE_ENUM = 250
MAX_LARGE_ENUM_LENGTH = 15_000
#: Subschemas walked through unions, definitions and the like before giving up (they add no nesting).
_MAX_WALK_DEPTH = 64


@dataclass(slots=True)
class _Tally:
    properties: int = 0
    enum_values: int = 0
    strings: int = 0


def check_strict(schema: Any) -> None:
    """OpenAI's strict rules and limits; raises SchemaError with OpenAI's wording, whose ``path`` is the
    ``context`` tuple OpenAI reports. Bounded work: each subschema is visited once, to a fixed depth."""
    tally = _Tally()
    _check(schema, (), tally, 1, 0)
    if tally.properties > MAX_PROPERTIES:
        raise SchemaError(f"{tally.properties} object properties exceeds limit of {MAX_PROPERTIES}.")
    if tally.enum_values > MAX_ENUM_VALUES:
        raise SchemaError(f"{tally.enum_values} enum values exceeds limit of {MAX_ENUM_VALUES}.")
    if tally.strings > MAX_STRING_TOTAL:
        raise SchemaError(
            f"{tally.strings} total characters of property names, definition names, enum values and const "
            f"values exceeds limit of {MAX_STRING_TOTAL}."
        )


def _check(schema: Any, path: Path, tally: _Tally, level: int, walk: int) -> None:
    if not isinstance(schema, Mapping):
        return
    if level > MAX_NESTING:
        raise SchemaError(f"{level} levels of nesting exceeds limit of {MAX_NESTING}.", path)
    if walk > _MAX_WALK_DEPTH:
        raise SchemaError("the schema is nested too deeply.", path)
    if schema.get("type") == "object" or "properties" in schema:
        _check_object(schema, path)
    _count_values(schema, path, tally)
    properties = schema.get("properties") or {}
    tally.properties += len(properties)
    for name, sub in properties.items():
        tally.strings += len(name)
        _check(sub, (*path, "properties", name), tally, level + 1, walk + 1)
    for key in ("$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            tally.strings += len(name)
            _check(sub, (*path, key, name), tally, level, walk + 1)
    for key in ("anyOf", "allOf", "oneOf"):
        for index, sub in enumerate(schema.get(key) or ()):
            _check(sub, (*path, key, index), tally, level, walk + 1)
    for index, sub in enumerate(schema.get("prefixItems") or ()):
        _check(sub, (*path, "prefixItems", index), tally, level + 1, walk + 1)
    if isinstance(schema.get("items"), Mapping):
        _check(schema["items"], (*path, "items"), tally, level + 1, walk + 1)


def _check_object(schema: Mapping, path: Path) -> None:
    if schema.get("additionalProperties", True) is not False:
        raise SchemaError("'additionalProperties' is required to be supplied and to be false.", path)
    missing = [key for key in schema.get("properties", {}) if key not in schema.get("required", ())]
    if missing:
        raise SchemaError(
            "'required' is required to be supplied and to be an array including every key in "
            f"properties. Missing '{missing[0]}'.",
            path,
        )


def _count_values(schema: Mapping, path: Path, tally: _Tally) -> None:
    enum = schema.get("enum")
    if isinstance(enum, list):
        tally.enum_values += len(enum)
        length = sum(len(v) for v in enum if isinstance(v, str))
        tally.strings += length
        if len(enum) > LARGE_ENUM and length > MAX_LARGE_ENUM_LENGTH:
            raise SchemaError(
                f"an enum of {len(enum)} values (more than {LARGE_ENUM}) may hold at most "
                f"{MAX_LARGE_ENUM_LENGTH} characters, not {length}.",
                path,
            )
    const = schema.get("const")
    if isinstance(const, str):
        tally.strings += len(const)
