"""Response objects for the routes: JSON bytes, SSE streams, and the error body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import msgspec
from starlette.responses import Response, StreamingResponse

from fakeai.errors import FakeAIError

_encode = msgspec.json.encode


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(_encode(content), status_code=status, headers=headers, media_type="application/json")


def error_response(error: FakeAIError) -> Response:
    return json_response(error.body(), status=error.status, headers=error.headers)


def sse_event(payload: Any) -> bytes:
    """One ``data:`` frame. Hot paths use precomputed byte templates instead (see the chat service)."""
    return b"data: " + _encode(payload) + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def sse_response(events: AsyncIterator[bytes]) -> StreamingResponse:
    """Frame an iterator of ready-made SSE bytes. Starlette cancels it when the client disconnects."""
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
