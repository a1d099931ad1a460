"""The spec validator: it rejects what the spec forbids and accepts what it allows, routes concrete
requests to their response schemas, parses SSE bodies, and runs as an httpx2 response hook under the SDK."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from typing import Any

import httpx2
import openai
import pytest

from .bodies import CHAT, CHUNK, ERROR, chat_body, chunk_body, sse
from .spec import Spec, SpecError, async_response_hook, response_hook


# -- chat completion bodies --------------------------------------------------------------------------
def test_minimal_chat_completion_passes(spec: Spec) -> None:
    spec.validate(CHAT, chat_body())


def test_missing_finish_reason_fails_with_readable_message(spec: Spec) -> None:
    body = chat_body()
    del body["choices"][0]["finish_reason"]
    with pytest.raises(SpecError) as caught:
        spec.validate(CHAT, body)
    message = str(caught.value)
    assert (
        CHAT in message and "$.choices[0]" in message and "'finish_reason' is a required property" in message
    )
    assert '"index": 0' in message  # an excerpt of the failing part


def test_chat_finish_reason_is_not_nullable_on_a_full_completion(spec: Spec) -> None:
    body = chat_body()
    body["choices"][0]["finish_reason"] = None
    with pytest.raises(SpecError, match="finish_reason"):
        spec.validate(CHAT, body)


def test_wrong_type_and_unknown_enum_fail(spec: Spec) -> None:
    body = chat_body()
    body["created"] = "yesterday"
    with pytest.raises(SpecError, match=r"\$\.created"):
        spec.validate(CHAT, body)
    body = chat_body()
    body["object"] = "chat.completions"
    with pytest.raises(SpecError, match="is not one of"):
        spec.validate(CHAT, body)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({}, id="plain"),
        pytest.param({"usage": None}, id="usage-null"),
        pytest.param({"system_fingerprint": "fp_1"}, id="fingerprint-string"),
        pytest.param(
            {"usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}, "choices": []},
            id="usage-chunk",
        ),
    ],
)
def test_legal_chunks_pass(spec: Spec, change: dict[str, Any]) -> None:
    spec.validate(CHUNK, chunk_body(**change))  # finish_reason/logprobs null: the nullable rewrite works


def test_chunk_logprobs_object_with_null_members_passes(spec: Spec) -> None:
    choice = {
        "index": 0,
        "delta": {},
        "finish_reason": "stop",
        "logprobs": {"content": None, "refusal": None},
    }
    spec.validate(CHUNK, chunk_body(choices=[choice]))


def test_system_fingerprint_null_fails(spec: Spec) -> None:
    # The spec types system_fingerprint as a plain string (never null) on both objects: omit it or send one.
    with pytest.raises(SpecError, match="system_fingerprint"):
        spec.validate(CHUNK, chunk_body(system_fingerprint=None))
    with pytest.raises(SpecError, match="system_fingerprint"):
        spec.validate(CHAT, {**chat_body(), "system_fingerprint": None})


def test_chunk_requires_finish_reason_key_and_valid_usage(spec: Spec) -> None:
    body = chunk_body()
    del body["choices"][0]["finish_reason"]
    with pytest.raises(SpecError, match="'finish_reason' is a required property"):
        spec.validate(CHUNK, body)
    with pytest.raises(SpecError, match=r"(?s)\$\.usage.*total_tokens"):  # names what the usage lacks
        spec.validate(CHUNK, chunk_body(usage={"prompt_tokens": 1}))
    with pytest.raises(SpecError, match="is not one of"):
        spec.validate(CHUNK, chunk_body(choices=[{"index": 0, "delta": {}, "finish_reason": "done"}]))


def test_error_body(spec: Spec) -> None:
    spec.validate("ErrorResponse", ERROR)
    body = copy.deepcopy(ERROR)
    del body["error"]["param"]
    with pytest.raises(SpecError, match="'param' is a required property"):
        spec.validate("ErrorResponse", body)
    with pytest.raises(SpecError, match="'error' is a required property"):
        spec.validate("ErrorResponse", {"detail": "Not Found"})  # a FastAPI-style body is not OpenAI's


def test_unknown_schema_name(spec: Spec) -> None:
    with pytest.raises(SpecError, match="no component schema"):
        spec.validate("NoSuchSchema", {})


# -- routing -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "status", "content_type", "expected"),
    [
        ("POST", "/v1/chat/completions", 200, "text/event-stream; charset=utf-8", CHUNK),
        ("POST", "/v1/chat/completions", 200, "application/json", CHAT),
        ("POST", "/chat/completions", 200, "application/json", CHAT),
        ("GET", "/v1/models/meta-llama/Llama-3.1-8B-Instruct", 200, "application/json", "Model"),
        ("GET", "/v1/models", 200, "application/json", "ListModelsResponse"),
        ("POST", "/v1/completions", 200, "application/json", "CreateCompletionResponse"),
        ("POST", "/v1/embeddings", 200, "application/json", "CreateEmbeddingResponse"),
        ("POST", "/v1/responses", 200, "text/event-stream", "ResponseStreamEvent"),
        ("GET", "/v1/responses/resp_1/input_items", 200, "application/json", "ResponseItemList"),
        ("POST", "/v1/chat/completions", 429, "application/json", "ErrorResponse"),
        ("GET", "/v1/models/nope", 404, "application/json", "ErrorResponse"),
        ("POST", "/v1/completions", 200, "text/event-stream", "CompletionStreamChunk"),  # added, see spec.py
        ("POST", "/v1/audio/speech", 200, "audio/mpeg", None),  # opaque bytes
        ("GET", "/health", 200, "application/json", None),
        ("GET", "/v1/models/meta-llama/Llama-3.1-8B-Instruct/capabilities", 200, "application/json", None),
    ],
)
def test_response_schema(
    spec: Spec, method: str, path: str, status: int, content_type: str, expected: str | None
) -> None:
    assert spec.response_schema(method, path, status, content_type) == expected


def test_every_spec_path_routes_to_itself(spec: Spec) -> None:
    for template in spec.document["paths"]:
        if "?" not in template:  # "/responses?beta=true" variants are never served under that path
            assert spec.path_template("/v1" + re.sub(r"\{[^}]+\}", "x1", template)) == template


def test_inline_response_schema_is_addressed_by_pointer(spec: Spec) -> None:
    name = spec.response_schema("POST", "/v1/audio/transcriptions", 200, "application/json")
    assert name is not None and name.startswith("#/paths/")
    spec.validate(name, {"text": "hello"})


# -- raw bodies ----------------------------------------------------------------------------------------
def test_validate_json_body(spec: Spec) -> None:
    body = json.dumps(chat_body()).encode()
    assert spec.validate_response("POST", "/v1/chat/completions", 200, "application/json", body) == 1
    with pytest.raises(SpecError, match="not JSON"):
        spec.validate_response("POST", "/v1/chat/completions", 200, "application/json", b"<html>")


def test_sse_two_chunks_and_done(spec: Spec) -> None:
    body = sse(chunk_body(), chunk_body(choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    assert spec.validate_response("POST", "/v1/chat/completions", 200, "text/event-stream", body) == 2


def test_sse_framing_variants(spec: Spec) -> None:
    # A comment, an event: line, CRLF endings, "data:" without a space, no blank line at the end.
    payload = json.dumps(chunk_body())
    body = f": keep-alive\r\nevent: chunk\r\ndata:{payload}\r\n\r\nid: 7\ndata: [DONE]".encode()
    assert spec.validate_response("POST", "/v1/chat/completions", 200, "text/event-stream", body) == 1


def test_sse_bad_chunk_is_located(spec: Spec) -> None:
    body = sse(chunk_body(), chunk_body(object="chat.completion"))
    with pytest.raises(SpecError, match="event #1"):
        spec.validate_response("POST", "/v1/chat/completions", 200, "text/event-stream", body)


def test_sse_error_event_is_an_error_response(spec: Spec) -> None:
    body = sse(chunk_body(), ERROR, done=False)
    assert spec.validate_response("POST", "/v1/chat/completions", 200, "text/event-stream", body) == 2
    bad = sse(chunk_body(), {"error": {"message": "boom"}}, done=False)
    with pytest.raises(SpecError, match=r"ErrorResponse.*event #1"):
        spec.validate_response("POST", "/v1/chat/completions", 200, "text/event-stream", bad)


def test_error_status_is_checked_whatever_the_content_type(spec: Spec) -> None:
    body = json.dumps(ERROR).encode()
    assert spec.validate_response("POST", "/v1/chat/completions", 400, "text/event-stream", body) == 1
    with pytest.raises(SpecError, match="ErrorResponse"):
        spec.validate_response("POST", "/v1/chat/completions", 500, "application/json", b'{"detail": "x"}')


def test_nothing_to_validate_is_an_error(spec: Spec) -> None:
    with pytest.raises(SpecError, match="path not documented"):
        spec.validate_response("GET", "/v1/nowhere", 200, "application/json", b"{}")
    with pytest.raises(SpecError, match="no text/event-stream body"):
        spec.validate_response("POST", "/v1/embeddings", 200, "text/event-stream", sse(chunk_body()))
    with pytest.raises(SpecError, match="no PUT operation"):
        spec.validate_response("PUT", "/v1/chat/completions", 200, "application/json", b"{}")
    assert spec.validate_response("POST", "/v1/audio/speech", 200, "audio/mpeg", b"ID3...") == 0


# -- httpx2 hooks --------------------------------------------------------------------------------------
def _handler(request: httpx2.Request) -> httpx2.Response:
    if request.url.path == "/health" or request.url.path.endswith("/capabilities"):
        return httpx2.Response(200, text="ok")
    if request.url.path == "/v1/models/bad":
        return httpx2.Response(200, json={"id": "bad"})
    if json.loads(request.content or b"{}").get("stream"):
        body = sse(chunk_body(), chunk_body(choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        return httpx2.Response(
            200, content=body, headers={"content-type": "text/event-stream; charset=utf-8"}
        )
    return httpx2.Response(200, json=chat_body())


def test_sync_hook_validates_and_leaves_the_body_readable(spec: Spec) -> None:
    seen: list[Any] = []
    hooks = {"response": [response_hook(spec, seen)]}
    with httpx2.Client(
        transport=httpx2.MockTransport(_handler), event_hooks=hooks, base_url="http://fake"
    ) as client:
        assert client.post("/v1/chat/completions", json={}).json()["object"] == "chat.completion"
        with client.stream("POST", "/v1/chat/completions", json={"stream": True}) as response:
            lines = [line for line in response.iter_lines() if line.startswith("data:")]
        assert len(lines) == 3  # two chunks and [DONE], re-read after the hook consumed the stream
        assert client.get("/health").text == "ok"  # undocumented: skipped, not failed
        assert client.get("/v1/models/org/name/capabilities").text == "ok"  # a FakeAI extension
        with pytest.raises(SpecError, match="'object' is a required property"):
            client.get("/v1/models/bad")
    assert seen == [("/v1/chat/completions", 200, 1), ("/v1/chat/completions", 200, 2)]


def test_async_hook(spec: Spec) -> None:
    seen: list[Any] = []

    async def run() -> None:
        hooks = {"response": [async_response_hook(spec, seen)]}
        transport = httpx2.MockTransport(_handler)
        async with httpx2.AsyncClient(
            transport=transport, event_hooks=hooks, base_url="http://fake"
        ) as client:
            async with client.stream("POST", "/v1/chat/completions", json={"stream": True}) as response:
                text = "".join([part async for part in response.aiter_text()])
            assert text.count("data:") == 3
            with pytest.raises(SpecError):
                await client.get("/v1/models/bad")

    asyncio.run(run())
    assert seen == [("/v1/chat/completions", 200, 2)]


def test_hook_under_the_openai_sdk(spec: Spec) -> None:
    seen: list[Any] = []
    http = httpx2.Client(
        transport=httpx2.MockTransport(_handler), event_hooks={"response": [response_hook(spec, seen)]}
    )
    with openai.OpenAI(
        api_key="sk-test", base_url="http://fake/v1", http_client=http, max_retries=0
    ) as client:
        completion = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert completion.choices[0].message.content == "Hello"
        stream = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        assert [c.choices[0].finish_reason for c in stream] == [None, "stop"]
    assert [count for _, _, count in seen] == [1, 2]


def test_async_hook_under_the_openai_sdk(spec: Spec) -> None:
    seen: list[Any] = []

    async def run() -> list[str | None]:
        hooks = {"response": [async_response_hook(spec, seen)]}
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(_handler), event_hooks=hooks)
        async with openai.AsyncOpenAI(
            api_key="sk-test", base_url="http://fake/v1", http_client=http, max_retries=0
        ) as client:
            messages = [{"role": "user", "content": "hi"}]
            stream = await client.chat.completions.create(model="m", messages=messages, stream=True)
            return [chunk.choices[0].finish_reason async for chunk in stream]

    assert asyncio.run(run()) == [None, "stop"]
    assert seen == [("/v1/chat/completions", 200, 2)]


def test_completion_stream_chunks_allow_only_the_documented_nulls(spec: Spec) -> None:
    chunk = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "text": "a", "logprobs": None, "finish_reason": None}],
        "usage": None,
    }
    spec.validate("CompletionStreamChunk", chunk)
    with pytest.raises(SpecError):
        spec.validate("CompletionStreamChunk", {**chunk, "object": "chat.completion.chunk"})
    with pytest.raises(SpecError):  # the non-streamed object stays strict
        spec.validate("CreateCompletionResponse", chunk)
