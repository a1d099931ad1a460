"""msgspec validation errors become OpenAI's messages, with ``param`` in OpenAI's path syntax."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from fakeai.errors import InvalidRequestError
from fakeai.server.decode import decode_json


class Inner(msgspec.Struct):
    value: Annotated[int, msgspec.Meta(ge=0)]


class Body(msgspec.Struct):
    name: str
    items: Annotated[list[Inner], msgspec.Meta(min_length=1, max_length=2)]
    ratio: Annotated[float, msgspec.Meta(le=1.0)] = 0.5


def error_of(raw: bytes) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as info:
        decode_json(raw, Body)
    return info.value


def test_missing_nested_field() -> None:
    error = error_of(b'{"name": "a", "items": [{}]}')
    assert (error.param, error.code) == ("items[0].value", "missing_required_parameter")
    assert error.message == "Missing required parameter: 'items[0].value'."


def test_bounds_report_the_value_sent() -> None:
    error = error_of(b'{"name": "a", "items": [{"value": -3}]}')
    assert (error.param, error.code) == ("items[0].value", "integer_below_min_value")
    assert "but got -3 instead" in error.message
    assert error_of(b'{"name": "a", "items": [{"value": 1}], "ratio": 1.5}').code == "decimal_above_max_value"


def test_lengths() -> None:
    assert error_of(b'{"name": "a", "items": []}').code == "empty_array"
    long = error_of(b'{"name": "a", "items": [{"value": 1}, {"value": 1}, {"value": 1}]}')
    assert long.code == "array_above_max_length" and "length 3" in long.message


def test_wrong_types_name_what_was_sent() -> None:
    error = error_of(b'{"name": 5, "items": [{"value": 1}]}')
    assert (error.param, error.code) == ("name", "invalid_type")
    assert error.message == "Invalid type for 'name': expected a string, but got an integer instead."


def test_not_json_and_not_an_object() -> None:
    assert error_of(b"{oops").param is None
    assert error_of(b"   ").code is None
    assert error_of(b"[1]").code == "invalid_type"


def test_valid_body_decodes() -> None:
    assert decode_json(b'{"name": "a", "items": [{"value": 0}]}', Body).items[0].value == 0


@pytest.mark.parametrize("raw", [b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000])
def test_json_nested_thousands_deep_is_a_400_not_a_recursion_error(raw: bytes) -> None:
    nested = b'{"name": "a", "items": [{"value": 1}], "extra": ' + raw + b"}"
    for body in (raw, nested):
        with pytest.raises(InvalidRequestError) as info:
            decode_json(body, Body)
        assert info.value.status == 400 and info.value.param is None
