"""Pure ASGI middleware of the control features in one layer (a layer costs every request): the request
journal, and fault rules on the routes that are not generation endpoints (those apply theirs after decoding
the body, where the model is known: api/serving.py). The RSGI front journals its native endpoints itself
(server/rsgi.py)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeai.errors import FakeAIError, InvalidRequestError
from fakeai.faults.inject import RESET_PROMISE, InjectedError, ResetConnection, announce, sleep
from fakeai.faults.rules import FAULT_HEADER, FaultContext
from fakeai.security.identity import identity_of
from fakeai.server.responses import error_response
from fakeai.state import AppState


class Control:
    """On every path but ``skip`` (the generation endpoints, which journal their own outcome and apply
    their faults after decoding the body: api/serving.py) and the control API's own: fault rules and the
    ``x-fakeai-fault`` header (an injected error, added latency, or a dropped connection), and one journal
    entry per request when its response is complete."""

    def __init__(self, app: ASGIApp, state: AppState, skip: frozenset[str], prefix: str) -> None:
        self.app = app
        self.state = state
        self.journal = state.journal
        self.skip = skip
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts
        fault: list[str] = []

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._faults(scope, receive, send_and_watch, fault)
        finally:
            if self.journal.enabled:
                state = scope.get("state", {})
                took = time.perf_counter() - started
                request_id, project = state.get("request_id", ""), identity_of(scope).project
                rule = fault[0] if fault else None
                self.journal.add(
                    request_id, scope["method"], scope["path"], None, status, rule, took, project
                )

    async def _faults(self, scope: Scope, receive: Receive, send: Send, fault: list[str]) -> None:
        """Runs the app, unless a fault rule (or the request's header) says otherwise; ``fault`` gets the
        rule's id when one is injected."""
        faults = self.state.faults
        if not (faults.rules or faults.header) or scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        identity = identity_of(scope)
        method, path = scope["method"], scope["path"]
        context = FaultContext(method, path, None, identity.project, identity.key_id, headers.get)
        try:
            action = faults.pick(context)
        except (ValueError, TypeError) as exc:
            error = InvalidRequestError(f"Invalid {FAULT_HEADER} header: {exc}", param=FAULT_HEADER)
            await error_response(error)(scope, receive, send)
            return
        if action is None:
            await self.app(scope, receive, send)
            return
        announce(action, method, path, scope.get("state", {}).get("request_id", ""))
        fault.append(action.rule)
        if action.latency_ms or action.ttft_ms:
            await sleep(self.state.engine.clock, ((action.latency_ms or 0) + (action.ttft_ms or 0)) / 1000)
        if action.kind == "error":
            failure: FakeAIError = InjectedError(action)
            await error_response(failure)(scope, receive, send)
            return
        if action.reset:  # a head promising a body that never comes, then the app fails: servers drop it
            head = [(b"content-type", b"application/json"), (b"content-length", str(RESET_PROMISE).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": head})
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise ResetConnection(action)
        await self.app(scope, receive, send)
