"""ASGI over RSGI: how the RSGI front (server/rsgi.py) reaches the Starlette routes it does not serve itself.

An HTTP request becomes one ASGI call: the body is streamed in as ``http.request`` messages, then
``http.disconnect`` once the client goes; the response is sent whole when the app gives it in one body
message, else streamed. A WebSocket is one ASGI ``websocket`` call over Granian's WebSocket protocol
(``_websocket``): the realtime family runs unchanged on both fronts.

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


def _scope(scope: Any, lifespan_state: dict[str, Any]) -> dict[str, Any]:
    path = scope.path
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": path,
        "raw_path": quote(path, safe=_PATH_SAFE).encode("ascii"),
        "query_string": scope.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in scope.headers.items()
        ],
        "client": _address(scope.client),
        "server": _address(scope.server),
        "state": dict(lifespan_state),
    }


async def asgi_over_rsgi(app: ASGIApp, scope: Any, proto: Any, lifespan_state: dict[str, Any]) -> None:
    if scope.proto != "http":
        await _websocket(app, scope, proto, lifespan_state)
        return
    path = scope.path
    asgi_scope = _scope(scope, lifespan_state)
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


class WebSocketClosed(OSError):
    """A send on a WebSocket the client has closed (as uvicorn raises ``ClientDisconnected``)."""


async def _websocket(app: ASGIApp, scope: Any, proto: Any, lifespan_state: dict[str, Any]) -> None:
    """One ASGI ``websocket`` call over Granian's protocol: ``websocket.connect`` first, then each message
    received until the client closes (``websocket.disconnect``); the app's accept, sends and close go to
    the transport. A close before the accept refuses the handshake (Granian answers 403)."""
    asgi_scope = _scope(scope, lifespan_state)
    asgi_scope["type"] = "websocket"
    asgi_scope["scheme"] = "wss" if scope.scheme == "https" else "ws"
    asgi_scope.pop("method")
    protocols = scope.headers.get("sec-websocket-protocol")
    asgi_scope["subprotocols"] = [p.strip() for p in protocols.split(",")] if protocols else []
    transport: Any = None
    connected = closed = answered = False  # closed: by either side; answered: our close went out

    async def receive() -> Message:
        nonlocal connected, closed, answered
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        if transport is None or closed:
            return {"type": "websocket.disconnect", "code": 1006}
        message = await transport.receive()
        if message.kind == 0:  # the client closed: answer its close frame now (else it waits for one)
            closed = answered = True
            proto.close(1000)
            return {"type": "websocket.disconnect", "code": 1000}
        if message.kind == 1:
            return {"type": "websocket.receive", "bytes": message.data, "text": None}
        return {"type": "websocket.receive", "text": message.data, "bytes": None}

    async def send(message: Message) -> None:
        nonlocal transport, closed, answered
        kind = message["type"]
        if kind == "websocket.accept":
            transport = await proto.accept()
            return
        if kind == "websocket.close":
            closed = True
            if not answered:
                answered = True
                proto.close(message.get("code", 1000) if transport is not None else 403)
            return
        if kind != "websocket.send" or transport is None:
            return
        if closed:
            raise WebSocketClosed("the client closed the WebSocket")
        try:
            if message.get("bytes") is not None:
                await transport.send_bytes(message["bytes"])
            else:
                await transport.send_str(message["text"])
        except Exception as exc:  # Granian's ProtocolClosed: the client went away
            closed = True
            raise WebSocketClosed("the client closed the WebSocket") from exc

    try:
        await app(asgi_scope, receive, send)
    except Exception:
        log.exception("unhandled error on WebSocket %s", scope.path)
    finally:
        if not answered:  # also after the client's close: Granian completes the closing handshake
            proto.close(1000 if transport is not None else 403)
