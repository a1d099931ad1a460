"""The rate limit of every family that counts tokens, not only chat's: Responses (background ones at their
creation), Anthropic Messages (its own headers and 429), embeddings and moderations take their estimate
from the key's buckets, each request exactly once, on the ASGI app and on the RSGI front alike."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anthropic
import openai
import pytest

from fakeai import Settings, create_app
from fakeai.api.messages.errors import NO_CREDIT, status_and_body
from fakeai.security.ratelimit import InsufficientQuota
from fakeai.server.rsgi import RSGIFront
from fakeai.testing import FakeAI
from tests.security.test_ratelimit import KEY, Now
from tests.server.test_rsgi_security import BodyProto, Scope

LIMITS = {"keys_file": Path(__file__).parent / "keys_rpm2_tpm100.yaml"}  # rpm 2, tpm 100
TPM = 100
CLAUDE = "claude-sonnet-4-5"
HI = [{"role": "user", "content": "Say hi"}]
SIXTY = "hello " * 60  # 60 tokens of input


@pytest.fixture
def now(fakeai: FakeAI) -> Now:
    clock = Now()
    fakeai.state.guard.limiter.now = clock  # type: ignore[union-attr]
    return clock


def claude(fakeai: FakeAI) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=str(fakeai.http.base_url), http_client=fakeai.http,
                               max_retries=0)  # fmt: skip


def wait_ms(estimate: int, remaining: int) -> int:
    """How long until ``estimate`` tokens fit in a bucket of ``TPM`` per minute holding ``remaining``."""
    return math.ceil((estimate - remaining) / (TPM / 60) * 1000)


@pytest.mark.fakeai(**LIMITS)
def test_a_response_takes_its_prompt_and_max_output_tokens_then_the_next_is_a_429(
    fakeai: FakeAI, now: Now
) -> None:
    client = fakeai.client(api_key=KEY)
    raw = client.responses.with_raw_response.create(model="gpt-4o-mini", input="Say hi", max_output_tokens=60)
    estimate = raw.parse().usage.input_tokens + 60  # as chat's: prompt tokens + the output limit
    assert raw.headers["x-ratelimit-limit-tokens"] == str(TPM)
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(TPM - estimate)
    assert raw.headers["x-ratelimit-remaining-requests"] == "1"
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model="gpt-4o-mini", input="Say hi", max_output_tokens=60)
    error = caught.value
    assert error.code == "rate_limit_exceeded" and error.type == "tokens"
    assert error.body["message"].startswith(
        f"Rate limit reached for gpt-4o-mini in organization proj_rl on tokens per min (TPM): Limit {TPM}, "
        f"Used {estimate}, Requested {estimate}. Please try again in"
    )
    waited = wait_ms(estimate, TPM - estimate)
    assert error.response.headers["retry-after-ms"] == str(waited)
    assert error.response.headers["retry-after"] == str(math.ceil(waited / 1000))
    assert error.response.headers["x-ratelimit-remaining-tokens"] == str(TPM - estimate)  # nothing taken


@pytest.mark.fakeai(**LIMITS)
def test_a_background_response_is_admitted_when_it_is_created(fakeai: FakeAI, now: Now) -> None:
    client = fakeai.client(api_key=KEY)
    raw = client.responses.with_raw_response.create(
        model="gpt-4o-mini", input="Say hi", max_output_tokens=60, background=True
    )
    assert raw.parse().status == "queued"
    assert raw.headers["x-ratelimit-remaining-requests"] == "1"
    assert int(raw.headers["x-ratelimit-remaining-tokens"]) < TPM - 60
    with pytest.raises(openai.RateLimitError):  # refused before any response exists
        client.responses.create(model="gpt-4o-mini", input="Say hi", max_output_tokens=60, background=True)
    assert [e["status"] for e in fakeai.journal()] == [200, 429]


@pytest.mark.fakeai(**LIMITS)
def test_every_family_counts_a_request_once(fakeai: FakeAI, now: Now) -> None:
    """RPM 2: the third request of each family (its own bucket: its model) is refused, not the second."""
    client = fakeai.client(api_key=KEY)
    calls = {
        "responses": lambda: client.responses.create(model="gpt-4o-mini", input="hi", max_output_tokens=16),
        "embeddings": lambda: client.embeddings.create(model="text-embedding-3-small", input="hi"),
        "moderations": lambda: client.moderations.create(input="hi"),
    }
    for name, call in calls.items():
        for _ in range(2):
            call()
        with pytest.raises(openai.RateLimitError) as caught:
            call()
        assert caught.value.type == "requests", name
    generation = {"model": "gpt-3.5-turbo-instruct", "input": "Once", "max_output_tokens": 5}
    auth = {"authorization": f"Bearer {KEY}"}
    statuses = [fakeai.http.post("/v1/text/generation", json=generation, headers=auth).status_code
                for _ in range(3)]  # fmt: skip
    assert statuses == [200, 200, 429]
    messages = claude(fakeai)
    for _ in range(2):
        messages.messages.create(model=CLAUDE, max_tokens=16, messages=HI)
    with pytest.raises(anthropic.RateLimitError):
        messages.messages.create(model=CLAUDE, max_tokens=16, messages=HI)


@pytest.mark.fakeai(**LIMITS)
def test_a_message_has_anthropics_headers_and_over_the_limit_its_429(fakeai: FakeAI, now: Now) -> None:
    client = claude(fakeai)
    before = datetime.now(UTC).replace(microsecond=0)
    raw = client.messages.with_raw_response.create(model=CLAUDE, max_tokens=60, messages=HI)
    usage = raw.parse().usage
    prompt = (
        usage.input_tokens + (usage.cache_creation_input_tokens or 0) + (usage.cache_read_input_tokens or 0)
    )
    estimate = prompt + 60
    headers = raw.headers
    assert headers["anthropic-ratelimit-requests-limit"] == "2"
    assert headers["anthropic-ratelimit-requests-remaining"] == "1"
    assert headers["anthropic-ratelimit-tokens-limit"] == str(TPM)
    assert headers["anthropic-ratelimit-tokens-remaining"] == str(TPM - estimate)
    reset = datetime.fromisoformat(headers["anthropic-ratelimit-tokens-reset"])  # RFC 3339, UTC
    assert (
        before + timedelta(seconds=estimate * 0.6) <= reset <= before + timedelta(seconds=estimate * 0.6 + 3)
    )
    assert not [h for h in headers if h.startswith("x-ratelimit")]  # OpenAI's names stay OpenAI's
    assert headers["request-id"]

    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=CLAUDE, max_tokens=60, messages=HI)
    error = caught.value
    assert error.status_code == 429
    assert error.body["type"] == "error" and error.body["error"]["type"] == "rate_limit_error"
    assert error.body["error"]["message"].startswith(
        f"This request would exceed the rate limit for your organization (proj_rl) of {TPM} tokens per "
        "minute."
    )
    assert error.response.headers["retry-after"] == str(math.ceil(wait_ms(estimate, TPM - estimate) / 1000))
    assert "retry-after-ms" not in error.response.headers  # OpenAI's; Anthropic sends whole seconds
    assert error.response.headers["anthropic-ratelimit-tokens-remaining"] == str(TPM - estimate)


@pytest.mark.fakeai(**LIMITS, time_scale=4)
def test_under_a_time_scale_anthropics_reset_is_the_wall_time_of_day_when_full(
    fakeai: FakeAI, now: Now
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    raw = claude(fakeai).messages.with_raw_response.create(model=CLAUDE, max_tokens=16, messages=HI)
    reset = datetime.fromisoformat(raw.headers["anthropic-ratelimit-requests-reset"])
    # One request of 2 per minute: 30 simulated seconds to full, 7.5 of wall time at 4x (rounded up).
    assert before + timedelta(seconds=7) <= reset <= before + timedelta(seconds=10)


@pytest.mark.fakeai(**LIMITS)
def test_embeddings_take_their_input_tokens(fakeai: FakeAI, now: Now) -> None:
    client = fakeai.client(api_key=KEY)
    raw = client.embeddings.with_raw_response.create(model="text-embedding-3-small", input=SIXTY)
    tokens = raw.parse().usage.prompt_tokens
    assert tokens >= 51  # the second one cannot fit in what is left
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(TPM - tokens)
    with pytest.raises(openai.RateLimitError) as caught:
        client.embeddings.create(model="text-embedding-3-small", input=SIXTY)
    assert caught.value.type == "tokens"
    assert caught.value.response.headers["retry-after-ms"] == str(wait_ms(tokens, TPM - tokens))


@pytest.mark.fakeai(**LIMITS)
def test_routes_that_count_no_tokens_take_one_request_from_the_model_less_bucket(
    fakeai: FakeAI, now: Now
) -> None:
    """Anthropic's count_tokens (Anthropic's shape) and NIM ranking (the transport counts it)."""
    client = claude(fakeai)
    for _ in range(2):
        raw = client.messages.with_raw_response.count_tokens(model=CLAUDE, messages=HI)
    assert raw.headers["anthropic-ratelimit-requests-remaining"] == "0"
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.count_tokens(model=CLAUDE, messages=HI)
    assert caught.value.body["error"]["type"] == "rate_limit_error"
    now.t += 60
    body = {"model": "nvidia/nv-rerankqa-mistral-4b-v3", "query": {"text": "q"}, "passages": [{"text": "p"}]}
    auth = {"authorization": f"Bearer {KEY}"}
    assert [fakeai.http.post("/v1/ranking", json=body, headers=auth).status_code for _ in range(3)] == [
        200, 200, 429
    ]  # fmt: skip


async def test_the_rsgi_front_counts_responses_messages_and_ranking_once_each() -> None:
    app = create_app(Settings(ttft_ms=0, itl_ms=0, **LIMITS))
    state = app.state.fakeai
    state.guard.limiter.now = Now()
    state.prose.get("o200k_base")  # the lifespan's work, done here
    front = RSGIFront(app)
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json",
               "anthropic-version": "2023-06-01"}  # fmt: skip

    async def post(path: str, body: dict) -> tuple[int, dict[str, str], dict]:  # type: ignore[type-arg]
        data = json.dumps(body).encode()
        proto = BodyProto(data)
        await front.__rsgi__(Scope(path, {**headers, "content-length": str(len(data))}), proto)
        assert proto.response is not None
        status, sent, raw = proto.response
        return status, sent, json.loads(raw)

    response = {"model": "gpt-4o-mini", "input": "Say hi", "max_output_tokens": 16}
    status, sent, body = await post("/v1/responses", response)
    assert status == 200
    assert sent["x-ratelimit-remaining-tokens"] == str(TPM - body["usage"]["input_tokens"] - 16)
    assert sent["x-ratelimit-remaining-requests"] == "1"
    assert [(await post("/v1/responses", response))[0] for _ in range(2)] == [200, 429]

    message = {"model": CLAUDE, "max_tokens": 16, "messages": HI}
    status, sent, body = await post("/v1/messages", message)
    assert status == 200 and sent["anthropic-ratelimit-requests-remaining"] == "1"
    await post("/v1/messages", message)
    status, sent, body = await post("/v1/messages", message)
    assert status == 429 and body["error"]["type"] == "rate_limit_error" and sent["retry-after"] == "30"

    ranking = {
        "model": "nvidia/nv-rerankqa-mistral-4b-v3",
        "query": {"text": "q"},
        "passages": [{"text": "p"}],
    }
    status, sent, _ = await post("/v1/ranking", ranking)
    assert status == 200 and sent["x-ratelimit-remaining-requests"] == "1"  # counted by the front
    assert [(await post("/v1/ranking", ranking))[0] for _ in range(2)] == [200, 429]


def test_a_spent_quota_is_anthropics_credit_error() -> None:
    status, body = status_and_body(InsufficientQuota())
    assert status == 400 and body["error"] == {"type": "invalid_request_error", "message": NO_CREDIT}
