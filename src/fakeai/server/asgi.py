"""``Endpoint``s as Starlette routes: the ASGI app's way to serve them (embedding, tests, uvicorn, Granian's
ASGI mode). The middleware in server/middleware.py adds the OpenAI headers and the body limit here."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakeai.faults.inject import RESET_PROMISE, ResetConnection
from fakeai.security.identity import identity_of
from fakeai.server.exchange import SSE_HEADERS, Answer, Endpoint, EventStream


class _StarletteExchange:
    __slots__ = ("_request", "identity", "path", "request_id")

    def __init__(self, request: Request) -> None:
        self._request = request
        self.request_id: str = request.state.request_id  # set by the OpenAIHeaders middleware
        self.identity = identity_of(request.scope)
        self.path: str = request.scope["path"]

    def header(self, name: str) -> str | None:
        return self._request.headers.get(name)

    async def body(self) -> bytes:
        return await self._request.body()  # the BodyLimit middleware counts what it reads

    async def disconnected(self) -> None:
        # Called once the body has been read: the next message is the client's disconnect (servers block
        # until then).
        while (await self._request.receive())["type"] != "http.disconnect":
            pass


def route(endpoint: Endpoint) -> Route:
    handler = endpoint.handler

    async def call(request: Request) -> Response:
        try:
            reply = await handler(_StarletteExchange(request))
        except ResetConnection as exc:
            return StreamingResponse(_reset(exc), headers={"content-length": str(RESET_PROMISE)})
        if isinstance(reply, EventStream):
            # Starlette cancels the iterator when the client disconnects; its cleanup then runs.
            headers = {**SSE_HEADERS, **reply.headers} if reply.headers else SSE_HEADERS
            return StreamingResponse(reply.events, media_type="text/event-stream", headers=headers)
        return answer_response(reply)

    return Route(endpoint.path, call, methods=[endpoint.method])


async def _reset(exc: ResetConnection) -> AsyncIterator[bytes]:
    """A byte of the promised body, then a failure: the server drops the connection (a fault's ``reset``)."""
    yield b"{"
    raise exc


def answer_response(answer: Answer) -> Response:
    if not answer.body:
        return Response(status_code=answer.status, headers=answer.headers)
    return Response(answer.body, answer.status, answer.headers, media_type="application/json")
