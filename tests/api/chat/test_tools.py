"""Tool calling with the official SDK: tool_choice modes, parallel calls, streaming, legacy functions and
an agent loop that ends."""

from __future__ import annotations

import json
import re

import openai
import pytest
from jsonschema import Draft202012Validator
from openai import OpenAI
from pydantic import BaseModel
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import Tokenizers
from tests.api.chat.test_chat_stream import stream_raw

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit", "days"],
    "additionalProperties": False,
}
TIME = {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}
TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "Weather forecast for a city",
                     "parameters": WEATHER, "strict": True},
    },
    {"type": "function", "function": {"name": "get_time", "description": "Current time in a timezone",
                                      "parameters": TIME}},
    {"type": "function", "function": {"name": "send_email", "description": "Send an email message"}},
]  # fmt: skip
SCHEMAS = {"get_weather": WEATHER, "get_time": TIME, "send_email": {"type": "object", "properties": {}}}
ASK_WEATHER = [{"role": "user", "content": "What's the weather in Lisbon?"}]
ASK_BOTH = [{"role": "user", "content": "What's the weather in Lisbon, and the time there?"}]
CALL_ID = re.compile(r"^call_[A-Za-z0-9]{24}$")


def _check_calls(message: object) -> list[str]:
    calls = message.tool_calls  # type: ignore[attr-defined]
    assert message.content is None and calls  # type: ignore[attr-defined]
    for call in calls:
        assert CALL_ID.match(call.id) and call.type == "function"
        arguments = json.loads(call.function.arguments)
        assert not list(Draft202012Validator(SCHEMAS[call.function.name]).iter_errors(arguments))
    return [call.function.name for call in calls]


def test_auto_calls_the_matching_tool(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=ASK_WEATHER, tools=TOOLS)  # type: ignore[arg-type]
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert _check_calls(choice.message) == ["get_weather"]
    call = choice.message.tool_calls[0]  # type: ignore[index]
    tokens = Tokenizers().get("o200k_base")
    expected = len(tokens.encode_ordinary(call.function.name)) + len(
        tokens.encode_ordinary(call.function.arguments)
    )  # type: ignore[union-attr]
    assert completion.usage and completion.usage.completion_tokens == expected


def test_auto_answers_in_text_when_nothing_matches(client: OpenAI) -> None:
    messages = [{"role": "user", "content": "Tell me a story."}]
    choice = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS).choices[0]  # type: ignore[arg-type]
    assert choice.finish_reason == "stop" and choice.message.content and not choice.message.tool_calls


def test_none_never_calls(client: OpenAI) -> None:
    choice = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK_WEATHER,
        tools=TOOLS,
        tool_choice="none",  # type: ignore[arg-type]
    ).choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls


def test_required_calls_even_without_a_match(client: OpenAI) -> None:
    messages = [{"role": "user", "content": "Tell me a story."}]
    choice = client.chat.completions.create(
        model="gpt-4o",
        messages=messages,
        tools=TOOLS,
        tool_choice="required",  # type: ignore[arg-type]
    ).choices[0]
    assert choice.finish_reason == "tool_calls" and len(_check_calls(choice.message)) == 1


def test_named_function_is_called(client: OpenAI) -> None:
    choice = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK_WEATHER,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    ).choices[0]
    assert _check_calls(choice.message) == ["get_time"]


def test_parallel_calls_unless_disabled(client: OpenAI) -> None:
    both = client.chat.completions.create(model="gpt-4o", messages=ASK_BOTH, tools=TOOLS).choices[0]  # type: ignore[arg-type]
    assert sorted(_check_calls(both.message)) == ["get_time", "get_weather"]
    assert len({c.id for c in both.message.tool_calls or ()}) == 2
    one = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK_BOTH,
        tools=TOOLS,
        parallel_tool_calls=False,  # type: ignore[arg-type]
    ).choices[0]
    assert len(_check_calls(one.message)) == 1


