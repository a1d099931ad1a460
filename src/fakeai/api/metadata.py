"""OpenAI's ``metadata``: up to 16 string pairs, keys of at most 64 characters, values of at most 512."""

from __future__ import annotations

from typing import Any

from fakeai.errors import InvalidRequestError


def check_metadata(metadata: Any, param: str = "metadata") -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise InvalidRequestError(f"Invalid type for '{param}': expected an object.", param=param)
    if len(metadata) > 16:
        raise InvalidRequestError(
            f"Invalid '{param}': an object with at most 16 keys; got {len(metadata)}.",
            param=param,
            code="invalid_value",
        )
    for key, value in metadata.items():
        if len(key) > 64:
            raise InvalidRequestError(
                f"Invalid '{param}': keys are at most 64 characters; {key[:70]!r} is longer.",
                param=f"{param}.{key[:64]}",
                code="invalid_value",
            )
        if not isinstance(value, str) or len(value) > 512:
            raise InvalidRequestError(
                f"Invalid '{param}.{key}': values are strings of at most 512 characters.",
                param=f"{param}.{key}",
                code="invalid_value",
            )
    return metadata
