"""The RSGI front with a stand-in for Granian's protocol: what tests/live cannot reach on demand (an endpoint
whose stream has no push form, a handler that crashes, a client gone mid-stream)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette

from fakeai import Settings, create_app
from fakeai.engine.clock import VirtualClock
from fakeai.server.exchange import Endpoint, EventStream, Exchange, Reply
from fakeai.server.rsgi import RSGIFront


class Headers(dict[str, str]):
    pass


class Scope:
    proto = "http"
    method = "POST"
    path = "/v1/test"
    headers = Headers({"content-length": "2", "x-request-id": "t-1"})


class Transport:
    def __init__(self, fail_after: int | None) -> None:
        self.sent: list[bytes] = []
        self.fail_after = fail_after

    async def send_bytes(self, data: bytes) -> None:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise RuntimeError("client gone")  # as Granian's ProtocolClosed
        self.sent.append(data)


class Proto:
    def __init__(self, fail_after: int | None = None) -> None:
        self.response: tuple[int, dict[str, str], bytes] | None = None
        self.transport = Transport(fail_after)
        self.gone = asyncio.Event()

    async def __call__(self) -> bytes:
        return b"{}"

    async def client_disconnect(self) -> None:
        await self.gone.wait()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.response = (status, dict(headers), body)

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Transport:
        self.response = (status, dict(headers), b"")
        return self.transport


def front(handler: Any) -> RSGIFront:
    app: Starlette = create_app(Settings(ttft_ms=0, itl_ms=0))
    app.state.endpoints = [Endpoint("POST", "/v1/test", handler)]
    return RSGIFront(app)


async def test_a_crashing_handler_is_an_openai_500_with_the_headers() -> None:
    async def crash(exchange: Exchange) -> Reply:
        raise KeyError("boom")

    proto = Proto()
    await front(crash).__rsgi__(Scope(), proto)
    assert proto.response is not None
    status, headers, body = proto.response
    assert status == 500 and headers["x-request-id"] == "t-1" and b'"type":"server_error"' in body


async def test_a_pull_stream_is_sent_and_closed_when_the_client_goes() -> None:
    closed: list[bool] = []

    async def frames() -> AsyncIterator[bytes]:
        try:
            for index in range(100):
                yield b"data: %d\n\n" % index
        finally:
            closed.append(True)

    async def stream(exchange: Exchange) -> Reply:
        return EventStream(frames())

    proto = Proto(fail_after=3)
    await front(stream).__rsgi__(Scope(), proto)
    assert proto.response is not None and proto.response[1]["content-type"].startswith("text/event-stream")
    assert proto.transport.sent == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"]
    assert closed == [True]


async def test_a_waiting_pull_stream_ends_when_the_client_disconnects() -> None:
    closed: list[bool] = []

    async def frames() -> AsyncIterator[bytes]:
        try:
            yield b"data: 0\n\n"
            await asyncio.sleep(60)  # a long wait for the next token
            yield b"data: 1\n\n"
        finally:
            closed.append(True)

    async def stream(exchange: Exchange) -> Reply:
        return EventStream(frames())

    proto = Proto()
    serving = asyncio.ensure_future(front(stream).__rsgi__(Scope(), proto))
    await asyncio.sleep(0.01)
    proto.gone.set()
    await asyncio.wait_for(serving, 5)
    assert proto.transport.sent == [b"data: 0\n\n"] and closed == [True]


async def test_a_non_streaming_client_that_goes_first_gets_499_and_what_was_generated_is_billed() -> None:
    clock = VirtualClock()  # the engine's tokens advance only when the test says so
    app: Starlette = create_app(Settings(ttft_ms=0, itl_ms=20), clock=clock)
    body = (
        b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],'
        b'"max_tokens":200,"ignore_eos":true}'
    )

    class Chat(Scope):
        path = "/v1/chat/completions"
        headers = Headers({"content-length": str(len(body)), "content-type": "application/json"})

    class ChatProto(Proto):
        async def __call__(self) -> bytes:
            return body

    proto = ChatProto()
    served = asyncio.ensure_future(RSGIFront(app).__rsgi__(Chat(), proto))
    await asyncio.sleep(0.1)  # real time: past the front's wait before it watches the connection
    clock.advance(0.1)  # five more tokens of the 200
    proto.gone.set()
    await asyncio.wait_for(served, 5)
    assert proto.response is not None and proto.response[0] == 499
    [(_, line)] = list(app.state.fakeai.usage.lines("completions"))
    assert line["num_model_requests"] == 1 and 0 < line["output_tokens"] < 200
