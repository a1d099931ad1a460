"""Server-sent events: the framing of every stream, and in-band errors once a stream has started.

Hot paths build their ``data:`` frames from byte templates (see api/chat/stream.py); ``sse_event`` is for
the rare frames (usage, errors).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec

from fakeai.errors import FakeAIError, ServerError
from fakeai.server.exchange import CLIENT_CLOSED

log = logging.getLogger("fakeai.server")
_encode = msgspec.json.encode


def sse_event(payload: Any) -> bytes:
    """One ``data:`` frame. Hot paths use precomputed byte templates instead (see api/chat/stream.py)."""
    return b"data: " + _encode(payload) + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"


async def guarded(
    events: AsyncIterator[bytes],
    on_close: Callable[[int], None],
    on_error: Callable[[Exception], tuple[bytes, int]] | None = None,
) -> AsyncIterator[bytes]:
    """``events``, with ``on_close(status)`` run however the stream ends: 200 when it completed, the
    error's status after an in-band error event, 499 when the client went away (the transport then closes
    this generator).

    After the 200 head is sent, an error can only be reported in-band, as OpenAI does: one ``data:`` event
    with the error body (or what ``on_error`` frames: the Responses API's typed ``error`` event), then the
    end of the stream.
    """
    status = CLIENT_CLOSED  # unless the loop below ends on its own
    try:
        async for frame in events:
            yield frame
        status = 200
    except Exception as exc:
        frame, status = (on_error or error_event)(exc)
        yield frame
    finally:
        on_close(status)


def error_event(exc: Exception) -> tuple[bytes, int]:
    """The in-band event for an error raised once a stream has started, and the status to count for it.
    Anything but a ``FakeAIError`` is logged and becomes OpenAI's generic server error."""
    if isinstance(exc, FakeAIError):
        return sse_event(exc.body()), exc.status
    log.error("error while streaming a response", exc_info=exc)
    return sse_event(ServerError("The server had an error while streaming your response.").body()), 500
