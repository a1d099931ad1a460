"""Search filters over file ``attributes``: comparisons (eq, ne, gt, gte, lt, lte, in, nin) and compound
``and``/``or`` of them, nested; checked when a request arrives, applied per file."""

from __future__ import annotations

from typing import Any

from fakeai.errors import InvalidRequestError

COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")
MAX_DEPTH = 8


def check(filter: Any, param: str = "filters", depth: int = 0) -> None:
    if not isinstance(filter, dict):
        raise InvalidRequestError(f"Invalid '{param}': expected an object.", param=param, code="invalid_type")
    kind = filter.get("type")
    if kind in ("and", "or"):
        filters = filter.get("filters")
        if not isinstance(filters, list) or depth >= MAX_DEPTH:
            raise InvalidRequestError(
                f"Invalid '{param}.filters': expected an array of filters (nested at most {MAX_DEPTH} deep).",
                param=f"{param}.filters",
                code="invalid_value",
            )
        for index, inner in enumerate(filters):
            check(inner, f"{param}.filters[{index}]", depth + 1)
        return
    if kind not in COMPARISONS:
        raise InvalidRequestError(
            f"Invalid '{param}.type': {kind!r}; expected one of {', '.join(COMPARISONS)}, and, or.",
            param=f"{param}.type",
            code="invalid_value",
        )
    if not isinstance(filter.get("key"), str):
        raise InvalidRequestError(f"Missing required parameter: '{param}.key'.", param=f"{param}.key")
    value = filter.get("value")
    if kind in ("in", "nin"):
        if not isinstance(value, list):
            raise InvalidRequestError(
                f"Invalid '{param}.value': '{kind}' compares against an array.", param=f"{param}.value"
            )
    elif not isinstance(value, str | int | float | bool):
        raise InvalidRequestError(
            f"Invalid '{param}.value': expected a string, number or boolean.", param=f"{param}.value"
        )


def matches(filter: dict[str, Any] | None, attributes: dict[str, Any] | None) -> bool:
    """Whether a file with ``attributes`` passes ``filter`` (a missing key fails every comparison but
    ``ne`` and ``nin``, as a missing value equals nothing)."""
    if filter is None:
        return True
    attributes = attributes or {}
    kind = filter["type"]
    if kind == "and":
        return all(matches(inner, attributes) for inner in filter["filters"])
    if kind == "or":
        return any(matches(inner, attributes) for inner in filter["filters"])
    value = filter["value"]
    if filter["key"] not in attributes:
        return kind in ("ne", "nin")
    have = attributes[filter["key"]]
    if kind == "eq":
        return bool(have == value)
    if kind == "ne":
        return bool(have != value)
    if kind == "in":
        return have in value
    if kind == "nin":
        return have not in value
    try:
        if kind == "gt":
            return bool(have > value)
        if kind == "gte":
            return bool(have >= value)
        if kind == "lt":
            return bool(have < value)
        return bool(have <= value)
    except TypeError:  # a string compared with a number: not a match
        return False
