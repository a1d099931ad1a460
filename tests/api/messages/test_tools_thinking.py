"""Tools (an agent loop that ends), thinking blocks and prompt caching, through the anthropic SDK."""

from __future__ import annotations

import json

import anthropic
import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from tests.api.messages.test_messages import VERSION, blocks

MODEL = "claude-sonnet-4-5"
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
}
TOOLS = [
    {"name": "get_weather", "description": "Weather forecast for a city", "input_schema": WEATHER},
    {"name": "get_time", "description": "Current time in a timezone",
     "input_schema": {"type": "object", "properties": {"timezone": {"type": "string"}}}},
]  # fmt: skip
ASK = [{"role": "user", "content": "What's the weather in Lisbon?"}]


def test_auto_calls_the_matching_tool(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model=MODEL, max_tokens=500, messages=ASK, tools=TOOLS)
    assert message.stop_reason == "tool_use"
    (call,) = message.content
    assert call.type == "tool_use" and call.name == "get_weather" and call.id.startswith("toolu_01")
    assert not list(Draft202012Validator(WEATHER).iter_errors(call.input))
    assert call.input["city"] == "Lisbon"  # the argument the user named


def test_an_agent_loop_ends(claude: anthropic.Anthropic) -> None:
    messages: list[dict] = list(ASK)
    for _ in range(4):
        message = claude.messages.create(model=MODEL, max_tokens=500, messages=messages, tools=TOOLS)
        if message.stop_reason != "tool_use":
            break
        messages.append({"role": "assistant", "content": [b.model_dump() for b in message.content]})
        results = [
            {"type": "tool_result", "tool_use_id": b.id, "content": json.dumps({"temperature": 21})}
            for b in message.content
            if b.type == "tool_use"
        ]
        messages.append({"role": "user", "content": results})
    assert message.stop_reason == "end_turn" and len(messages) == 3
    assert message.content[0].type == "text"


def test_tool_choice(claude: anthropic.Anthropic) -> None:
    unrelated = [{"role": "user", "content": "Tell me a story."}]
    auto = claude.messages.create(model=MODEL, max_tokens=1000, messages=unrelated, tools=TOOLS)
    assert auto.stop_reason == "end_turn"
    any_tool = claude.messages.create(
        model=MODEL, max_tokens=1000, messages=unrelated, tools=TOOLS, tool_choice={"type": "any"}
    )
    assert any_tool.stop_reason == "tool_use"
    named = claude.messages.create(
        model=MODEL,
        max_tokens=1000,
        messages=ASK,
        tools=TOOLS,
        tool_choice={"type": "tool", "name": "get_time"},
    )
    assert [b.name for b in named.content] == ["get_time"]
    none = claude.messages.create(
        model=MODEL, max_tokens=1000, messages=ASK, tools=TOOLS, tool_choice={"type": "none"}
    )
    assert none.stop_reason == "end_turn"
    both = [{"role": "user", "content": "The weather in Lisbon and the time in its timezone?"}]
    parallel = claude.messages.create(model=MODEL, max_tokens=1000, messages=both, tools=TOOLS)
    assert len(parallel.content) == 2
    single = claude.messages.create(
        model=MODEL, max_tokens=1000, messages=both, tools=TOOLS,
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
    )  # fmt: skip
    assert len(single.content) == 1
    with pytest.raises(anthropic.BadRequestError) as unknown:
        claude.messages.create(
            model=MODEL,
            max_tokens=1000,
            messages=ASK,
            tools=TOOLS,
            tool_choice={"type": "tool", "name": "nope"},
        )
    assert unknown.value.body["error"]["message"] == "tool_choice: Tool 'nope' not found in provided tools"


def test_streamed_tool_use_assembles(claude: anthropic.Anthropic, raw: TestClient) -> None:
    whole = claude.messages.create(model=MODEL, max_tokens=500, messages=ASK, tools=TOOLS)
    with claude.messages.stream(model=MODEL, max_tokens=500, messages=ASK, tools=TOOLS) as stream:
        streamed = stream.get_final_message()
    assert blocks(streamed) == blocks(whole) and streamed.stop_reason == "tool_use"
    body = {"model": MODEL, "max_tokens": 500, "messages": ASK, "tools": TOOLS, "stream": True}
    text = raw.post("/v1/messages", json=body, headers=VERSION).text
    deltas = [json.loads(line[6:]) for line in text.split("\n") if '"content_block_delta"' in line]
    assert deltas and {d["delta"]["type"] for d in deltas} == {"input_json_delta"}
    assert json.loads("".join(d["delta"]["partial_json"] for d in deltas)) == whole.content[0].input


