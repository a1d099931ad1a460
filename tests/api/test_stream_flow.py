"""Backpressure and shutdown of a stream, on a virtual clock: a stream whose client is behind stops being
fed while the engine goes on, catches up in bounded steps, and a shutdown ends it with one in-band error."""

from __future__ import annotations

import asyncio
import json

import msgspec

from fakeai import Settings, create_app
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.service import ChatCompletion, ChatService
from fakeai.api.generation import STEP_TOKENS, step_events
from fakeai.api.serving import POLL_S, PushedStream
from fakeai.engine import VirtualClock
from fakeai.server.shutdown import shutting_down

TOKENS = 3000


async def start(clock: VirtualClock, n: int = 1) -> ChatCompletion:
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}], "max_tokens": TOKENS,
            "ignore_eos": True, "seed": 1, "stream": True, "n": n}  # fmt: skip
    service = ChatService(create_app(Settings(ttft_ms=10, itl_ms=1), clock=clock).state.fakeai)
    return await service.create(msgspec.json.decode(json.dumps(body), type=ChatCompletionRequest), "req_1")


def contents(chunks: list[bytes]) -> list[int]:
    """Content deltas per chunk."""
    return [chunk.count(b'"delta":{"content":') for chunk in chunks]


class Backlog:
    """A client that reads nothing until ``reading`` is set."""

    def __init__(self) -> None:
        self.reading = False
        self.looks = 0

    def behind(self, sent: int) -> bool:
        return not self.reading

    def caught_up(self) -> bool:
        self.looks += 1
        return self.reading


async def test_a_paused_stream_sends_nothing_while_the_engine_goes_on_then_catches_up_in_steps() -> None:
    clock = VirtualClock()
    generation, closes = await start(clock, n=2), []
    sent: list[bytes] = []
    backlog = Backlog()
    done = PushedStream(generation.run, generation.frames(), closes.append).start(sent.append, backlog)
    clock.advance(0.011)
    assert len(sent) == 1  # the first step went out; the client is behind: paused
    clock.advance(TOKENS * 0.001)
    assert len(sent) == 1 and generation.run.finished  # the engine finished meanwhile, as vLLM's would
    await asyncio.sleep(POLL_S * 2)
    assert backlog.looks >= 1 and len(sent) == 1
    backlog.reading = True
    await asyncio.sleep(POLL_S * 2)
    assert done.done() and sent[-1].endswith(b"data: [DONE]\n\n")
    steps = contents(sent[1:-1])
    assert sum(contents(sent)) == 2 * TOKENS and max(steps) <= STEP_TOKENS  # bounded catch-up steps
    await asyncio.sleep(0)
    assert closes == [200]


async def test_a_task_driven_stream_catches_up_in_bounded_steps() -> None:
    clock = VirtualClock()
    generation = await start(clock)
    clock.advance(1 + TOKENS * 0.001)  # nobody read while the engine generated everything
    chunks = [chunk async for chunk in step_events(generation.run, generation.frames())]
    assert sum(contents(chunks)) == TOKENS and max(contents(chunks)) <= STEP_TOKENS
    assert chunks[-1] == b"data: [DONE]\n\n"


async def test_an_interrupt_ends_a_paused_stream_with_one_error_event() -> None:
    clock = VirtualClock()
    generation, closes = await start(clock), []
    sent: list[bytes] = []
    push = PushedStream(generation.run, generation.frames(), closes.append)
    done = push.start(sent.append, Backlog())
    clock.advance(0.011)
    generation.run.interrupt(shutting_down())
    await asyncio.sleep(POLL_S * 2)  # a paused stream sees it at its next look
    assert done.done()
    error = json.loads(sent[-1][6:])["error"]
    assert error["code"] == "server_shutting_down" and error["type"] == "server_error"
    await asyncio.sleep(0)
    assert closes == [503]
