"""Request bodies into protocol types, with OpenAI-shaped 400s that name the offending ``param``."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from fakeai.errors import InvalidRequestError

T = TypeVar("T")

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_BOUND = re.compile(r"^Expected `(?P<kind>\w+)` (?P<op>>=|<=|>|<) (?P<limit>[-\d.e+]+)$")
_LENGTH = re.compile(r"^Expected `(?P<kind>array|str|object)` of length (?P<op>>=|<=) (?P<limit>\d+)$")
_TYPE = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`$")
_VALUE = re.compile(r"^Invalid (?:enum )?value (?P<value>.+)$")

_NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)
_TOO_DEEP = (
    "We could not parse the JSON body of your request: it is nested too deeply. (HINT: The OpenAI API "
    "expects a JSON payload of objects and arrays nested at most a few hundred levels.)"
)
_TYPE_NAMES = {"int": "an integer", "float": "a number", "str": "a string", "bool": "a boolean",
               "array": "an array", "object": "an object", "null": "null"}  # fmt: skip


#: One decoder per type: ``msgspec.json.decode(body, type=...)`` looks the type up on every call (a third
#: of a small request's decoding). The types are the protocol's, a fixed few.
_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def decode_json(body: bytes, type_: type[T]) -> T:
    """Decode and validate ``body`` as ``type_``; any problem becomes an InvalidRequestError (400)."""
    if not body.strip():
        raise InvalidRequestError(_NOT_JSON)
    decoder = _DECODERS.get(type_)
    if decoder is None:
        decoder = _DECODERS[type_] = msgspec.json.Decoder(type_)
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise _translate(str(exc), body) from None
    except msgspec.DecodeError:
        raise InvalidRequestError(_NOT_JSON) from None
    except RecursionError:  # msgspec's depth guard: arrays/objects nested thousands deep
        raise InvalidRequestError(_TOO_DEEP) from None


def _param(path: str) -> str | None:
    """``$.messages[0].role`` -> ``messages[0].role``; the root -> None."""
    return path.lstrip(".") or None


def _lookup(body: bytes, path: str) -> Any:
    """The raw value at a msgspec path (only on the error path, so decoding twice is fine)."""
    try:
        value: Any = msgspec.json.decode(body)
        for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
            value = value[key] if key else value[int(index)]
        return value
    except (msgspec.DecodeError, RecursionError, KeyError, IndexError, TypeError):
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return _TYPE_NAMES.get({dict: "object", list: "array"}.get(type(value), type(value).__name__), "a value")


def _translate(message: str, body: bytes) -> InvalidRequestError:
    at = _AT.search(message)
    path = at.group("path") if at else ""
    reason = message[: at.start()] if at else message
    param = _param(path)
    name = param or "body"
    if m := _MISSING.match(reason):
        param = f"{param}.{m['field']}" if param else m["field"]
        return InvalidRequestError(
            f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
        )
    if m := _LENGTH.match(reason):
        value = _lookup(body, path)
        size = len(value) if isinstance(value, list | str | dict) else 0
        if m["op"] == ">=" and size == 0:
            return InvalidRequestError(
                f"Invalid '{name}': empty {m['kind']}. Expected an {m['kind']} with minimum length "
                f"{m['limit']}, but got an empty {m['kind']} instead.",
                param=param,
                code=f"empty_{m['kind']}",
            )
        which, code = ("minimum", "below_min_length") if m["op"] == ">=" else ("maximum", "above_max_length")
        kind, too = m["kind"], "short" if which == "minimum" else "long"
        return InvalidRequestError(
            f"Invalid '{name}': {kind} too {too}. Expected an {kind} with {which} length {m['limit']}, "
            f"but got an {kind} with length {size} instead.",
            param=param,
            code=f"{m['kind']}_{code}",
        )
    if m := _BOUND.match(reason):
        value = _lookup(body, path)
        number = "integer" if m["kind"] == "int" else "decimal"
        side = "below_min" if m["op"] in (">=", ">") else "above_max"
        words = "below minimum" if side == "below_min" else "above maximum"
        return InvalidRequestError(
            f"Invalid '{name}': {number} {words} value. Expected a value {m['op']} {m['limit']}, "
            f"but got {value} instead.",
            param=param,
            code=f"{number}_{side}_value",
        )
    if m := _TYPE.match(reason):
        expected = " or ".join(_TYPE_NAMES.get(t.strip(), t.strip()) for t in m["expected"].split("|"))
        got = _kind(_lookup(body, path)) if path else _TYPE_NAMES.get(m["got"], m["got"])
        return InvalidRequestError(
            f"Invalid type for '{name}': expected {expected}, but got {got} instead.",
            param=param,
            code="invalid_type",
        )
    if m := _VALUE.match(reason):
        return InvalidRequestError(
            f"Invalid value for '{name}': {m['value']}.", param=param, code="invalid_value"
        )
    return InvalidRequestError(f"Invalid '{name}': {reason}.", param=param, code="invalid_value")
