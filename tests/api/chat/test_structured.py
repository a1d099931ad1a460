"""Structured outputs: ``response_format`` json_object / json_schema, ``parse()`` and streaming."""

from __future__ import annotations

import json

import openai
import pytest
from jsonschema import Draft202012Validator
from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import Tokenizers

ASK = [{"role": "user", "content": "Describe a person as JSON."}]


class Address(BaseModel):
    street: str
    city: str
    postcode: str | None


class Person(BaseModel):
    name: str
    age: int
    email: str
    addresses: list[Address]
    manager: Person | None


SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 40},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}, "uniqueItems": True},
        "published": {"type": "string", "format": "date"},
    },
    "required": ["title", "rating", "tags", "published"],
    "additionalProperties": False,
}


def _format(schema: dict, strict: bool = True) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "review", "schema": schema, "strict": strict}}


@pytest.mark.parametrize("seed", range(5))
def test_parse_fills_nested_pydantic_models(client: OpenAI, seed: int) -> None:
    completion = client.chat.completions.parse(
        model="gpt-4o", messages=ASK, response_format=Person, seed=seed
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert isinstance(choice.message.parsed, Person)
    assert Person.model_validate_json(choice.message.content or "") == choice.message.parsed


@pytest.mark.parametrize("strict", [True, False])
def test_json_schema_content_validates(client: OpenAI, strict: bool) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK,
        response_format=_format(SCHEMA, strict),
        n=4,
        seed=3,  # type: ignore[arg-type]
    )
    contents = [c.message.content or "" for c in completion.choices]
    for content in contents:
        assert not list(Draft202012Validator(SCHEMA).iter_errors(json.loads(content)))
    assert len(set(contents)) > 1  # n choices differ
    tokens = Tokenizers().get("o200k_base")
    assert completion.usage and completion.usage.completion_tokens == sum(
        len(tokens.encode_ordinary(c)) for c in contents
    )


def test_json_object_mode_answers_a_json_object(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o", messages=ASK, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)


def test_streamed_json_concatenates_to_the_content_one_token_per_chunk(client: OpenAI) -> None:
    body = {"model": "gpt-4o", "messages": ASK, "response_format": _format(SCHEMA), "seed": 9}
    whole = client.chat.completions.create(**body)  # type: ignore[arg-type]
    stream = client.chat.completions.create(**body, stream=True, stream_options={"include_usage": True})
    pieces, usage = [], None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
    assert "".join(pieces) == whole.choices[0].message.content
    assert usage and len(pieces) == usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]


async def test_stream_helper_parses_the_final_message(aclient: AsyncOpenAI) -> None:
    async with aclient.chat.completions.stream(
        model="gpt-4o",
        messages=ASK,
        response_format=Person,
        seed=2,  # type: ignore[arg-type]
    ) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, Person)


def test_max_tokens_cuts_the_json_with_length(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK,
        response_format=_format(SCHEMA),
        max_tokens=5,  # type: ignore[arg-type]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "length" and completion.usage and completion.usage.completion_tokens == 5
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content or "")
    with pytest.raises(openai.LengthFinishReasonError):
        client.chat.completions.parse(model="gpt-4o", messages=ASK, response_format=Person, max_tokens=5)


def test_same_seed_same_json(client: OpenAI) -> None:
    def once() -> str | None:
        return (
            client.chat.completions.create(
                model="gpt-4o",
                messages=ASK,
                response_format=_format(SCHEMA),
                seed=11,  # type: ignore[arg-type]
            )
            .choices[0]
            .message.content
        )

    assert once() == once()


BAD = [
    # (response_format, messages, param, code)
    ({"type": "json_object"}, [{"role": "user", "content": "hi"}], "messages", None),
    ({"type": "xml"}, ASK, "response_format.type", "invalid_value"),
    ({"type": "json_schema"}, ASK, "response_format.json_schema", "missing_required_parameter"),
    ({"type": "json_schema", "json_schema": {"schema": SCHEMA}}, ASK, "response_format.json_schema.name",
     "missing_required_parameter"),
    ({"type": "json_schema", "json_schema": {"name": "has space", "schema": SCHEMA}}, ASK,
     "response_format.json_schema.name", "invalid_value"),
    (_format({"type": "object", "properties": {"a": {"type": "string"}}}), ASK, "response_format", None),
    (_format({"type": "object", "properties": {"a": {"type": "string", "minLength": 9, "maxLength": 2}},
              "required": ["a"]}, strict=False), ASK, "response_format", None),
]  # fmt: skip


@pytest.mark.parametrize(("response_format", "messages", "param", "code"), BAD)
def test_bad_response_formats_are_400s(
    http: TestClient, response_format: dict, messages: list, param: str, code: str | None
) -> None:
    response = http.post(
        "/v1/chat/completions",
        json={"model": "gpt-4o", "messages": messages, "response_format": response_format},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code), error
    assert error["type"] == "invalid_request_error" and error["message"]


def test_strict_schema_errors_quote_openais_context(http: TestClient) -> None:
    nested = {"type": "object", "properties": {"a": {"type": "object", "properties": {}}}, "required": ["a"],
              "additionalProperties": False}  # fmt: skip
    response = http.post(
        "/v1/chat/completions", json={"model": "gpt-4o", "messages": ASK, "response_format": _format(nested)}
    )
    assert response.json()["error"]["message"] == (
        "Invalid schema for response_format 'review': In context=('properties', 'a'), 'additionalProperties' "
        "is required to be supplied and to be false."
    )


def test_logprobs_follow_the_json_tokens(client: OpenAI) -> None:
    choice = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK,
        response_format=_format(SCHEMA),
        logprobs=True,
        top_logprobs=2,  # type: ignore[arg-type]
    ).choices[0]
    assert choice.logprobs and choice.logprobs.content
    assert "".join(entry.token for entry in choice.logprobs.content) == choice.message.content
