"""The HTTP shape shared by the text-generation families: decode, create, then stream or answer once, and
report the request's outcome to the metrics exactly once, when its response is complete.

Written against ``Exchange`` (server/exchange.py), so the ASGI routes and the RSGI front run this same code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from fakeai.api.generation import Run
from fakeai.errors import FakeAIError
from fakeai.server.decode import decode_json
from fakeai.server.exchange import CLIENT_CLOSED, Answer, EventStream, Exchange, Reply
from fakeai.server.sse import guarded
from fakeai.state import AppState


class Generation(Protocol):
    run: Run

    def events(self) -> AsyncIterator[bytes]: ...

    def response(self) -> Awaitable[dict[str, Any]]: ...


async def serve_generation(
    exchange: Exchange,
    state: AppState,
    endpoint: str,
    wire_type: type,
    create: Callable[[Any, str, float], Awaitable[Generation]],
) -> Reply:
    """``endpoint`` is Dynamo's name for it (``chat_completions``, ``completions``)."""
    arrival = state.engine.clock.now()  # TTFT counts from here, as the client's does
    model, stream = "unknown", False
    try:
        body = decode_json(await exchange.body(), wire_type)
        model, stream = body.model, bool(body.stream)
        generation = await create(body, exchange.request_id, arrival)
    except FakeAIError as exc:
        state.request_outcome(model, endpoint, stream, exc.status)
        raise
    except Exception:
        state.request_outcome(model, endpoint, stream, 500)
        raise

    if stream:

        def close(status: int) -> None:
            generation.run.abort()
            state.request_outcome(model, endpoint, True, status)

        return EventStream(guarded(generation.events(), close))
    answer = await _unless_disconnected(exchange, generation)
    state.request_outcome(model, endpoint, False, answer.status)
    return answer


#: A non-streaming request starts watching its connection only after this long: most finish sooner, and a
#: watch costs a task per request. A client gone earlier has its engine work aborted this much later.
WATCH_AFTER_S = 0.05


async def _unless_disconnected(exchange: Exchange, generation: Generation) -> Answer:
    """The answer, watching the connection meanwhile: a client that goes first aborts the engine work,
    which then finishes at once, and gets a 499 it never reads."""
    gone = False
    watcher: asyncio.Future[None] | None = None

    async def watch() -> None:
        nonlocal gone
        await exchange.disconnected()
        gone = True
        generation.run.abort()

    def arm() -> None:
        nonlocal watcher
        watcher = asyncio.ensure_future(watch())

    timer = asyncio.get_running_loop().call_later(WATCH_AFTER_S, arm)
    try:
        result = await generation.response()
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()
    return Answer(b"", CLIENT_CLOSED) if gone else Answer.json(result)
