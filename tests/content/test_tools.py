"""Tool arguments always validate against the tool's schema; tool matching and call layout."""

from __future__ import annotations

import json
import random

import quicktok
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeai.content.tools import ToolSpec, arguments, call_id, plan_calls, ranked
from tests.content.schemas import schemas
from tests.content.test_json_schema import assert_valid


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=schemas(strict=True) | schemas(strict=False), seed=st.integers(0, 2**32))
def test_tool_arguments_validate(schema: dict, seed: int) -> None:
    text = arguments(ToolSpec("lookup", "", schema), random.Random(seed))
    assert_valid(schema, json.loads(text))


def test_no_parameters_means_an_empty_object() -> None:
    assert arguments(ToolSpec("ping"), random.Random(0)) == "{}"


def test_ranked_by_word_overlap() -> None:
    tools = [
        ToolSpec("send_email", "Send an email"),
        ToolSpec("getWeather", "Forecast for a city"),
        ToolSpec("get_time", "Current time in a timezone"),
    ]
    assert [t.name for t in ranked(tools, "weather forecast for Lisbon")] == ["getWeather"]
    assert ranked(tools, "tell me a story") == []


def test_calls_lay_out_name_then_argument_tokens() -> None:
    encoding = quicktok.get_encoding("o200k_base")
    rng = random.Random(1)
    completion = plan_calls(encoding, [("get_weather", '{"city":"Lisbon"}'), ("f", "{}")], rng, limit=100)
    assert completion.finish_reason == "tool_calls" and completion.kind == "tool_calls"
    first, second = completion.calls
    assert "".join(completion.pieces[first.start : first.start + first.name_tokens]) == "get_weather"
    assert first.arguments_within(completion.pieces) == '{"city":"Lisbon"}'
    assert second.start == first.end and second.end == len(completion.pieces)
    cut = plan_calls(encoding, [("get_weather", '{"city":"Lisbon"}'), ("f", "{}")], rng, limit=first.end - 1)
    assert cut.finish_reason == "length" and len(cut.calls) == 1
    assert len(call_id(rng)) == 29


def test_arguments_take_what_the_user_names() -> None:
    import json
    import random

    from fakeai.content.tools import ToolSpec, arguments

    weather = ToolSpec(
        "get_weather",
        "Weather for a city",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    assert json.loads(arguments(weather, random.Random(1), "What's the weather in Lisbon?")) == {
        "city": "Lisbon"
    }
    flights = ToolSpec(
        "find_flights",
        "",
        {
            "type": "object",
            "properties": {"origin": {"type": "string"}, "destination": {"type": "string"}},
            "required": ["origin", "destination"],
            "additionalProperties": False,
        },
    )
    found = json.loads(arguments(flights, random.Random(1), "Flights from Lisbon to New York, please"))
    assert found == {"origin": "Lisbon", "destination": "New York"}
    search = ToolSpec(
        "search",
        "",
        {
            "type": "object",
            "properties": {"query": {"type": "string", "maxLength": 20}},
            "required": ["query"],
        },
    )
    assert json.loads(arguments(search, random.Random(1), 'Look up "open issues" for me')) == {
        "query": "open issues"
    }
    # A mention that breaks the field's bounds is not used: the value still validates.
    short = json.loads(arguments(search, random.Random(1), "Tell me everything about the history of tea"))
    assert len(short["query"]) <= 20
