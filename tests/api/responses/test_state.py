"""Stored responses: retrieve, delete, input items, input-token counting, previous_response_id chains,
store: false, and the KV cache they hit turn after turn."""

from __future__ import annotations

import re

import pytest
from openai import BadRequestError, NotFoundError, OpenAI
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from tests.conftest import sdk

DOCUMENT = " ".join(["The harbour tides rise twice a day, and the boats wait for the water."] * 60)


def test_retrieve_and_delete(client: OpenAI) -> None:
    created = client.responses.create(model="gpt-4o", input="Hello")
    again = client.responses.retrieve(created.id)
    assert again.id == created.id and again.output_text == created.output_text
    deleted = client.responses.delete(created.id)
    assert deleted is None  # the SDK returns nothing for a delete
    with pytest.raises(NotFoundError):
        client.responses.retrieve(created.id)


def test_store_false_cannot_be_retrieved_or_continued(client: OpenAI) -> None:
    created = client.responses.create(model="gpt-4o", input="Hello", store=False)
    assert created.store is False
    with pytest.raises(NotFoundError) as info:
        client.responses.retrieve(created.id)
    assert f"'{created.id}' not found" in info.value.body["message"]
    with pytest.raises(NotFoundError) as info:
        client.responses.create(model="gpt-4o", input="More", previous_response_id=created.id)
    assert info.value.body["param"] == "previous_response_id"


def test_input_items_page(client: OpenAI) -> None:
    first = client.responses.create(model="gpt-4o", input="One", max_output_tokens=16)
    second = client.responses.create(
        model="gpt-4o",
        input=[{"role": "user", "content": "Two"}, {"role": "user", "content": "Three"}],
        previous_response_id=first.id,
        max_output_tokens=16,
    )
    items = client.responses.input_items.list(second.id, order="asc")
    texts = [item.content[0].text for item in items.data]
    assert texts[0] == "One" and texts[-2:] == ["Two", "Three"] and len(texts) == 4  # with turn 1's answer
    page = client.responses.input_items.list(second.id, limit=1)
    assert page.has_more and page.data[0].content[0].text == "Three"
    rest = client.responses.input_items.list(second.id, limit=10, after=page.data[0].id)
    assert len(rest.data) == 3 and not rest.has_more


def test_item_reference_reads_a_stored_item(client: OpenAI) -> None:
    first = client.responses.create(model="gpt-4o", input="Remember the word harbour.")
    plain = client.responses.create(model="gpt-4o", input="And now?")
    referenced = client.responses.create(
        model="gpt-4o",
        input=[{"type": "item_reference", "id": first.output[0].id}, {"role": "user", "content": "And now?"}],
    )
    assert referenced.usage.input_tokens > plain.usage.input_tokens


def test_input_token_count_matches_create(client: OpenAI) -> None:
    body = {"model": "gpt-4o", "input": "How many tokens is this?", "instructions": "Be brief."}
    counted = client.responses.input_tokens.count(**body)
    created = client.responses.create(**body)
    assert counted.input_tokens == created.usage.input_tokens


def test_previous_response_and_conversation_are_exclusive(http: TestClient) -> None:
    response = http.post(
        "/v1/responses",
        json={"model": "gpt-4o", "input": "x", "previous_response_id": "resp_1", "conversation": "conv_1"},
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "conversation"


def test_cancel_refuses_a_foreground_response(client: OpenAI) -> None:
    created = client.responses.create(model="gpt-4o", input="Hi")
    with pytest.raises(BadRequestError):
        client.responses.cancel(created.id)


def _ttft_sum(http: TestClient) -> float:
    text = http.get("/metrics").text
    return float(
        re.search(
            r'^vllm:time_to_first_token_seconds_sum\{model_name="gpt-4o"[^}]*\} (\S+)$', text, re.M
        ).group(1)
    )


def test_five_turns_grow_the_cache_and_shrink_ttft() -> None:
    """The done-when check: each turn's history is a prefix of the next prompt, so input and cached tokens
    rise turn by turn while the server-side TTFT (per-token prefill of the uncached part) stays far below
    what the whole prompt would cost."""
    settings = Settings(
        latency_model="per-token", prefill_ms_per_token=0.5, prefill_overhead_ms=1.0, itl_ms=0
    )
    with TestClient(create_app(settings)) as http:
        client = sdk(http)
        client.responses.create(
            model="gpt-4o", input="warm up", store=False, max_output_tokens=16
        )  # vocabulary
        previous, rows = None, []
        for turn in range(5):
            before = _ttft_sum(http)
            text = DOCUMENT if turn == 0 else f"Question {turn}: what about the boats?"
            response = client.responses.create(
                model="gpt-4o", input=text, previous_response_id=previous, max_output_tokens=16
            )
            usage = response.usage
            rows.append(
                (usage.input_tokens, usage.input_tokens_details.cached_tokens, _ttft_sum(http) - before)
            )
            previous = response.id
    inputs, cached, ttfts = zip(*rows, strict=True)
    assert list(inputs) == sorted(set(inputs)) and list(cached) == sorted(set(cached))
    assert cached[0] == 0 and cached[-1] > 0.9 * inputs[-1]
    assert ttfts[0] >= inputs[0] * 0.5 / 1000  # the whole first prompt is prefilled
    for ttft in ttfts[1:]:
        assert ttft < ttfts[0] / 4  # later turns prefill only what is new (wall-clock noise aside)
