"""Rate limits counted for real: OpenAI's headers fall request by request and refill on time, 429s carry
OpenAI's messages and retry-after, the SDK's own retry waits as told, quota runs out, tiers are presets."""

from __future__ import annotations

from pathlib import Path

import openai
import openai._base_client
import pytest

from fakeai.security.ratelimit import duration
from fakeai.testing import FakeAI

KEY = "sk-test-limited-key-01"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 10}


class Now:
    """The limiter's clock, moved by hand (the engine's own stays on the loop: tokens are instant)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def now(fakeai: FakeAI) -> Now:
    clock = Now()
    fakeai.state.guard.limiter.now = clock  # type: ignore[union-attr]
    return clock


def test_durations_are_in_openai_format() -> None:
    assert [duration(s) for s in (0.0, 0.02, 0.12, 1, 8.64, 59.9999, 360, 3723)] == [
        "0ms", "20ms", "120ms", "1s", "8.64s", "60s", "6m0s", "1h2m3s"
    ]  # fmt: skip


@pytest.mark.fakeai(keys_file=Path(__file__).parent / "keys_rpm3.yaml")
def test_remaining_falls_request_by_request_and_resets_on_time(fakeai: FakeAI, now: Now) -> None:
    client = fakeai.client(api_key=KEY)
    seen = []
    for _ in range(3):
        raw = client.chat.completions.with_raw_response.create(**CHAT)
        usage = raw.parse().usage
        seen.append(
            (raw.headers["x-ratelimit-remaining-requests"], raw.headers["x-ratelimit-remaining-tokens"])
        )
        assert raw.headers["x-ratelimit-limit-requests"] == "3"
        assert raw.headers["x-ratelimit-limit-tokens"] == "1000"
    estimate = usage.prompt_tokens + CHAT["max_tokens"]  # OpenAI's: prompt tokens + max_tokens
    assert seen == [(str(2 - i), str(1000 - estimate * (i + 1))) for i in range(3)]
    assert raw.headers["x-ratelimit-reset-requests"] == "1m0s"  # three requests at 3/min: a minute to full

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(**CHAT)
    error = caught.value
    assert error.code == "rate_limit_exceeded" and error.type == "requests"
    assert error.body["message"].startswith(
        "Rate limit reached for gpt-4o-mini in organization proj_rl on requests per min (RPM): Limit 3, "
        "Used 3, Requested 1. Please try again in 20s."
    )
    assert error.response.headers["retry-after"] == "20"
    assert error.response.headers["retry-after-ms"] == "20000"

    now.t += 20  # one request's worth refilled
    raw = client.chat.completions.with_raw_response.create(**CHAT)
    assert raw.headers["x-ratelimit-remaining-requests"] == "0"
    now.t += 60
    raw = client.chat.completions.with_raw_response.create(**CHAT)
    assert raw.headers["x-ratelimit-remaining-requests"] == "2"
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(1000 - estimate)
    assert 'fakeai:rate_limited_total{limit="rpm"} 1.0' in fakeai.http.get("/metrics").text


@pytest.mark.fakeai(keys_file=Path(__file__).parent / "keys_rpm3.yaml", time_scale=4)
def test_under_a_time_scale_every_wait_a_client_reads_is_wall_time(fakeai: FakeAI, now: Now) -> None:
    # The buckets refill in simulated time, 4 simulated seconds per wall second: a client that sleeps as
    # told must find the bucket refilled, so what it is told is wall time.
    client = fakeai.client(api_key=KEY)
    for _ in range(3):
        raw = client.chat.completions.with_raw_response.create(**CHAT)
    assert raw.headers["x-ratelimit-reset-requests"] == "15s"  # a simulated minute to full
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(**CHAT)
    error = caught.value
    assert "Please try again in 5s." in error.body["message"]  # 20 simulated seconds
    assert error.response.headers["retry-after"] == "5"
    assert error.response.headers["retry-after-ms"] == "5000"
    now.t += 5 * 4  # the 5 wall seconds the client waits
    assert (
        client.chat.completions.with_raw_response.create(**CHAT).headers["x-ratelimit-remaining-requests"]
        == "0"
    )


@pytest.mark.fakeai(keys_file=Path(__file__).parent / "keys_rpm3.yaml")
def test_streams_carry_the_headers_and_limits_are_per_model(fakeai: FakeAI, now: Now) -> None:
    client = fakeai.client(api_key=KEY)
    with client.chat.completions.with_streaming_response.create(**CHAT, stream=True) as response:
        assert response.headers["x-ratelimit-remaining-requests"] == "2"
        assert sum(1 for _ in response.iter_lines()) > 0
    other = client.chat.completions.with_raw_response.create(**{**CHAT, "model": "gpt-4o"})
    assert other.headers["x-ratelimit-remaining-requests"] == "2"  # a bucket of its own
    # Routes that are not generation count requests in a model-less bucket of the key's.
    assert (
        fakeai.http.get("/v1/models", headers={"authorization": f"Bearer {KEY}"}).headers[
            "x-ratelimit-remaining-requests"
        ]
        == "2"
    )


@pytest.mark.fakeai(keys_file=Path(__file__).parent / "keys_rpm3.yaml")
def test_a_request_larger_than_the_token_limit_is_too_large(fakeai: FakeAI, now: Now) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        fakeai.client(api_key=KEY).chat.completions.create(**{**CHAT, "max_tokens": 2000})
    assert caught.value.type == "tokens"
    assert caught.value.body["message"].startswith(
        "Request too large for gpt-4o-mini in organization proj_rl on tokens"
    )


@pytest.mark.fakeai(keys_file=Path(__file__).parent / "keys_rpm1.yaml")
def test_the_sdk_retries_a_real_429_after_the_time_it_was_told(
    fakeai: FakeAI, now: Now, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the SDK's wait, in limiter time: no real sleep
        slept.append(seconds)
        now.t += seconds

    monkeypatch.setattr(openai._base_client.time, "sleep", sleep)
    client = fakeai.client(api_key=KEY, max_retries=2)
    client.chat.completions.create(**CHAT)
    reply = client.chat.completions.create(**CHAT)  # 429 first, then served after the wait
    assert reply.choices[0].message.content
    assert slept == [60.0]  # 1 RPM: retry-after-ms said a minute
    assert [e["status"] for e in fakeai.journal()] == [200, 429, 200]


@pytest.mark.fakeai(keys_file=Path(__file__).parent / "keys_quota.yaml")
def test_a_spent_quota_is_insufficient_quota(fakeai: FakeAI, now: Now) -> None:
    client = fakeai.client(api_key=KEY)
    client.chat.completions.create(**CHAT)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(**CHAT)
    assert caught.value.code == "insufficient_quota" and caught.value.type == "insufficient_quota"
    assert "You exceeded your current quota" in caught.value.message


@pytest.mark.fakeai(api_key=[KEY])
def test_a_key_without_a_tier_gets_the_default_tiers_limits(fakeai: FakeAI) -> None:
    raw = fakeai.client(api_key=KEY).completions.with_raw_response.create(
        model="gpt-3.5-turbo-instruct", prompt="Once", max_tokens=5
    )
    assert raw.headers["x-ratelimit-limit-requests"] == "500"  # tier-1, gpt-4o-mini's published limits
    assert raw.headers["x-ratelimit-limit-tokens"] == "200000"
    assert raw.headers["x-ratelimit-reset-requests"] == "120ms"


def test_without_keys_there_are_no_rate_limit_headers(fakeai: FakeAI) -> None:
    raw = fakeai.client().chat.completions.with_raw_response.create(**CHAT)
    assert not [h for h in raw.headers if h.startswith("x-ratelimit")]
