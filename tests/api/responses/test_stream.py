"""Streamed responses: every event in the spec's order with sequence numbers from 0, read by the SDK."""

from __future__ import annotations

import json
from collections import Counter

from openai import OpenAI
from starlette.testclient import TestClient

from tests.api.responses.helpers import WEATHER, stream
from tests.contract.spec import Spec


def _kinds(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def test_text_stream_order(http: TestClient, spec: Spec) -> None:
    events = stream(http, input="Tell me about tides.", max_output_tokens=20)
    kinds = _kinds(events)
    assert kinds[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 20
    done = events[-1]["response"]
    assert done["output"][0]["content"][0]["text"] == "".join(deltas)
    assert done["incomplete_details"] == {"reason": "max_output_tokens"}
    assert events[0]["response"]["status"] == "in_progress" and "usage" not in events[0]["response"]
    for event in events:
        spec.validate("ResponseStreamEvent", event)


def test_reasoning_function_call_and_text_validate(http: TestClient, spec: Spec) -> None:
    """The done-when check: a stream with reasoning (summary), a function call, then (after its output)
    reasoning and text: every event is a valid ``ResponseStreamEvent``."""
    reasoning = {"effort": "minimal", "summary": "auto"}
    first = stream(
        http, model="o4-mini", input="What's the weather in Lisbon?", tools=[WEATHER], reasoning=reasoning
    )
    kinds = Counter(_kinds(first))
    assert kinds["response.reasoning_summary_text.delta"] > 0
    assert kinds["response.reasoning_summary_part.done"] == 1
    assert kinds["response.function_call_arguments.delta"] > 0
    assert kinds["response.function_call_arguments.done"] == 1
    final = first[-1]["response"]
    assert first[-1]["type"] == "response.completed"
    reasoning_item, call = final["output"]
    assert reasoning_item["type"] == "reasoning" and call["type"] == "function_call"
    arguments = "".join(e["delta"] for e in first if e["type"] == "response.function_call_arguments.delta")
    assert arguments == call["arguments"] and json.loads(arguments)["city"] == "Lisbon"
    second = stream(
        http,
        model="o4-mini",
        tools=[WEATHER],
        reasoning=reasoning,
        input=[
            {"role": "user", "content": "What's the weather in Lisbon?"},
            call,
            {"type": "function_call_output", "call_id": call["call_id"], "output": "21 C, sunny"},
        ],
    )
    assert "response.output_text.delta" in _kinds(second)
    for event in first + second:
        spec.validate("ResponseStreamEvent", event)


def test_visible_reasoning_streams_reasoning_text(http: TestClient, spec: Spec) -> None:
    events = stream(http, model="deepseek-ai/DeepSeek-R1", input="Why?", max_output_tokens=200)
    kinds = _kinds(events)
    assert "response.reasoning_text.delta" in kinds and "response.reasoning_text.done" in kinds
    thoughts = "".join(e["delta"] for e in events if e["type"] == "response.reasoning_text.delta")
    item = events[-1]["response"]["output"][0]
    assert item["content"][0]["text"] == thoughts
    for event in events:
        spec.validate("ResponseStreamEvent", event)


def test_sdk_stream_and_final_response(client: OpenAI) -> None:
    texts = []
    with client.responses.stream(model="gpt-4o", input="Hello there") as events:
        for event in events:
            if event.type == "response.output_text.delta":
                texts.append(event.delta)
        final = events.get_final_response()
    assert final.output_text == "".join(texts)
    assert final.usage.output_tokens == len(texts)


def test_sdk_create_stream_true(client: OpenAI) -> None:
    kinds = [event.type for event in client.responses.create(model="gpt-4o", input="Hi", stream=True)]
    assert kinds[0] == "response.created" and kinds[-1] in ("response.completed", "response.incomplete")


def test_logprobs_stream_with_each_delta(http: TestClient) -> None:
    events = stream(http, input="Hi", include=["message.output_text.logprobs"], max_output_tokens=16)
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert all(len(e["logprobs"]) == 1 and e["logprobs"][0]["token"] == e["delta"] for e in deltas)
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert len(done["logprobs"]) == len(deltas)


def test_dynamo_endpoint_label(http: TestClient) -> None:
    stream(http, input="Hi", max_output_tokens=16)
    metrics = http.get("/dynamo/metrics").text
    assert 'endpoint="responses"' in metrics


def test_an_error_after_the_head_is_an_error_event(make_app, monkeypatch, spec: Spec) -> None:  # type: ignore[no-untyped-def]
    from fakeai.api.responses.events import ResponseFrames
    from fakeai.errors import RateLimitError

    advance = ResponseFrames._advance
    calls = []

    def failing(self, stop, finished, frames):  # type: ignore[no-untyped-def]
        calls.append(stop)
        if len(calls) > 1:
            raise RateLimitError("Rate limit reached while streaming.", code="rate_limit_exceeded")
        advance(self, stop, finished, frames)

    monkeypatch.setattr(ResponseFrames, "_advance", failing)
    with TestClient(make_app(itl_ms=2)) as http:  # one engine step per token
        events = stream(http, input="Tell me about tides.", max_output_tokens=40)
    assert events[0]["type"] == "response.created"
    last = events[-1]
    assert last["type"] == "error" and last["code"] == "rate_limit_exceeded" and last["param"] is None
    for event in events:
        spec.validate("ResponseStreamEvent", event)
