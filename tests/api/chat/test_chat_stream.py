"""Streaming chat completions: chunk shape, usage chunks, n, and the SDK's stream reader."""

from __future__ import annotations

import json

import pytest
from openai import AsyncOpenAI, OpenAI
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import Tokenizers

USER = [{"role": "user", "content": "Explain tides."}]


def sse_payloads(body: str) -> list[object]:
    """Every ``data:`` payload, JSON-decoded, with the ``[DONE]`` sentinel kept as a string."""
    frames = [frame for frame in body.split("\n\n") if frame.strip()]
    assert all(frame.startswith("data: ") for frame in frames), frames
    return [f[6:] if f[6:] == "[DONE]" else json.loads(f[6:]) for f in frames]


def stream_raw(http: TestClient, **body: object) -> list[object]:
    response = http.post(
        "/v1/chat/completions", json={"model": "gpt-4o", "messages": USER, "stream": True, **body}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return sse_payloads(response.text)


def test_chunks_follow_openais_shape(http: TestClient, validated: list) -> None:
    events = stream_raw(http, max_tokens=6)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(isinstance(c, dict) for c in chunks)
    first = chunks[0]
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert {c["id"] for c in chunks} == {first["id"]}  # one id for the whole stream
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    # finish_reason is present (null) on every chunk before the last; usage is absent without include_usage.
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "length"}
    assert all("usage" not in c for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert len(Tokenizers().get("o200k_base").encode_ordinary(text)) == 6
    assert validated[-1] == ("/v1/chat/completions", 200, len(chunks))  # every chunk was validated


def test_include_usage_adds_a_final_usage_chunk_and_null_usage_before(http: TestClient) -> None:
    chunks = stream_raw(http, max_tokens=5, stream_options={"include_usage": True})[:-1]
    *body, last = chunks
    assert all(c["usage"] is None for c in body)  # type: ignore[index]
    assert last["choices"] == []  # type: ignore[index]
    assert last["usage"]["completion_tokens"] == 5  # type: ignore[index]
    assert last["usage"]["total_tokens"] == last["usage"]["prompt_tokens"] + 5  # type: ignore[index]


def test_continuous_usage_stats_puts_running_usage_on_every_chunk(http: TestClient) -> None:
    chunks = stream_raw(
        http, max_tokens=4, stream_options={"include_usage": True, "continuous_usage_stats": True}
    )[:-1]
    counts = [c["usage"]["completion_tokens"] for c in chunks]  # type: ignore[index]
    assert counts == [0, 1, 2, 3, 4, 4, 4]  # role, 4 tokens, finish, final usage chunk


def test_n_streams_every_choice_to_its_finish(http: TestClient) -> None:
    chunks = stream_raw(http, max_tokens=3, n=3, seed=1)[:-1]
    texts = {i: "" for i in range(3)}
    finishes = {}
    for chunk in chunks:
        (choice,) = chunk["choices"]  # type: ignore[index]
        texts[choice["index"]] += choice["delta"].get("content") or ""
        if choice["finish_reason"]:
            finishes[choice["index"]] = choice["finish_reason"]
    assert finishes == {0: "length", 1: "length", 2: "length"}
    assert len(set(texts.values())) == 3


def test_sdk_stream_reassembles_the_same_text_as_non_streaming(client: OpenAI) -> None:
    kwargs = {"model": "gpt-4o", "messages": USER, "seed": 11, "max_tokens": 25}
    full = client.chat.completions.create(**kwargs).choices[0].message.content  # type: ignore[call-overload]
    stream = client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs)  # type: ignore[call-overload]
    parts, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert "".join(parts) == full
    assert usage is not None and usage.completion_tokens == len(parts)


async def test_async_sdk_streams(aclient: AsyncOpenAI) -> None:
    stream = await aclient.chat.completions.create(model="gpt-4o", messages=USER, max_tokens=8, stream=True)  # type: ignore[arg-type]
    contents = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
    assert len(contents) == 8


async def test_async_sdk_non_streaming(aclient: AsyncOpenAI) -> None:
    r = await aclient.chat.completions.create(model="gpt-4o", messages=USER, max_tokens=3)  # type: ignore[arg-type]
    assert r.usage and r.usage.completion_tokens <= 3


def test_stop_in_a_stream_ends_with_finish_reason_stop(http: TestClient) -> None:
    chunks = stream_raw(http, stop=".", seed=4)[:-1]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)  # type: ignore[index]
    assert "." not in text and chunks[-1]["choices"][0]["finish_reason"] == "stop"  # type: ignore[index]


def test_an_error_after_the_stream_started_is_an_sse_error_event(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakeai.api.chat.stream import ChunkWriter

    original = ChunkWriter.contents  # plain content streams through it

    def failing(self: ChunkWriter, index: int, pieces: list[str], start: int, stop: int) -> bytes:
        raise RuntimeError("simulated fault")  # the 200 head is out: the error can only go in-band

    monkeypatch.setattr(ChunkWriter, "contents", failing)
    events = stream_raw(http, max_tokens=10)
    error = events[-1]
    assert isinstance(error, dict) and set(error["error"]) == {"message", "type", "param", "code"}
    assert error["error"]["type"] == "server_error"
    assert "simulated fault" not in error["error"]["message"]  # internals are logged, not sent
    monkeypatch.setattr(ChunkWriter, "contents", original)
    assert stream_raw(http, max_tokens=2)[-1] == "[DONE]"  # and the server keeps serving