def test_thinking(claude: anthropic.Anthropic) -> None:
    thinking = {"type": "enabled", "budget_tokens": 2000}
    message = claude.messages.create(model=MODEL, max_tokens=4000, messages=ASK, thinking=thinking)
    first, second = message.content
    assert first.type == "thinking" and first.thinking and first.signature
    assert second.type == "text" and message.stop_reason == "end_turn"
    thought = len(first.thinking.split())  # prose: about one token per word or mark
    assert 400 <= message.usage.output_tokens_details.thinking_tokens <= 2000
    assert thought > 0
    with claude.messages.stream(model=MODEL, max_tokens=4000, messages=ASK, thinking=thinking) as stream:
        kinds = {event.delta.type for event in stream if event.type == "content_block_delta"}
        streamed = stream.get_final_message()
    assert kinds == {"thinking_delta", "signature_delta", "text_delta"}
    assert blocks(streamed) == blocks(message)
    # The thinking block goes back in the next turn, as the SDK's users do; it is not counted again.
    follow = claude.messages.create(
        model=MODEL, max_tokens=4000, thinking=thinking,
        messages=[*ASK, {"role": "assistant", "content": [b.model_dump() for b in message.content]},
                  {"role": "user", "content": "Thanks!"}],
    )  # fmt: skip
    assert follow.content[0].type == "thinking"


def test_thinking_is_checked(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as small:
        claude.messages.create(model=MODEL, max_tokens=4000, messages=ASK,
                               thinking={"type": "enabled", "budget_tokens": 100})  # fmt: skip
    assert "greater than or equal to 1024" in small.value.message
    with pytest.raises(anthropic.BadRequestError) as over:
        claude.messages.create(model=MODEL, max_tokens=2000, messages=ASK,
                               thinking={"type": "enabled", "budget_tokens": 2000})  # fmt: skip
    assert "`max_tokens` must be greater than `thinking.budget_tokens`" in over.value.message
    with pytest.raises(anthropic.BadRequestError) as unable:
        claude.messages.create(model="claude-3-5-haiku-20241022", max_tokens=4000, messages=ASK,
                               thinking={"type": "enabled", "budget_tokens": 2000})  # fmt: skip
    assert "does not support thinking" in unable.value.message


def test_structured_output(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model=MODEL, max_tokens=500, messages=ASK,
        output_config={"format": {"type": "json_schema", "schema": WEATHER}},
    )  # fmt: skip
    assert not list(Draft202012Validator(WEATHER).iter_errors(json.loads(message.content[0].text)))


LONG_SYSTEM = " ".join(["The archive keeps every ledger of the harbour, sorted by year and by ship."] * 120)


def test_prompt_caching_follows_cache_control(claude: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    first = claude.messages.create(model=MODEL, max_tokens=5, system=system, messages=ASK)
    usage = first.usage
    assert usage.cache_read_input_tokens == 0 and usage.cache_creation_input_tokens > 1024
    assert usage.cache_creation.ephemeral_5m_input_tokens == usage.cache_creation_input_tokens
    total = usage.input_tokens + usage.cache_creation_input_tokens
    again = claude.messages.create(model=MODEL, max_tokens=5, system=system, messages=ASK).usage
    assert again.cache_read_input_tokens == usage.cache_creation_input_tokens
    assert again.cache_creation_input_tokens == 0
    assert again.input_tokens + again.cache_read_input_tokens == total
    # Without a marker nothing is reported cached, though the engine's prefix cache still hits.
    unmarked = claude.messages.create(
        model=MODEL, max_tokens=5, system=[{"type": "text", "text": LONG_SYSTEM}], messages=ASK
    ).usage
    assert unmarked.cache_read_input_tokens == 0 and unmarked.input_tokens == total
    # A short prefix is below Anthropic's minimum and is never cached.
    short = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    for _ in range(2):
        small = claude.messages.create(model=MODEL, max_tokens=5, system=short, messages=ASK).usage
        assert small.cache_read_input_tokens == 0 and small.cache_creation_input_tokens == 0


def test_top_level_cache_control_caches_the_conversation(claude: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": LONG_SYSTEM}]
    first = claude.messages.create(
        model=MODEL, max_tokens=5, messages=messages, cache_control={"type": "ephemeral"}
    )
    second = claude.messages.create(
        model=MODEL, max_tokens=5, messages=messages, cache_control={"type": "ephemeral"}
    )
    assert first.usage.cache_creation_input_tokens > 1024
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
