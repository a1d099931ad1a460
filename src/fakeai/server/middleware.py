"""Pure ASGI middleware (no BaseHTTPMiddleware: it buffers streams and costs time per request)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeai.server.exchange import OPENAI_VERSION, IdSource, processing_ms, request_id_for, too_large
from fakeai.server.responses import error_response


class OpenAIHeaders:
    """Adds ``x-request-id``, ``openai-version`` and ``openai-processing-ms`` to every HTTP response.

    A client's own ``x-request-id`` is echoed; otherwise one is made (``req_`` + 32 hex digits). The id is
    also put in ``scope["state"]["request_id"]`` for handlers and logs. Processing time is measured to the
    response head, as OpenAI does (for a stream, that is before the first token).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._ids = IdSource(32, "req_")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        request_id = request_id_for(given, self._ids)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode("latin-1")),
                    (b"openai-version", OPENAI_VERSION.encode()),
                    (b"openai-processing-ms", processing_ms(started).encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with 413: by Content-Length before reading, else while reading."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > limit:
                    await error_response(too_large(limit))(scope, receive, send)
                    return
                break
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, counting_receive, send)
