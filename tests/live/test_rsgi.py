"""The RSGI front (the default server) against Granian's ASGI mode: the same answers, headers and errors,
whether a path is served natively (chat, completions) or bridged to the Starlette app (everything else)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import httpx2
import pytest
from openai import OpenAI

from tests.live.server import LiveServer, live_server

pytestmark = pytest.mark.live

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
FLAGS = ("--ttft-ms", "0", "--itl-ms", "0", "--seed", "7", "--max-request-bytes", "2048")
#: Headers that differ between any two responses (ids, clocks) or between the two HTTP stacks' framing.
VARYING = {
    "x-request-id",
    "openai-processing-ms",
    "date",
    "content-length",
    "transfer-encoding",
    "connection",
}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[LiveServer, LiveServer]]:
    with live_server(*FLAGS) as rsgi, live_server(*FLAGS, "--server", "granian-asgi") as asgi:
        yield rsgi, asgi


def exchange(server: LiveServer, method: str, path: str, **kwargs: object) -> tuple[int, dict, bytes]:
    response = httpx2.request(method, f"{server.url}{path}", timeout=10, **kwargs)  # type: ignore[arg-type]
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, headers, response.content


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/v1/chat/completions", {"content": b"{not json"}),
        ("POST", "/v1/chat/completions", {"json": {"messages": []}}),
        ("POST", "/v1/chat/completions", {"json": {**CHAT, "max_tokens": -1}}),
        (
            "POST",
            "/v1/chat/completions",
            {"json": {**CHAT, "messages": [{"role": "user", "content": "x" * 3000}]}},
        ),
        ("POST", "/v1/completions", {"json": {"model": "gpt-3.5-turbo-instruct", "prompt": 5}}),
        ("GET", "/v1/chat/completions", {}),
        ("POST", "/v1/nothing", {"json": {}}),
        ("GET", "/v1/models/gpt-4o", {}),
        ("GET", "/v1/models/gpt%2D4o", {}),
        ("GET", "/health?probe=1", {}),
        ("POST", "/tokenize", {"json": {"model": "gpt-4o", "prompt": "hello world"}}),
    ],
)
def test_native_and_bridged_paths_answer_as_the_asgi_app(
    servers: tuple[LiveServer, LiveServer], method: str, path: str, kwargs: dict
) -> None:
    rsgi, asgi = servers
    assert exchange(rsgi, method, path, **kwargs) == exchange(asgi, method, path, **kwargs)


def test_generations_are_the_same_bytes_but_for_ids_and_clocks(
    servers: tuple[LiveServer, LiveServer],
) -> None:
    rsgi, asgi = servers
    body = {**CHAT, "seed": 3}
    answers = [httpx2.post(f"{s.url}/v1/chat/completions", json=body).json() for s in servers]
    for answer in answers:
        del answer["id"], answer["created"]
    assert answers[0] == answers[1]
    status, headers, _ = exchange(rsgi, "POST", "/v1/chat/completions", json={**body, "stream": True})
    assert (status, headers) == exchange(asgi, "POST", "/v1/chat/completions", json={**body, "stream": True})[
        :2
    ]
    assert headers["content-type"] == "text/event-stream; charset=utf-8"


def test_the_sdk_streams_and_reads_headers_natively(servers: tuple[LiveServer, LiveServer]) -> None:
    client = OpenAI(api_key="sk-test", base_url=f"{servers[0].url}/v1", _strict_response_validation=True)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=3,
        extra_headers={"x-request-id": "t-1"},
    )
    assert raw.headers["x-request-id"] == "t-1"
    assert raw.headers["openai-version"] == "2020-10-01"
    assert raw.parse().usage.completion_tokens == 3
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=3, stream=True
        )
    )
    assert chunks[-1].choices[0].finish_reason == "length"


def test_a_chunked_body_over_the_limit_is_a_413(servers: tuple[LiveServer, LiveServer]) -> None:
    def body() -> Iterator[bytes]:  # no content-length: the front must count while reading
        yield b'{"model":"gpt-4o","messages":[{"role":"user","content":"'
        yield b"x" * 4096
        yield b'"}]}'

    for server in servers:
        response = httpx2.post(f"{server.url}/v1/chat/completions", content=body(), timeout=10)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"


def test_a_queued_stream_whose_client_left_is_dropped_before_its_first_token() -> None:
    with live_server("--ttft-ms", "0", "--itl-ms", "50", "--max-num-seqs", "1") as server:
        url = f"{server.url}/v1/chat/completions"
        with httpx2.stream(
            "POST", url, json={**CHAT, "max_tokens": 2000, "stream": True}, timeout=30
        ) as first:
            lines = first.iter_lines()  # kept: a dropped line iterator would close the stream
            assert next(line for line in lines if line.startswith("data:"))
            with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as queued:
                request = httpx2.Request("POST", url, json={**CHAT, "max_tokens": 5, "stream": True})
                head = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                queued.sendall(
                    f"{head}content-length: {len(request.content)}\r\n\r\n".encode() + request.content
                )
                waiting(server, 1)
            # The queued client is gone while the first stream still holds the only slot.
            waiting(server, 0)


def waiting(server: LiveServer, expected: int) -> None:
    deadline = time.monotonic() + 5
    while httpx2.get(f"{server.url}/health/ready").json()["waiting_sequences"] != expected:
        assert time.monotonic() < deadline, f"waiting_sequences never became {expected}"
        time.sleep(0.05)


def _policies(pid: int) -> dict[int, int]:
    return {int(tid): os.sched_getscheduler(int(tid)) for tid in os.listdir(f"/proc/{pid}/task")}


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="Linux scheduling policies only")
def test_on_one_cpu_granians_threads_yield_to_the_event_loop(servers: tuple[LiveServer, LiveServer]) -> None:
    with live_server(*FLAGS, cpus={min(os.sched_getaffinity(0))}) as pinned:
        [worker] = pinned.children()
        policies = _policies(worker)
    # The worker's main thread runs the event loop and keeps the default policy; Granian's threads batch.
    assert policies.pop(worker) == os.SCHED_OTHER
    assert policies and set(policies.values()) == {os.SCHED_BATCH}
    # With more than one CPU nothing changes.
    if len(os.sched_getaffinity(0)) > 1:
        [worker] = servers[0].children()
        assert set(_policies(worker).values()) == {os.SCHED_OTHER}
