"""What the simulated engine changes in API responses: cached prompt tokens, overload, capacity."""

from __future__ import annotations

from openai import OpenAI
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from fakeai.engine import VirtualClock
from tests.engine.helpers import request

LONG = " ".join(["The quick brown fox jumps over the lazy dog."] * 120)


def test_a_repeated_long_prompt_reports_cached_tokens(client: OpenAI) -> None:
    messages = [{"role": "system", "content": LONG}, {"role": "user", "content": "Summarize."}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, max_tokens=5)  # type: ignore[arg-type]
    second = client.chat.completions.create(model="gpt-4o", messages=messages, max_tokens=5)  # type: ignore[arg-type]
    assert first.usage and second.usage
    assert first.usage.prompt_tokens_details.cached_tokens == 0  # type: ignore[union-attr]
    cached = second.usage.prompt_tokens_details.cached_tokens  # type: ignore[union-attr]
    assert (
        cached and cached % 16 == 0 and second.usage.prompt_tokens - 16 < cached < second.usage.prompt_tokens
    )


def test_legacy_completions_report_cached_tokens_too(client: OpenAI) -> None:
    client.completions.create(model="gpt-3.5-turbo-instruct", prompt=LONG, max_tokens=3)
    again = client.completions.create(model="gpt-3.5-turbo-instruct", prompt=LONG, max_tokens=3)
    assert again.usage and again.usage.prompt_tokens_details
    assert again.usage.prompt_tokens_details.cached_tokens


def test_a_full_waiting_queue_answers_429_with_retry_after() -> None:
    clock = VirtualClock()  # never advanced: what is running stays running (a TTFT, so not done at submit)
    app = create_app(Settings(ttft_ms=100, itl_ms=0, max_num_seqs=1, max_waiting_requests=1), clock=clock)
    with TestClient(app) as http:
        engine = app.state.fakeai.engine
        engine.submit([request(10)])  # running
        engine.submit([request(10)])  # waiting: the queue is full
        response = http.post(
            "/v1/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
        )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["type"] == "rate_limit_exceeded" and error["code"] == "engine_overloaded"


def test_a_request_larger_than_the_kv_cache_is_a_400(make_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(make_app(num_gpu_blocks=2, block_size=16)) as http:
        response = http.post(
            "/v1/chat/completions",
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": LONG}], "max_tokens": 10},
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "context_length_exceeded"


def test_max_model_len_caps_the_context_window(make_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(make_app(max_model_len=64)) as http:
        response = http.post(
            "/v1/chat/completions",
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": LONG}]},
        )
    assert response.status_code == 400
    assert "maximum context length is 64 tokens" in response.json()["error"]["message"]
