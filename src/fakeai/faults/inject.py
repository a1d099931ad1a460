"""What an ``Action`` does: the error it raises (OpenAI's body, or another provider's), the time it adds
(on the engine's clock, so the virtual clock of tests drives it), and the stream it breaks."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

from fakeai.engine.clock import Clock
from fakeai.errors import FakeAIError
from fakeai.faults.rules import Action

log = logging.getLogger("fakeai.faults")

#: OpenAI's message, type and code for the statuses a fault usually takes.
_OPENAI: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request (injected fault).", "invalid_request_error", None),
    401: (
        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: ("You are not allowed to make this request (injected fault).", "invalid_request_error", None),
    404: ("The resource does not exist (injected fault).", "invalid_request_error", None),
    408: ("Request timed out (injected fault).", "timeout", None),
    409: ("Conflict (injected fault).", "invalid_request_error", None),
    429: (
        "Rate limit reached (injected fault). Please try again in 1s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
}
_ANTHROPIC = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
              404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
              529: "overloaded_error"}  # fmt: skip
#: Statuses whose injected error tells the client when to come back.
_RETRYABLE = (408, 409, 429, 500, 502, 503, 504, 529)


class InjectedError(FakeAIError):
    """An error a fault rule asked for: any status, with the body of the rule's provider."""

    def __init__(self, action: Action) -> None:
        status = action.status or 500
        message, kind, code = _OPENAI.get(status, (f"Injected fault (HTTP {status}).", "server_error", None))
        headers = {"x-fakeai-fault": action.rule}
        retry = action.retry_after_ms
        if retry is None and status in _RETRYABLE:
            retry = 1000.0
        if retry is not None:
            headers["retry-after"] = str(max(0, math.ceil(retry / 1000)))
            headers["retry-after-ms"] = str(int(retry))
        super().__init__(action.message or message, code=action.code or code, headers=headers)
        self.action = action
        self.status = status  # type: ignore[misc]
        self.type = action.type or kind  # type: ignore[misc]
        self.provider = action.provider

    def body(self) -> dict[str, Any]:
        if self.provider == "anthropic":
            kind = _ANTHROPIC.get(self.status, "api_error")
            return {"type": "error", "error": {"type": kind, "message": self.message}}
        if self.provider == "vllm":  # vLLM's ErrorResponse
            return {"object": "error", "message": self.message, "type": self.type, "param": None,
                    "code": self.status}  # fmt: skip
        return super().body()


#: The body length a reset response's head promises (and never sends): servers then drop the connection.
RESET_PROMISE = 1 << 20


class ResetConnection(Exception):  # the name says what the transport does
    """Raised to drop the connection: the transport aborts the response instead of finishing it."""

    def __init__(self, action: Action) -> None:
        super().__init__(f"connection reset (injected fault {action.rule})")
        self.action = action


def announce(action: Action, method: str, path: str, request_id: str) -> None:
    """Every injected fault is in the log, so nobody mistakes it for a bug."""
    log.warning("injected fault %s (%s) on %s %s [%s]", action.rule, action.kind, method, path, request_id)


async def sleep(clock: Clock, seconds: float) -> None:
    """Wait ``seconds`` of engine time (wall time on the server, virtual time in tests)."""
    if seconds <= 0:
        return
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def wake() -> None:
        if not done.done():
            done.set_result(None)

    handle = clock.call_at(clock.now() + seconds, wake)
    try:
        await done
    finally:
        handle.cancel()


#: Sent by ``malformed_after_chunks``: an event whose JSON stops half-way.
MALFORMED = (
    b'data: {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "choices": [{"delta": {"con\n\n'
)


async def broken_stream(events: AsyncIterator[bytes], action: Action, clock: Clock) -> AsyncIterator[bytes]:
    """``events`` (SSE frames, several per block) with the action's damage. Ending early closes
    ``events``, whose cleanup aborts the engine work (its KV blocks are freed at once)."""
    started = clock.now()
    sent = 0
    stalled = False
    try:
        if action.ttft_ms:
            await sleep(clock, action.ttft_ms / 1000)
        async for block in events:
            for frame in block.split(b"\n\n")[:-1]:
                if action.cut_after_chunks is not None and sent >= action.cut_after_chunks:
                    return
                if action.cut_after_ms is not None and (clock.now() - started) * 1000 >= action.cut_after_ms:
                    return
                if action.reset and sent >= (action.reset_after_chunks or 0):
                    raise ResetConnection(action)
                if (
                    not stalled
                    and action.stall_after_chunks is not None
                    and sent >= action.stall_after_chunks
                ):
                    stalled = True
                    await sleep(clock, (action.stall_ms or 0) / 1000)
                if action.malformed_after_chunks is not None and sent == action.malformed_after_chunks:
                    yield MALFORMED
                yield frame + b"\n\n"
                sent += 1
    finally:
        await events.aclose()  # type: ignore[attr-defined]  # an async generator (server/sse.py guarded)
