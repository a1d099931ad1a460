"""``PushedStream``: a stream sent from inside the engine's timer (the RSGI front's way), on a virtual clock.

It must send exactly what the task-driven stream sends, end with one ``close(status)``, and never call back
into the engine from inside its timer.
"""

from __future__ import annotations

import asyncio
import gc
import json

import msgspec
import pytest

from fakeai import Settings, create_app
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.service import ChatCompletion, ChatService
from fakeai.api.generation import step_events
from fakeai.api.serving import PushedStream
from fakeai.engine import VirtualClock
from fakeai.errors import InvalidRequestError

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "seed": 1,
        "stream": True, "stream_options": {"include_usage": True}, "n": 2}  # fmt: skip


async def start(clock: VirtualClock) -> ChatCompletion:
    service = ChatService(create_app(Settings(ttft_ms=100, itl_ms=20), clock=clock).state.fakeai)
    return await service.create(msgspec.json.decode(json.dumps(BODY), type=ChatCompletionRequest), "req_1")


def events(raw: bytes) -> list[object]:
    """The SSE events, without what differs between two requests (id, created)."""
    parsed = []
    for line in raw.split(b"\n\n"):
        if line.startswith(b"data: {"):
            event = json.loads(line[6:])
            event.pop("id"), event.pop("created")
            parsed.append(event)
        elif line:
            parsed.append(line.decode())
    return parsed


def drive(clock: VirtualClock, seconds: float = 1.0) -> None:
    for _ in range(int(seconds / 0.01)):
        clock.advance(0.01)


async def test_sends_what_the_task_driven_stream_sends_and_closes_once() -> None:
    clock = VirtualClock()
    pushed, closes = await start(clock), []
    sent: list[bytes] = []
    push = PushedStream(pushed.run, pushed.frames(), closes.append)
    done = push.start(sent.append)
    assert not sent  # nothing before the first token (TTFT 100 ms)
    clock.advance(0.1)
    assert len(sent) >= 1 and b'"role":"assistant"' in sent[0]  # sent from inside the engine's timer
    drive(clock)
    assert done.done() and sent[-1].endswith(b"data: [DONE]\n\n")
    await asyncio.sleep(0)  # close runs on the next loop turn, outside the engine
    assert closes == [200]

    clock = VirtualClock()
    driven = await start(clock)
    chunks: list[bytes] = []

    async def consume() -> None:
        async for chunk in step_events(driven.run, driven.frames()):
            chunks.append(chunk)

    task = asyncio.ensure_future(consume())
    while not task.done():
        clock.advance(0.01)
        await asyncio.sleep(0)
    assert events(b"".join(sent)) == events(b"".join(chunks))


async def test_a_gone_client_aborts_the_run_and_counts_499() -> None:
    clock = VirtualClock()
    generation, closes = await start(clock), []
    sent: list[bytes] = []

    def close(status: int) -> None:
        generation.run.abort()
        closes.append(status)

    push = PushedStream(generation.run, generation.frames(), close)
    push.start(sent.append)
    clock.advance(0.1)
    push.cancel()
    push.cancel()  # idempotent
    await asyncio.sleep(0)
    assert closes == [499] and generation.run.finished
    count = len(sent)
    drive(clock)
    assert len(sent) == count  # nothing after the client left


@pytest.mark.parametrize(
    ("error", "status"), [(InvalidRequestError("bad", param="x"), 400), (KeyError(), 500)]
)
async def test_an_error_mid_stream_is_one_in_band_event(error: Exception, status: int) -> None:
    clock = VirtualClock()
    generation, closes = await start(clock), []
    frames = generation.frames()
    sent: list[bytes] = []
    push = PushedStream(generation.run, frames, closes.append)
    push.start(sent.append)
    clock.advance(0.1)

    def fail() -> bytes:
        raise error

    frames.step = fail  # type: ignore[method-assign]
    drive(clock)  # the engine's timer must survive the error
    last = json.loads(sent[-1][6:])
    assert last["error"]["type"] == ("invalid_request_error" if status == 400 else "server_error")
    await asyncio.sleep(0)
    assert closes == [status]


@pytest.mark.parametrize("n", [1, 2])
async def test_a_finished_stream_leaves_no_garbage_cycles(n: int) -> None:
    # Server workers collect the young generation only every 50,000 allocations (server/runner.py): a
    # cycle per stream would hold each finished stream's objects until then.
    clock = VirtualClock()
    service = ChatService(create_app(Settings(ttft_ms=100, itl_ms=20), clock=clock).state.fakeai)
    body = msgspec.json.encode({**BODY, "n": n})

    async def one() -> None:
        generation = await service.create(msgspec.json.decode(body, type=ChatCompletionRequest), "req_1")
        sent: list[bytes] = []
        push = PushedStream(generation.run, generation.frames(), lambda status: None)
        done = push.start(sent.append)
        drive(clock)
        assert done.done() and sent[-1].endswith(b"data: [DONE]\n\n")

    await one()
    await asyncio.sleep(0)
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            await one()
        await asyncio.sleep(0)
        assert gc.collect() == 0
    finally:
        gc.enable()
