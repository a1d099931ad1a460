"""File ``attributes``: up to 16 keys (64 characters at most) with string (512), number or boolean values."""

from __future__ import annotations

from typing import Any

from fakeai.errors import InvalidRequestError


def check_attributes(attributes: Any, param: str = "attributes") -> dict[str, Any] | None:
    if attributes is None:
        return None
    if not isinstance(attributes, dict) or len(attributes) > 16:
        raise InvalidRequestError(
            f"Invalid '{param}': an object of at most 16 keys.", param=param, code="invalid_value"
        )
    for key, value in attributes.items():
        ok = isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 512)
        if len(key) > 64 or not ok:
            raise InvalidRequestError(
                f"Invalid '{param}.{key[:64]}': keys are at most 64 characters, values strings of at "
                "most 512 characters, numbers or booleans.",
                param=f"{param}.{key[:64]}",
                code="invalid_value",
            )
    return attributes
