"""``response_format``: which JSON a reply must be, checked as OpenAI checks it before generating."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from fakeai.api.chat.prompt import content_text
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.content.json_schema import SchemaError, instance
from fakeai.content.strict_schema import check_strict
from fakeai.errors import InvalidRequestError

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

#: What ``json_object`` mode answers: OpenAI promises only "a JSON object", so any plausible one will do.
_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "minLength": 12},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "topics": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
    },
    "required": ["answer", "confidence", "topics"],
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class JsonFormat:
    """The schema every reply must validate against, and its name as errors quote it."""

    schema: Any
    name: str

    def text(self, rng: random.Random) -> str:
        """A compact JSON text (as OpenAI's structured outputs are) of an instance drawn with ``rng``."""
        try:
            value = instance(self.schema, rng, hint=self.name)
        except SchemaError as exc:
            raise schema_error("response_format", self.name, exc, param="response_format") from None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def schema_error(
    what: str, name: str, exc: SchemaError, *, param: str | None, code: str | None = None
) -> Exception:
    """OpenAI's wording: ``Invalid schema for response_format 'x': In context=('properties', 'a'), ...``."""
    return InvalidRequestError(
        f"Invalid schema for {what} '{name}': In context={exc.path!r}, {exc.message}", param=param, code=code
    )


def json_format(request: ChatCompletionRequest) -> JsonFormat | None:
    """The request's JSON format, or None for free text. 400s name the offending field."""
    response_format = request.response_format
    kind = response_format.get("type") if response_format is not None else "text"
    if kind == "text":
        return None
    if kind == "json_object":
        if not _mentions_json(request):
            raise InvalidRequestError(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
                "'json_object'.",
                param="messages",
            )
        return JsonFormat(_OBJECT_SCHEMA, "json_object")
    if kind != "json_schema":
        raise InvalidRequestError(
            f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object', and 'json_schema'.",
            param="response_format.type",
            code="invalid_value",
        )
    assert response_format is not None
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        missing = "response_format.json_schema" + (".name" if isinstance(spec, dict) else "")
        raise InvalidRequestError(
            f"Missing required parameter: '{missing}'.", param=missing, code="missing_required_parameter"
        )
    name = spec["name"]
    if not _NAME.match(name):
        raise InvalidRequestError(
            f"Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string "
            f"that matches the pattern '{_NAME.pattern}'.",
            param="response_format.json_schema.name",
            code="invalid_value",
        )
    schema = spec.get("schema", {"type": "object"})
    if spec.get("strict"):
        try:
            check_strict(schema)
        except SchemaError as exc:
            raise schema_error("response_format", name, exc, param="response_format") from None
    return JsonFormat(schema, name)


def _mentions_json(request: ChatCompletionRequest) -> bool:
    return any("json" in content_text(m.content).lower() for m in request.messages)
