"""What the JSON Schema keywords mean, apart from generating: a schema's types and numeric bounds, its
lower-bound counts, the ``patternProperties`` that apply to a key, and ``allOf`` merged into one schema;
and ``SchemaError``, which the generator (content/json_schema.py, whose names callers import) and the
strict-mode checks (content/strict_schema.py) raise."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fakeai.content.pattern import PatternError, search

Path = tuple[str | int, ...]
TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
LOWER_BOUNDS = ("minimum", "minLength", "minItems", "minProperties", "minContains")
UPPER_BOUNDS = ("maximum", "maxLength", "maxItems", "maxProperties", "maxContains")
#: The most branches ``allOf`` may multiply unions into (``anyOf`` x ``anyOf``).
MAX_BRANCHES = 1_000


class SchemaError(ValueError):
    """The schema has no instance we can produce (or is malformed). ``path`` locates the culprit."""

    def __init__(self, message: str, path: Path = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def canonical(value: Any) -> str:
    """A value as one comparable string (enum members, const)."""
    return json.dumps(value, sort_keys=True)


def count(schema: Mapping, keyword: str, default: int, limit: int, path: Path) -> int:
    """A lower bound (``minLength``, ``minItems`` ...): a non-negative integer no larger than ``limit``."""
    value = schema.get(keyword, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SchemaError(f"'{keyword}' must be a non-negative integer", path)
    if value > limit:
        raise SchemaError(f"'{keyword}' of {value} exceeds the supported maximum of {limit}", path)
    return value


def types(schema: Mapping) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list) and declared:
        return list(declared)
    if any(k in schema for k in ("properties", "required", "additionalProperties", "patternProperties")):
        return ["object"]
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems", "contains")):
        return ["array"]
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return ["number"]
    return ["string"]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "object")


def bounds(schema: Mapping) -> dict[str, Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    exclusive_low = exclusive_high = False
    if isinstance(ex_low, bool):  # draft 4: a flag on minimum
        exclusive_low = ex_low
    elif ex_low is not None and (low is None or ex_low >= low):
        low, exclusive_low = ex_low, True
    if isinstance(ex_high, bool):
        exclusive_high = ex_high
    elif ex_high is not None and (high is None or ex_high <= high):
        high, exclusive_high = ex_high, True
    return {
        "low": low,
        "high": high,
        "exclusive_low": exclusive_low,
        "exclusive_high": exclusive_high,
        "multiple_of": schema.get("multipleOf"),
    }


def pattern_schema(schema: Mapping, key: str) -> Any:
    """The merged ``patternProperties`` schemas whose pattern matches ``key``, or None."""
    try:
        matched = [s for p, s in (schema.get("patternProperties") or {}).items() if search(p, key)]
    except PatternError as exc:
        raise SchemaError(str(exc), ("patternProperties",)) from None
    if not matched:
        return None
    return matched[0] if len(matched) == 1 else {"allOf": matched}


def recursive(schema: Any) -> bool:
    return isinstance(schema, Mapping) and ("$ref" in schema or any(recursive(v) for v in schema.values()
                                                                     if isinstance(v, Mapping)))  # fmt: skip


def merge(a: Any, b: Any, path: Path) -> Any:
    """One schema that both ``a`` and ``b`` accept (the ``allOf`` of two flat schemas, best effort)."""
    if a is True or a == {}:
        return b
    if b is True or b == {}:
        return a
    if a is False or b is False:
        return False
    merged = dict(a)
    for key, value in b.items():
        if key not in merged:
            merged[key] = value
        elif key == "type":
            left = {merged[key]} if isinstance(merged[key], str) else set(merged[key])
            right = {value} if isinstance(value, str) else set(value)
            if "number" in left | right:  # integer is a subset of number
                left |= {"integer"} if "number" in left else set()
                right |= {"integer"} if "number" in right else set()
            both = [t for t in TYPES if t in left & right]
            if not both:
                raise SchemaError(f"allOf requires types {sorted(left)} and {sorted(right)} at once", path)
            merged[key] = both
        elif key == "required":
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        elif key == "properties":
            props = dict(merged[key])
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            merged[key] = props
        elif key == "enum":
            merged[key] = [v for v in merged[key] if canonical(v) in {canonical(w) for w in value}]
            if not merged[key]:
                raise SchemaError("allOf combines enums with no value in common", path)
        elif key in LOWER_BOUNDS:
            merged[key] = max(merged[key], value)
        elif key in UPPER_BOUNDS:
            merged[key] = min(merged[key], value)
        elif key in ("items", "additionalProperties", "contains"):
            closed = merged[key] is False or value is False
            merged[key] = False if closed else {"allOf": [merged[key], value]}
        elif key in ("anyOf", "oneOf"):
            if len(merged[key]) * len(value) > MAX_BRANCHES:
                raise SchemaError(f"allOf multiplies '{key}' into more than {MAX_BRANCHES} branches", path)
            merged[key] = [{"allOf": [x, y]} for x in merged[key] for y in value]
        else:
            merged[key] = value
    for closed, other in ((a, b), (b, a)):  # additionalProperties: false closes the property list
        if isinstance(closed, Mapping) and closed.get("additionalProperties") is False:
            allowed = set(closed.get("properties") or {})
            for name in other.get("required") or ():
                if name not in allowed and not pattern_schema(closed, name):
                    raise SchemaError(f"property {name!r} is required but not allowed", path)
            merged["properties"] = {k: v for k, v in merged.get("properties", {}).items() if k in allowed}
    return merged
