"""``POST /v1/messages`` with the anthropic SDK: create, stream, stop sequences, count_tokens, errors."""

from __future__ import annotations

import json

import anthropic
import pytest
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import Tokenizers

MODEL = "claude-sonnet-4-5"
HELLO = [{"role": "user", "content": "Hello, Claude"}]
VERSION = {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant-test"}


def blocks(message: anthropic.types.Message) -> list[dict]:
    return [block.model_dump(exclude={"parsed_output"}, exclude_none=True) for block in message.content]


def test_create_returns_a_message(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model=MODEL, max_tokens=300, messages=HELLO)
    assert message.type == "message" and message.role == "assistant" and message.model == MODEL
    assert message.id.startswith("msg_01") and len(message.id) == 28
    (block,) = message.content
    assert block.type == "text" and block.text
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    usage = message.usage
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.cache_read_input_tokens == 0 and usage.cache_creation_input_tokens == 0
    # The streamed text re-tokenizes to output_tokens, as chat's does.
    assert len(Tokenizers().get("cl100k_base").encode_ordinary(block.text)) == usage.output_tokens


def test_the_stream_assembles_to_the_same_message(claude: anthropic.Anthropic) -> None:
    whole = claude.messages.create(model=MODEL, max_tokens=300, messages=HELLO)
    with claude.messages.stream(model=MODEL, max_tokens=300, messages=HELLO) as stream:
        texts = list(stream.text_stream)
        streamed = stream.get_final_message()
    assert len(texts) == whole.usage.output_tokens  # one text_delta per token
    assert blocks(streamed) == blocks(whole)
    assert streamed.stop_reason == whole.stop_reason
    assert streamed.usage.model_dump() == whole.usage.model_dump()


def test_raw_event_sequence(raw: TestClient) -> None:
    body = {"model": MODEL, "max_tokens": 50, "messages": HELLO, "stream": True}
    with raw.stream("POST", "/v1/messages", json=body, headers=VERSION) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = []
    for frame in text.strip().split("\n\n"):
        name, data = frame.split("\n")
        assert name.startswith("event: ") and data.startswith("data: ")
        payload = json.loads(data.removeprefix("data: "))
        assert payload["type"] == name.removeprefix("event: ")
        events.append(payload)
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["message_start", "content_block_start", "ping"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(kinds[3:-3]) == {"content_block_delta"}
    start = events[0]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["usage"]["input_tokens"] > 0
    assert events[-2]["delta"]["stop_reason"] == "max_tokens" and events[-2]["usage"]["output_tokens"] == 50


def test_max_tokens_cuts_the_message(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model=MODEL, max_tokens=5, messages=HELLO)
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 5


def test_stop_sequences(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model=MODEL, max_tokens=300, messages=HELLO, stop_sequences=[".", "zzz"])
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == "."
    assert "." not in message.content[0].text
    with claude.messages.stream(model=MODEL, max_tokens=300, messages=HELLO, stop_sequences=["."]) as stream:
        streamed = stream.get_final_message()
    assert streamed.stop_reason == "stop_sequence" and blocks(streamed) == blocks(message)


def test_system_and_blocks_count_in_the_prompt(claude: anthropic.Anthropic) -> None:
    plain = claude.messages.create(model=MODEL, max_tokens=5, messages=HELLO)
    with_system = claude.messages.create(
        model=MODEL,
        max_tokens=5,
        messages=HELLO,
        system=[{"type": "text", "text": "You are terse and kind."}],
    )
    assert with_system.usage.input_tokens > plain.usage.input_tokens
    counted = claude.messages.count_tokens(
        model=MODEL, messages=HELLO, system=[{"type": "text", "text": "You are terse and kind."}]
    )
    assert counted.input_tokens == with_system.usage.input_tokens


def test_images_and_documents(claude: anthropic.Anthropic) -> None:
    from tests.media import b64, pdf, png

    image = b64(png(800, 600))
    content = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": image}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": b64(pdf(3))},
        },
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Plain notes."}},
        {"type": "text", "text": "Describe these."},
    ]
    counted = claude.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": content}])
    text_only = claude.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "Describe these."}]
    )
    assert counted.input_tokens > text_only.input_tokens + 1000  # an image and three PDF pages
    message = claude.messages.create(
        model=MODEL, max_tokens=5, messages=[{"role": "user", "content": content}]
    )
    assert message.usage.input_tokens == counted.input_tokens


def test_metadata_temperature_and_top_k_are_accepted(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model=MODEL, max_tokens=5, messages=HELLO, metadata={"user_id": "user-1"},
        extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 40},  # older SDKs' fields
    )  # fmt: skip
    assert message.usage.output_tokens == 5


def test_errors_have_anthropics_shape(claude: anthropic.Anthropic, raw: TestClient) -> None:
    missing = raw.post("/v1/messages", headers=VERSION, json={"model": MODEL, "messages": HELLO})
    assert missing.status_code == 400 and missing.headers["request-id"].startswith("req_")
    error = {"type": "invalid_request_error", "message": "max_tokens: Field required"}
    assert missing.json() == {"type": "error", "error": error, "request_id": missing.headers["request-id"]}
    with pytest.raises(anthropic.BadRequestError) as too_many:
        claude.messages.create(model="claude-3-5-haiku-20241022", max_tokens=20_000, messages=HELLO)
    assert "maximum allowed number of output tokens" in too_many.value.message
    with pytest.raises(anthropic.BadRequestError) as hot:
        claude.messages.create(model=MODEL, max_tokens=5, messages=HELLO, extra_body={"temperature": 1.5})
    assert hot.value.body["error"]["message"].startswith("temperature:")
    system_role = {"model": MODEL, "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}
    bad_role = raw.post("/v1/messages", headers=VERSION, json=system_role)
    assert bad_role.status_code == 400 and bad_role.json()["error"]["message"].startswith("messages.0.role:")
    no_version = raw.post("/v1/messages", json={"model": MODEL, "max_tokens": 5, "messages": HELLO})
    assert no_version.status_code == 400
    assert no_version.json()["error"]["message"] == "anthropic-version: header is required"
    not_json = raw.post("/v1/messages", headers=VERSION, content=b"{")
    assert not_json.status_code == 400 and not_json.json()["type"] == "error"


def test_unknown_model_is_not_found_when_strict(make_app) -> None:
    from tests.api.messages.conftest import anthropic_sdk

    with TestClient(make_app(strict_models=True)) as http, pytest.raises(anthropic.NotFoundError) as missing:
        anthropic_sdk(http).messages.create(model="claude-nope", max_tokens=5, messages=HELLO)
    assert missing.value.body["error"] == {"type": "not_found_error", "message": "model: claude-nope"}


def test_an_overloaded_engine_is_529(make_app) -> None:
    from tests.api.messages.conftest import anthropic_sdk

    app = make_app(max_waiting_requests=1, max_num_seqs=1, ttft_ms=10_000)
    with TestClient(app) as http:
        client = anthropic_sdk(http)
        body = {"model": MODEL, "max_tokens": 5, "messages": HELLO, "stream": True}
        with (
            http.stream("POST", "/v1/messages", json=body, headers=VERSION),
            http.stream("POST", "/v1/messages", json=body, headers=VERSION),
            pytest.raises(anthropic.InternalServerError) as overloaded,
        ):
            client.messages.create(model=MODEL, max_tokens=5, messages=HELLO)
    assert overloaded.value.status_code == 529
    assert overloaded.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
