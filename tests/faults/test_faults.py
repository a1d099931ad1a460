"""Every fault type, every trigger, with the official SDK against the ``fakeai`` fixture (fakeai.testing)."""

from __future__ import annotations

import itertools
import time

import openai
import openai._base_client
import pytest

from fakeai.faults.inject import ResetConnection
from fakeai.testing import FakeAI

CHAT = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Tell me a story"}],
    "max_tokens": 10,
}
LONG = {**CHAT, "max_tokens": 100, "extra_body": {"ignore_eos": True}}


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's retry waits, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(openai._base_client.time, "sleep", waits.append)
    return waits


def statuses(fakeai: FakeAI) -> list[int]:
    return [e["status"] for e in fakeai.journal()]


@pytest.mark.fakeai(
    faults=[
        {
            "id": "flaky",
            "match": {"path": "/v1/chat/*"},
            "trigger": {"sequence": [429, 429, 200]},
            "action": {"retry_after_ms": 250},
        }
    ]
)
def test_the_sdk_retry_recovers_from_429_429_200_reading_retry_after(
    fakeai: FakeAI, slept: list[float]
) -> None:
    reply = fakeai.client(max_retries=2).chat.completions.create(**CHAT)
    assert reply.choices[0].message.content
    assert slept == [0.25, 0.25]  # retry-after-ms, not the SDK's own backoff
    assert statuses(fakeai) == [429, 429, 200]
    assert [e["fault"] for e in fakeai.journal()] == ["flaky", "flaky", None]
    text = fakeai.http.get("/metrics").text
    assert 'fakeai:faults_injected_total{rule="flaky",kind="error"} 2.0' in text


