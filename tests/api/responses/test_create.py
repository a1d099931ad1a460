"""POST /v1/responses without streaming: inputs, limits, formats, tools and errors, with the strict SDK."""

from __future__ import annotations

import pydantic
import pytest
from openai import BadRequestError, OpenAI
from starlette.testclient import TestClient

from tests.api.responses.helpers import WEATHER

PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
    "RU5ErkJggg=="
)


def test_text_response(client: OpenAI, validated: list) -> None:
    response = client.responses.create(model="gpt-4o", input="Tell me about tides.", metadata={"run": "1"})
    assert response.object == "response" and response.status == "completed"
    assert response.id.startswith("resp_")
    (message,) = response.output
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert response.output_text and response.output_text == message.content[0].text
    usage = response.usage
    assert usage.output_tokens > 0 and usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert response.metadata == {"run": "1"} and response.store is True
    assert validated == [("/v1/responses", 200, 1)]  # the raw body matched the spec's Response


def test_max_output_tokens_gives_incomplete(client: OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="Tell me a long story.", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 16
    assert response.output[0].status == "incomplete"


def test_below_the_floor_is_a_400(client: OpenAI) -> None:
    with pytest.raises(BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Hi", max_output_tokens=4)
    assert info.value.body["param"] == "max_output_tokens"


def test_instructions_and_items_count_as_input(client: OpenAI) -> None:
    plain = client.responses.create(model="gpt-4o", input="Describe the picture.")
    rich = client.responses.create(
        model="gpt-4o",
        instructions="You are terse.",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Describe the picture."},
                    {"type": "input_image", "image_url": PNG, "detail": "low"},
                ],
            },
        ],
        temperature=0.2,
        top_p=0.9,
    )
    assert rich.usage.input_tokens > plain.usage.input_tokens + 80  # a low-detail image costs 85
    assert rich.instructions == "You are terse." and rich.temperature == 0.2 and rich.top_p == 0.9


def test_seed_reproduces(client: OpenAI) -> None:
    first = client.responses.create(model="gpt-4o", input="Hi", extra_body={"seed": 7})
    again = client.responses.create(model="gpt-4o", input="Hi", extra_body={"seed": 7})
    assert first.output_text == again.output_text


def test_reasoning_items_and_tokens(client: OpenAI) -> None:
    response = client.responses.create(
        model="o4-mini",
        input="Why is the sky blue?",
        reasoning={"effort": "low", "summary": "detailed"},
        include=["reasoning.encrypted_content"],
    )
    reasoning, message = response.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].type == "summary_text"
    assert reasoning.summary[0].text.startswith("**") and reasoning.encrypted_content
    assert 64 <= response.usage.output_tokens_details.reasoning_tokens <= 512
    assert response.reasoning.effort == "low" and response.reasoning.summary == "detailed"
    assert message.type == "message"


