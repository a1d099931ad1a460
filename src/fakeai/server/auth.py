"""Pure ASGI middleware: the caller's identity from their API key, and the rate limit of routes that do not
count themselves. Installed only when keys are configured (see app.py); the RSGI front does the same for
its native endpoints (server/rsgi.py)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeai.errors import FakeAIError
from fakeai.faults.journal import Journal
from fakeai.security.guard import Guard, bearer
from fakeai.security.identity import SCOPE_KEY
from fakeai.server.responses import error_response


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class Authenticate:
    """Every path that needs a key gets the caller's ``Identity`` in ``scope["state"]["identity"]``, or an
    OpenAI 401. Paths in ``self_counting`` (the ``limited`` endpoints: chat, completions, responses,
    messages, embeddings, ...) take their rate limit in the service, which knows the request's tokens;
    every other path takes one request from the key's model-less bucket here, and its response carries
    the ``x-ratelimit-*`` headers."""

    def __init__(self, app: ASGIApp, guard: Guard, self_counting: frozenset[str], journal: Journal) -> None:
        self.app = app
        self.guard = guard
        self.self_counting = self_counting
        self.journal = journal  # refusals are journaled here: the Control middleware sits inside this one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket" and self.guard.needs_key(scope["path"]):
            await self._websocket(scope, receive, send)
            return
        if kind != "http" or scope["method"] == "OPTIONS" or not self.guard.needs_key(scope["path"]):
            await self.app(scope, receive, send)
            return
        authorization = api_key = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name in (b"x-api-key", b"api-key"):
                api_key = value.decode("latin-1")
        guard = self.guard
        started = time.perf_counter()
        try:
            identity = await guard.authenticate(bearer(authorization, api_key), client_of(scope))
            found = None if scope["path"] in self.self_counting else guard.limiter.admit(identity, "", 0)
        except FakeAIError as exc:
            await error_response(exc)(scope, receive, send)
            if self.journal.enabled:
                state, took = scope.get("state", {}), time.perf_counter() - started
                request_id, method, path = state.get("request_id", ""), scope["method"], scope["path"]
                self.journal.add(request_id, method, path, None, exc.status, None, took, "")
            return
        scope.setdefault("state", {})[SCOPE_KEY] = identity
        if not found:
            await self.app(scope, receive, send)
            return
        extra = [(name.encode(), value.encode()) for name, value in found.items()]

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_limits)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket (realtime) is refused before its handshake completes without a right key."""
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization")
        api_key = headers.get(b"x-api-key") or headers.get(b"api-key")
        key = bearer(authorization and authorization.decode("latin-1"), api_key and api_key.decode("latin-1"))
        try:
            identity = await self.guard.authenticate(key, client_of(scope))
        except FakeAIError:
            await send({"type": "websocket.close", "code": 1008})  # policy violation: HTTP 403 to the client
            return
        scope.setdefault("state", {})[SCOPE_KEY] = identity
        await self.app(scope, receive, send)
