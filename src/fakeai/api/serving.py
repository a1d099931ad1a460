"""The HTTP shape shared by the text-generation families: decode, create, then stream or answer once, and
report the request's outcome to the metrics exactly once, when its response is complete."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from fakeai.api.generation import Run
from fakeai.errors import FakeAIError
from fakeai.server.decode import decode_json
from fakeai.server.disconnect import unless_disconnected
from fakeai.server.responses import json_response
from fakeai.server.sse import sse_response
from fakeai.state import AppState


class Generation(Protocol):
    run: Run

    def events(self) -> AsyncIterator[bytes]: ...

    def response(self) -> Awaitable[dict[str, Any]]: ...


async def serve_generation(
    request: Request,
    state: AppState,
    endpoint: str,
    wire_type: type,
    create: Callable[[Any, str, float], Awaitable[Generation]],
) -> Response:
    """``endpoint`` is Dynamo's name for it (``chat_completions``, ``completions``)."""
    arrival = state.engine.clock.now()  # TTFT counts from here, as the client's does
    model, stream = "unknown", False
    try:
        body = decode_json(await request.body(), wire_type)
        model, stream = body.model, bool(body.stream)
        generation = await create(body, request.state.request_id, arrival)
    except FakeAIError as exc:
        state.request_outcome(model, endpoint, stream, exc.status)
        raise
    except Exception:
        state.request_outcome(model, endpoint, stream, 500)
        raise

    def close(status: int) -> None:
        generation.run.abort()
        state.request_outcome(model, endpoint, stream, status)

    if stream:
        return sse_response(generation.events(), close)
    response = await unless_disconnected(request, generation.response(), generation.run.abort, json_response)
    state.request_outcome(model, endpoint, False, response.status_code)
    return response