def test_reasoning_on_a_model_without_it_is_a_400(client: OpenAI) -> None:
    with pytest.raises(BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Hi", reasoning={"effort": "high"})
    assert info.value.body["param"] == "reasoning.effort"
    assert "'reasoning.effort'" in info.value.body["message"]


class Answer(pydantic.BaseModel):
    city: str
    temperature_celsius: float
    sunny: bool


def test_parse_with_a_strict_schema(client: OpenAI) -> None:
    parsed = client.responses.parse(model="gpt-4o", input="Weather in Lisbon?", text_format=Answer)
    assert isinstance(parsed.output_parsed, Answer)
    assert parsed.text.format.type == "json_schema"


def test_json_object_needs_the_word_json(client: OpenAI) -> None:
    response = client.responses.create(
        model="gpt-4o", input="Answer in JSON please.", text={"format": {"type": "json_object"}}
    )
    import json

    assert isinstance(json.loads(response.output_text), dict)
    with pytest.raises(BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Hi", text={"format": {"type": "json_object"}})
    assert info.value.body["param"] == "input"


def test_function_call_then_its_output_ends_the_loop(client: OpenAI) -> None:
    first = client.responses.create(model="gpt-4o", input="What's the weather in Lisbon?", tools=[WEATHER])
    (call,) = first.output
    assert call.type == "function_call" and call.name == "get_weather" and call.call_id.startswith("call_")
    assert '"city":"Lisbon"' in call.arguments
    followup = client.responses.create(
        model="gpt-4o",
        tools=[WEATHER],
        input=[
            {"role": "user", "content": "What's the weather in Lisbon?"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 21}'},
        ],
    )
    assert followup.output[0].type == "message" and followup.output_text
    assert followup.usage.input_tokens > first.usage.input_tokens


def test_tool_choice_required_and_named(client: OpenAI) -> None:
    other = {**WEATHER, "name": "get_time", "description": "Current time"}
    named = client.responses.create(
        model="gpt-4o",
        input="Hello",
        tools=[WEATHER, other],
        tool_choice={"type": "function", "name": "get_time"},
    )
    assert [item.name for item in named.output] == ["get_time"]
    none = client.responses.create(
        model="gpt-4o", input="Weather in Lisbon?", tools=[WEATHER], tool_choice="none"
    )
    assert none.output[0].type == "message"
    single = client.responses.create(
        model="gpt-4o", input="weather and time", tools=[WEATHER, other], parallel_tool_calls=False
    )
    assert len(single.output) == 1 and single.parallel_tool_calls is False


def test_bad_strict_tool_schema_names_the_tool_param(client: OpenAI) -> None:
    loose = {**WEATHER, "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    with pytest.raises(BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Hi", tools=[{"type": "web_search"}, loose])
    assert info.value.body["param"] == "tools[1].parameters"


@pytest.mark.parametrize("kind", ["code_interpreter", "computer_use_preview", "image_generation", "mcp"])
def test_unsimulated_tool_types_are_named_in_a_400(http: TestClient, kind: str) -> None:
    response = http.post("/v1/responses", json={"model": "gpt-4o", "input": "Hi", "tools": [{"type": kind}]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "tools[0].type" and f"'{kind}'" in error["message"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": [{"type": "nonsense"}]}, "input[0].type"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        ({"input": [{"role": "user", "content": [{"type": "output_audio"}]}]}, "input[0].content[0].type"),
        ({"input": [{"type": "function_call_output", "call_id": "c"}]}, "input[0].output"),
        ({"input": [{"type": "item_reference", "id": "msg_nope"}]}, "input[0].id"),
        ({"input": "Hi", "include": ["everything"]}, "include[0]"),
        ({"input": "Hi", "temperature": 3}, "temperature"),
        ({"input": "Hi", "background": True, "store": False}, "background"),
        ({}, "input"),
    ],
)
def test_bad_input_names_its_param(http: TestClient, body: dict, param: str) -> None:
    response = http.post("/v1/responses", json={"model": "gpt-4o", **body})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_logprobs_when_included(client: OpenAI) -> None:
    response = client.responses.create(
        model="gpt-4o",
        input="Hi",
        include=["message.output_text.logprobs"],
        top_logprobs=2,
        max_output_tokens=20,
    )
    part = response.output[0].content[0]
    assert "".join(lp.token for lp in part.logprobs) == part.text
    assert all(len(lp.top_logprobs) == 2 for lp in part.logprobs)


def test_input_file_counts_pages(client: OpenAI) -> None:
    response = client.responses.create(
        model="gpt-4o",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Summarise."},
                    {"type": "input_file", "file_id": "file-abc", "filename": "report.pdf"},
                ],
            }
        ],
    )
    assert response.usage.input_tokens > 500


def test_truncation_auto_drops_the_oldest_items(make_app) -> None:  # type: ignore[no-untyped-def]
    long = "word " * 400
    items = [
        {"role": "user", "content": long},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "Hi"},
    ]
    with TestClient(make_app(max_model_len=300)) as http:
        refused = http.post(
            "/v1/responses", json={"model": "gpt-4o", "input": items, "max_output_tokens": 16}
        )
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "input"
        kept = http.post(
            "/v1/responses",
            json={
                "model": "gpt-4o",
                "input": items,
                "max_output_tokens": 16,
                "truncation": "auto",
                "instructions": "Be brief.",
            },
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["usage"]["input_tokens"] < 40 and kept.json()["truncation"] == "auto"
