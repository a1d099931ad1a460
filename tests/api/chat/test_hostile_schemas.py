"""Schemas that used to freeze the server (issue: "one request can freeze the whole server"): each is
answered at once, a 400 naming the keyword when it cannot be satisfied cheaply, a valid instance when it
can, in structured outputs and in tool parameters, streaming or not."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import openai
import pytest
import regex
from openai import OpenAI

ASK = [{"role": "user", "content": "Fill in the record."}]

#: (property schema, the keyword the 400 names, or None when a valid instance is the answer)
HOSTILE: dict[str, tuple[dict[str, Any], str | None]] = {
    # Backtracks for a minute in Python's ``re``; the bounded matcher finds and checks an instance at once.
    "backtracking-pattern": ({"type": "string", "pattern": "^(.*a){30}$"}, None),
    "huge-minLength": ({"type": "string", "minLength": 1_000_000_000}, "minLength"),
    "huge-repeat": ({"type": "string", "pattern": "a{1000000000}"}, "pattern"),
    "huge-minItems": ({"type": "array", "items": {"type": "string"}, "minItems": 10**9}, "minItems"),
    "nested-repeats": ({"type": "string", "pattern": "((a{1000}){1000}){1000}"}, "pattern"),
    "multiplying-arrays": (
        {"type": "array", "minItems": 5000, "items": {"type": "array", "minItems": 5000, "items": {}}},
        None,  # the work bound: refused as too complex, not by one keyword
    ),
}
TOO_COMPLEX = {"multiplying-arrays"}


def _schema(prop: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"value": prop},
        "required": ["value"],
        "additionalProperties": False,
    }


def _call(client: OpenAI, where: str, schema: dict[str, Any], stream: bool) -> str:
    """The reply's JSON text (content or tool arguments); raises the SDK's error on a 4xx."""
    if where == "response_format":
        extra: dict[str, Any] = {
            "response_format": {"type": "json_schema", "json_schema": {"name": "record", "schema": schema}}
        }
    else:
        tool = {"type": "function", "function": {"name": "save", "parameters": schema}}
        extra = {"tools": [tool], "tool_choice": "required"}
    if not stream:
        message = client.chat.completions.create(model="gpt-4o", messages=ASK, **extra).choices[0].message
        return message.content if where == "response_format" else message.tool_calls[0].function.arguments
    text = []
    with client.chat.completions.create(model="gpt-4o", messages=ASK, stream=True, **extra) as events:
        for chunk in events:
            for choice in chunk.choices:
                delta = choice.delta
                if where == "response_format":
                    text.append(delta.content or "")
                else:
                    text.extend(call.function.arguments or "" for call in delta.tool_calls or ())
    return "".join(text)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("where", ["response_format", "tools"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_schema_is_answered_at_once(client: OpenAI, name: str, where: str, stream: bool) -> None:
    prop, keyword = HOSTILE[name]
    schema = _schema(prop)
    client.chat.completions.create(model="gpt-4o", messages=ASK, max_tokens=1)  # the vocabulary is loaded
    started = time.perf_counter()
    if keyword is None and name not in TOO_COMPLEX:
        value = json.loads(_call(client, where, schema, stream))
        assert list(value) == ["value"]  # jsonschema would check the pattern with ``re``: a minute
        assert regex.search(prop["pattern"], value["value"], timeout=1)
    else:
        with pytest.raises(openai.BadRequestError) as caught:
            _call(client, where, schema, stream)
        error = caught.value.body
        assert isinstance(error, dict) and error["type"] == "invalid_request_error"
        expected = "response_format" if where == "response_format" else "tools[0].function.parameters"
        assert error["param"] == expected
        assert re.match(
            r"Invalid schema for (response_format|function) '(record|save)': In context=", error["message"]
        )
        assert (keyword or "too complex") in error["message"]
    assert time.perf_counter() - started < 1.0
