"""ASGI over RSGI: how the RSGI front (server/rsgi.py) reaches the Starlette routes it does not serve itself.

An HTTP request becomes one ASGI call: the body is streamed in as ``http.request`` messages, then
``http.disconnect`` once the client goes; the response is sent whole when the app gives it in one body
message, else streamed. WebSocket requests are refused with 403 until a family needs them (realtime).

Granian hands RSGI apps the path already percent-decoded (as UTF-8; an invalid sequence becomes U+FFFD),
which is what ASGI's ``path`` is, so it is passed on as it is: decoding it again would turn ``%2541`` into
``A``. RSGI keeps no raw path, so ``raw_path`` is the path re-escaped to ASCII (any character can be).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.types import ASGIApp, Message

from fakeai.errors import ServerError
from fakeai.server.exchange import JSON_CONTENT_TYPE, Answer

log = logging.getLogger("fakeai.server")

_ASGI = {"version": "3.0", "spec_version": "2.4"}
#: RFC 3986 characters a path may carry unescaped.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _address(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port)) if port.isdigit() else None


async def asgi_over_rsgi(app: ASGIApp, scope: Any, proto: Any, lifespan_state: dict[str, Any]) -> None:
    if scope.proto != "http":
        proto.close(403)
        return
    path = scope.path
    headers = scope.headers.items()
    asgi_scope = {
        "type": "http",
        "asgi": _ASGI,
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": path,
        "raw_path": quote(path, safe=_PATH_SAFE).encode("ascii"),
        "query_string": scope.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
        "client": _address(scope.client),
        "server": _address(scope.server),
        "state": dict(lifespan_state),
    }
    chunks: AsyncIterator[bytes] = aiter(proto)
    body_done = False

    async def receive() -> Message:
        nonlocal body_done
        if not body_done:
            try:
                return {"type": "http.request", "body": await anext(chunks), "more_body": True}
            except StopAsyncIteration:
                body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
        await proto.client_disconnect()
        return {"type": "http.disconnect"}

    response = _Response(proto)
    try:
        await app(asgi_scope, receive, response.send)
    except Exception:
        if response.started:  # most likely the client went away mid-response
            log.debug("response to %s %s ended early", scope.method, path, exc_info=True)
            return
        log.exception("unhandled error on %s %s", scope.method, path)
        answer = Answer.error(ServerError("The server had an error while processing your request."))
        proto.response_bytes(answer.status, [("content-type", JSON_CONTENT_TYPE)], answer.body)


class _Response:
    """Collects ``http.response.start``; a single body message is one ``response_bytes`` call."""

    __slots__ = ("headers", "proto", "started", "status", "transport")

    def __init__(self, proto: Any) -> None:
        self.proto = proto
        self.started = False
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.transport: Any = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", ())]
            return
        if kind != "http.response.body":
            return
        body = message.get("body", b"")
        more = message.get("more_body", False)
        if self.transport is None:
            if not more:
                self.started = True
                self.proto.response_bytes(self.status, self.headers, body)
                return
            self.started = True
            self.transport = self.proto.response_stream(self.status, self.headers)
        if body:
            await self.transport.send_bytes(body)
