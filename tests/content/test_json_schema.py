"""Schema-valid instances: random schemas (strict and not) always produce instances jsonschema accepts."""

from __future__ import annotations

import datetime
import random
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker

from fakeai.content.json_schema import SchemaError, instance
from fakeai.content.strict_schema import check_strict
from tests.content.schemas import schemas

FORMATS = FormatChecker()


# jsonschema checks these only with optional packages installed; the standard library suffices here.
@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or datetime.datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("time", raises=ValueError)
def _time(value: object) -> bool:
    return not isinstance(value, str) or datetime.time.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urllib.parse.urlsplit(value).scheme)


def assert_valid(schema: Any, value: Any, validator: type = Draft202012Validator) -> None:
    errors = list(validator(schema, format_checker=FORMATS).iter_errors(value))
    assert not errors, (errors[0].message, value)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=schemas(strict=True), seed=st.integers(0, 2**32))
def test_strict_schemas_produce_valid_instances(schema: dict, seed: int) -> None:
    check_strict(schema)
    assert_valid(schema, instance(schema, random.Random(seed)))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=schemas(strict=False), seed=st.integers(0, 2**32))
def test_non_strict_schemas_produce_valid_instances(schema: dict, seed: int) -> None:
    assert_valid(schema, instance(schema, random.Random(seed)))


def test_same_rng_same_instance() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}}
    assert instance(schema, random.Random(7)) == instance(schema, random.Random(7))


def test_values_are_plausible_for_their_names_and_formats() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "id": {"type": "string", "format": "uuid"},
        },
        "required": ["city", "email", "id"],
    }
    value = instance(schema, random.Random(1))
    assert value["city"] in {"Lisbon", "Kyoto", "Nairobi", "Montreal", "Oslo"}
    assert value["email"].endswith("@example.com")
    assert len(value["id"]) == 36
    assert_valid(schema, value)


def test_recursive_schema_terminates() -> None:
    schema = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                    "parent": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]},
                },
                "required": ["children", "parent"],
            }
        },
        "$ref": "#/$defs/node",
    }
    for seed in range(50):
        assert_valid(schema, instance(schema, random.Random(seed)))


def test_draft7_definitions_and_tuple_items() -> None:
    schema = {
        "definitions": {
            "point": {
                "type": "array",
                "items": [{"type": "number"}, {"type": "number"}],
                "additionalItems": False,
                "minItems": 2,
            }
        },
        "type": "object",
        "properties": {
            "at": {"$ref": "#/definitions/point"},
            "n": {"type": "integer", "exclusiveMinimum": 3},
        },
        "required": ["at", "n"],
    }
    for seed in range(20):
        assert_valid(schema, instance(schema, random.Random(seed)), Draft7Validator)


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        (False, ()),
        ({"type": "string", "minLength": 5, "maxLength": 2}, ()),
        ({"type": "integer", "minimum": 3, "maximum": 2}, ()),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "integer", "minimum": 1, "maximum": 0}},
                "required": ["a"],
            },
            (),
        ),
        ({"$ref": "#/$defs/missing"}, ()),
        (
            {
                "$defs": {
                    "n": {"type": "object", "properties": {"n": {"$ref": "#/$defs/n"}}, "required": ["n"]}
                },
                "$ref": "#/$defs/n",
            },
            (),
        ),
        ({"type": "array", "items": {"enum": [1, 2]}, "uniqueItems": True, "minItems": 3}, ()),
        ({"allOf": [{"type": "string"}, {"type": "integer"}]}, ()),
    ],
)
def test_unsatisfiable_schemas_raise_schema_error(schema: Any, where: tuple) -> None:
    with pytest.raises(SchemaError) as info:
        instance(schema, random.Random(0))
    assert info.value.message


def test_strict_rules_follow_openai() -> None:
    with pytest.raises(SchemaError, match="additionalProperties") as info:
        check_strict({"type": "object", "properties": {"a": {"type": "object", "properties": {}}},
                      "required": ["a"], "additionalProperties": False})  # fmt: skip
    assert info.value.path == ("properties", "a")
    with pytest.raises(SchemaError, match="Missing 'b'"):
        check_strict({"type": "object", "properties": {"a": {}, "b": {}}, "required": ["a"],
                      "additionalProperties": False})  # fmt: skip