def test_agent_loop_ends_after_the_tool_result(client: OpenAI) -> None:
    messages: list = list(ASK_WEATHER)
    turns = 0
    while True:
        turns += 1
        assert turns <= 5, "the agent loop never ended"
        message = (
            client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS).choices[0].message
        )  # type: ignore[arg-type]
        if not message.tool_calls:
            break
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 21}'})
    assert turns == 2 and message.content


def test_streamed_calls_follow_openais_deltas(http: TestClient) -> None:
    chunks = stream_raw(http, messages=ASK_BOTH, tools=TOOLS, seed=4, stream_options={"include_usage": True})[
        :-1
    ]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]  # type: ignore[index]
    assert deltas[0] == {"role": "assistant", "content": None}
    calls: dict[int, dict] = {}
    argument_deltas = 0
    for delta in deltas[1:]:
        for part in delta.get("tool_calls", ()):
            if "id" in part:  # a call's first delta: everything but the arguments
                assert CALL_ID.match(part["id"]) and part["type"] == "function"
                assert part["function"]["arguments"] == "" and part["index"] not in calls
                calls[part["index"]] = {"name": part["function"]["name"], "arguments": ""}
            else:
                assert set(part) == {"index", "function"} and set(part["function"]) == {"arguments"}
                calls[part["index"]]["arguments"] += part["function"]["arguments"]
                argument_deltas += 1
    assert sorted(c["name"] for c in calls.values()) == ["get_time", "get_weather"]
    for call in calls.values():
        assert not list(
            Draft202012Validator(SCHEMAS[call["name"]]).iter_errors(json.loads(call["arguments"]))
        )
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"  # type: ignore[index]
    tokens = Tokenizers().get("o200k_base")
    names = sum(len(tokens.encode_ordinary(c["name"])) for c in calls.values())
    assert chunks[-1]["usage"]["completion_tokens"] == names + argument_deltas  # type: ignore[index]


def test_stream_and_response_agree_for_a_seed(client: OpenAI) -> None:
    body = {"model": "gpt-4o", "messages": ASK_WEATHER, "tools": TOOLS, "seed": 5}
    whole = client.chat.completions.create(**body).choices[0].message.tool_calls[0]  # type: ignore[arg-type, index]
    arguments = ""
    for chunk in client.chat.completions.create(**body, stream=True):  # type: ignore[arg-type]
        for part in chunk.choices[0].delta.tool_calls or ():
            arguments += part.function.arguments or ""  # type: ignore[union-attr]
    assert arguments == whole.function.arguments  # type: ignore[union-attr]


class GetWeather(BaseModel):
    city: str
    days: int


def test_sdk_stream_helper_parses_pydantic_tool_arguments(client: OpenAI) -> None:
    with client.chat.completions.stream(
        model="gpt-4o",
        messages=ASK_WEATHER,
        tools=[openai.pydantic_function_tool(GetWeather)],  # type: ignore[arg-type]
    ) as stream:
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or ()
    assert isinstance(call.function.parsed_arguments, GetWeather)


def test_max_tokens_cuts_the_arguments(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK_WEATHER,
        tools=TOOLS,
        max_tokens=4,  # type: ignore[arg-type]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "length" and completion.usage and completion.usage.completion_tokens == 4
    assert choice.message.tool_calls and choice.message.tool_calls[0].function.name == "get_weather"  # type: ignore[union-attr]


FUNCTIONS = [{"name": t["function"]["name"], "description": t["function"]["description"],  # type: ignore[index]
              "parameters": SCHEMAS[t["function"]["name"]]} for t in TOOLS]  # type: ignore[index]  # fmt: skip


@pytest.mark.parametrize(
    ("function_call", "called"), [("auto", "get_weather"), ({"name": "get_time"}, "get_time"), ("none", None)]
)
def test_legacy_functions(client: OpenAI, function_call: object, called: str | None) -> None:
    choice = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK_BOTH,
        functions=FUNCTIONS,
        function_call=function_call,  # type: ignore[arg-type]
    ).choices[0]
    if called is None:
        assert choice.finish_reason == "stop" and choice.message.function_call is None
        return
    assert choice.finish_reason == "function_call" and choice.message.content is None
    assert choice.message.function_call and choice.message.function_call.name == called
    json.loads(choice.message.function_call.arguments)


