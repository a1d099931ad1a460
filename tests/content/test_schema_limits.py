"""The bounds on schema-driven generation (content/json_schema.py, pattern.py) and OpenAI's documented
strict-mode limits (content/strict_schema.py): each refusal names its keyword and costs milliseconds."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from fakeai.content.json_schema import MAX_ITEMS, MAX_STRING_LENGTH, SchemaError, instance
from fakeai.content.pattern import MAX_REPEAT, PatternError, matching
from fakeai.content.strict_schema import MAX_NESTING, MAX_PROPERTIES, check_strict


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels - 1):
        schema = _closed({"inner": schema})
    return schema


def test_nesting_at_the_limit_passes_and_one_more_is_refused() -> None:
    check_strict(_nested(MAX_NESTING))
    with pytest.raises(
        SchemaError, match=f"{MAX_NESTING + 1} levels of nesting exceeds limit of {MAX_NESTING}"
    ):
        check_strict(_nested(MAX_NESTING + 1))


def test_too_many_properties_in_all() -> None:
    half = {f"p{i}": {"type": "integer"} for i in range(MAX_PROPERTIES // 2 + 1)}
    with pytest.raises(SchemaError, match=f"object properties exceeds limit of {MAX_PROPERTIES}"):
        check_strict(_closed({"a": _closed(half), "b": _closed(half)}))


def test_enum_values_and_total_string_length() -> None:
    with pytest.raises(SchemaError, match="enum values exceeds limit of 1000"):
        check_strict(_closed({"a": {"enum": list(range(600))}, "b": {"enum": list(range(600))}}))
    with pytest.raises(SchemaError, match="may hold at most 15000 characters"):
        check_strict(_closed({"a": {"type": "string", "enum": [f"{i:0>60}" for i in range(251)]}}))
    with pytest.raises(SchemaError, match="exceeds limit of 120000"):
        check_strict(_closed({"a": {"type": "string", "enum": ["x" * 60_000, "y" * 60_001]}}))


def test_a_schema_deeper_than_the_stack_is_refused_not_crashed() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(5000):
        schema = {"anyOf": [schema]}
    with pytest.raises(SchemaError):
        check_strict(schema)
    with pytest.raises(SchemaError):
        instance(schema, random.Random(0))


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        ({"type": "string", "minLength": MAX_STRING_LENGTH + 1}, "'minLength' of"),
        ({"type": "array", "minItems": MAX_ITEMS + 1}, "'minItems' of"),
        ({"type": "object", "minProperties": MAX_ITEMS + 1}, "'minProperties' of"),
        ({"type": "array", "contains": {}, "minContains": MAX_ITEMS + 1}, "'minContains' of"),
        ({"type": "string", "minLength": -1}, "'minLength' must be a non-negative integer"),
        ({"type": "integer", "minimum": 1e308, "multipleOf": 1e-308}, "infinity"),
        ({"allOf": [{"anyOf": [{}] * 40}, {"anyOf": [{}] * 40}]}, "more than 1000 branches"),
        (
            {"type": "array", "minItems": 10, "items": {"type": "string", "minLength": MAX_STRING_LENGTH}},
            "characters",
        ),
    ],
)
def test_bounds_are_refused_at_once(schema: dict[str, Any], keyword: str) -> None:
    started = time.perf_counter()
    with pytest.raises(SchemaError, match=keyword):
        instance(schema, random.Random(0))
    assert time.perf_counter() - started < 0.5


def test_pattern_repeat_counts_and_expansion_are_bounded() -> None:
    assert len(matching(f"^a{{{MAX_REPEAT}}}$", random.Random(0))) == MAX_REPEAT
    with pytest.raises(PatternError, match="exceeds the limit of 1000"):
        matching("a{1001}", random.Random(0))
    with pytest.raises(PatternError, match="too large"):
        matching("((a{100}){100}){100}", random.Random(0))


def test_a_string_for_a_pattern_fits_the_instance_budget() -> None:
    with pytest.raises(PatternError):
        matching("^[a-z]{1000}$", random.Random(0), max_length=10)