def test_a_header_breaks_one_request_in_openai_and_provider_shapes(fakeai: FakeAI) -> None:
    client = fakeai.client()
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(**CHAT, extra_headers={"x-fakeai-fault": "status=503"})
    assert caught.value.status_code == 503 and caught.value.response.headers["x-fakeai-fault"] == "header"
    assert client.chat.completions.create(**CHAT).choices  # the next one is fine
    anthropic = fakeai.http.post(
        "/v1/chat/completions", json=CHAT, headers={"x-fakeai-fault": "status=529,provider=anthropic"}
    )
    assert anthropic.status_code == 529
    error = anthropic.json()["error"]
    assert anthropic.json() == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": error["message"]},
    }
    vllm = fakeai.http.get("/v1/models", headers={"x-fakeai-fault": "status=400;provider=vllm;message=nope"})
    assert vllm.status_code == 400 and vllm.json() == {
        "object": "error", "message": "nope", "type": "invalid_request_error", "param": None, "code": 400
    }  # fmt: skip
    bad = fakeai.http.post("/v1/chat/completions", json=CHAT, headers={"x-fakeai-fault": "status=abc"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "x-fakeai-fault"


@pytest.mark.fakeai(fault_header=False)
def test_the_header_can_be_turned_off(fakeai: FakeAI) -> None:
    assert fakeai.http.post(
        "/v1/chat/completions", json=CHAT, headers={"x-fakeai-fault": "status=503"}
    ).is_success


def test_first_every_after_and_model_matches(fakeai: FakeAI) -> None:
    fakeai.set_faults(
        [
            {"id": "first", "match": {"model": "gpt-4o"}, "trigger": {"first": 2}, "action": {"status": 500}},
            {
                "id": "every",
                "match": {"model": "gpt-4.1*"},
                "trigger": {"every": 3},
                "action": {"status": 502},
            },
            {
                "id": "after",
                "match": {"path": "/v1/models"},
                "trigger": {"after": 1},
                "action": {"status": 404},
            },
        ]
    )
    for model in ("gpt-4o", "gpt-4.1-mini"):
        for _ in range(6):
            fakeai.http.post("/v1/chat/completions", json={**CHAT, "model": model})
    fakeai.http.get("/v1/models")
    fakeai.http.get("/v1/models")
    assert statuses(fakeai) == [500, 500, 200, 200, 200, 200, 200, 200, 502, 200, 200, 502, 200, 404]


def test_a_seeded_probability_is_the_same_every_run(make_app) -> None:
    from starlette.testclient import TestClient

    runs = []
    for _ in range(2):
        rule = {"trigger": {"probability": 0.5, "seed": 7}, "action": {"status": 500}}
        with TestClient(make_app(faults=[rule]), raise_server_exceptions=False) as http:
            runs.append([http.get("/v1/models").status_code for _ in range(20)])
    assert runs[0] == runs[1] and 500 in runs[0] and 200 in runs[0]


@pytest.mark.fakeai(api_key=["sk-a-0000000001", "sk-b-0000000002"])
def test_rules_match_a_key_and_a_header(fakeai: FakeAI) -> None:
    b = fakeai.state.guard.keys.lookup("sk-b-0000000002")[1]  # type: ignore[union-attr]
    fakeai.add_fault({"match": {"key_id": b.identity.key_id}, "action": {"status": 403}})
    fakeai.add_fault({"match": {"header": {"x-test": "down"}}, "action": {"status": 504}})
    ok = fakeai.client(api_key="sk-a-0000000001").chat.completions.create(**CHAT)
    assert ok.choices
    with pytest.raises(openai.PermissionDeniedError):
        fakeai.client(api_key="sk-b-0000000002").chat.completions.create(**CHAT)
    with pytest.raises(openai.InternalServerError):
        fakeai.client(api_key="sk-a-0000000001").chat.completions.create(
            **CHAT, extra_headers={"x-test": "down"}
        )


@pytest.mark.fakeai(itl_ms=50)
def test_a_stream_cut_after_5_chunks_is_truncated_and_frees_its_kv_blocks(fakeai: FakeAI) -> None:
    stream = fakeai.client().chat.completions.create(
        **LONG, stream=True, extra_headers={"x-fakeai-fault": "cut_after_chunks=5"}
    )
    chunks = list(stream)  # the SDK sees the stream end: no error, no [DONE]
    assert len(chunks) == 5 and all(c.choices[0].finish_reason is None for c in chunks)
    # 100 tokens at 50 ms would still be running for seconds: the cut aborted the engine's sequence.
    snapshot = fakeai.state.engine.snapshots()[0]
    assert not snapshot.running and snapshot.blocks_in_use == 0
    assert fakeai.journal()[-1]["fault"] == "header"


@pytest.mark.fakeai(itl_ms=20)
def test_a_stream_cut_after_a_time(fakeai: FakeAI) -> None:
    rule = {"match": {"path": "/v1/chat/completions"}, "action": {"cut_after_ms": 150}}
    fakeai.add_fault(rule)
    chunks = list(fakeai.client().chat.completions.create(**LONG, stream=True))
    assert 3 <= len(chunks) < 50


@pytest.mark.fakeai(itl_ms=1)
def test_a_stall_mid_stream(fakeai: FakeAI) -> None:
    stream = fakeai.client().chat.completions.create(
        **CHAT, stream=True, extra_headers={"x-fakeai-fault": "stall_after_chunks=3,stall_ms=200"}
    )
    stamps = [time.perf_counter() for _ in stream]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) >= 10 and gaps.index(max(gaps)) == 2 and max(gaps) >= 0.19


def test_a_malformed_chunk_breaks_the_sdks_parsing(fakeai: FakeAI) -> None:
    stream = fakeai.client().chat.completions.create(
        **CHAT, stream=True, extra_headers={"x-fakeai-fault": "malformed_after_chunks=2"}
    )
    received = []
    with pytest.raises(ValueError):  # json.JSONDecodeError, from the SDK's SSE decoder
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 2
    raw = fakeai.http.post(
        "/v1/chat/completions",
        json={**CHAT, "stream": True},
        headers={"x-fakeai-fault": "malformed_after_chunks=2"},
    )
    events = raw.text.split("\n\n")
    assert events[2].startswith('data: {"id": "chatcmpl-fault"') and events[-2] == "data: [DONE]"


@pytest.mark.fakeai(ttft_ms=0, itl_ms=0)
def test_added_latency_and_ttft(fakeai: FakeAI) -> None:
    client = fakeai.client()
    started = time.perf_counter()
    client.chat.completions.create(**CHAT, extra_headers={"x-fakeai-fault": "latency_ms=150"})
    took_ms = (time.perf_counter() - started) * 1000
    assert took_ms >= 150
    started = time.perf_counter()
    stream = client.chat.completions.create(
        **CHAT, stream=True, extra_headers={"x-fakeai-fault": "ttft_ms=150"}
    )
    next(iter(stream))
    assert time.perf_counter() - started >= 0.15
    assert list(stream)  # the rest (the journal has a stream once it ends)
    assert [e["fault"] for e in fakeai.journal()] == ["header", "header"]
    assert 150 <= fakeai.journal()[0]["duration_ms"] <= took_ms  # the server's part of what the client saw


def test_a_connection_reset_fails_the_response_after_its_head(make_app) -> None:
    from starlette.testclient import TestClient

    # In process, the app's failure after the response head reaches the test client as the exception itself;
    # tests/live/test_faults_live.py shows real servers dropping the connection (APIConnectionError).
    with TestClient(make_app(), raise_server_exceptions=True) as http:
        client = openai.OpenAI(
            api_key="sk-x", base_url=f"{http.base_url}/v1", http_client=http, max_retries=0
        )
        with pytest.raises(ResetConnection):
            client.chat.completions.create(**CHAT, extra_headers={"x-fakeai-fault": "reset"})
        stream = client.chat.completions.create(
            **CHAT, stream=True, extra_headers={"x-fakeai-fault": "reset,reset_after_chunks=2"}
        )
        received = []
        with pytest.raises(ResetConnection):
            for chunk in stream:
                received.append(chunk)
        assert len(received) == 2
        with pytest.raises(ResetConnection):
            http.get("/v1/models", headers={"x-fakeai-fault": "reset"})