def test_legacy_function_call_streams(http: TestClient) -> None:
    chunks = stream_raw(http, messages=ASK_WEATHER, functions=FUNCTIONS)[:-1]
    parts = [c["choices"][0]["delta"].get("function_call") for c in chunks]  # type: ignore[index]
    parts = [p for p in parts if p]
    assert parts[0] == {"name": "get_weather", "arguments": ""}
    assert all(set(p) == {"arguments"} for p in parts[1:]) and len(parts) > 2
    json.loads("".join(p["arguments"] for p in parts))
    assert chunks[-1]["choices"][0]["finish_reason"] == "function_call"  # type: ignore[index]


IMPOSSIBLE = {"type": "object", "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 1}},
              "required": ["a"]}  # fmt: skip


def _tool(parameters: dict, strict: bool = False) -> dict:
    return {"type": "function", "function": {"name": "f", "parameters": parameters, "strict": strict}}


BAD = [
    # (changes to the body, param, code)
    ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice", "invalid_value"),
    ({"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice",
     "invalid_value"),
    ({"tools": TOOLS, "tool_choice": {"type": "function"}}, "tool_choice", "invalid_value"),
    ({"tools": []}, "tools", "empty_array"),
    ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "tools[0].function.name",
     "invalid_value"),
    ({"tools": [_tool({"type": "object", "properties": {"a": {}}}, strict=True)]},
     "tools[0].function.parameters", "invalid_function_parameters"),
    ({"tools": [_tool(IMPOSSIBLE)], "tool_choice": "required"},
     "tools[0].function.parameters", "invalid_function_parameters"),
    ({"parallel_tool_calls": True}, "parallel_tool_calls", "invalid_value"),
    ({"functions": FUNCTIONS, "function_call": {"name": "nope"}}, "function_call", "invalid_value"),
    ({"function_call": "auto"}, "function_call", "invalid_value"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "param", "code"), BAD)
def test_bad_tool_fields_are_400s(http: TestClient, changes: dict, param: str, code: str) -> None:
    response = http.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": ASK_WEATHER, **changes})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code), error


def test_allowed_tools_restricts_the_choice(client: OpenAI) -> None:
    choice = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK_BOTH,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
        tool_choice={
            "type": "allowed_tools",
            "allowed_tools": {
                "mode": "required",
                "tools": [{"type": "function", "function": {"name": "get_time"}}],
            },
        },
    ).choices[0]
    assert _check_calls(choice.message) == ["get_time"]


def test_reasoning_models_think_before_calling(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="o3",
        messages=ASK_WEATHER,
        tools=TOOLS,
        reasoning_effort="low",
        seed=1,  # type: ignore[arg-type]
    )
    choice, usage = completion.choices[0], completion.usage
    assert choice.finish_reason == "tool_calls" and _check_calls(choice.message) == ["get_weather"]
    assert usage and usage.completion_tokens_details
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    call = (choice.message.tool_calls or [])[0]
    tokens = Tokenizers().get("o200k_base")
    answer = len(tokens.encode_ordinary(call.function.name)) + len(
        tokens.encode_ordinary(call.function.arguments)
    )  # type: ignore[union-attr]
    assert reasoning > 0 and usage.completion_tokens == reasoning + answer


def test_logprobs_cover_content_only(client: OpenAI) -> None:
    choice = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK_WEATHER,
        tools=TOOLS,
        logprobs=True,  # type: ignore[arg-type]
    ).choices[0]
    assert choice.message.tool_calls and choice.logprobs
    assert choice.logprobs.content is None and choice.logprobs.refusal is None
