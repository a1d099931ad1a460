"""Endpoints written once, served two ways: as Starlette routes (the ASGI app, for embedding and tests) and
straight from Granian's native RSGI interface (server/rsgi.py, the default server's hot path).

An ``Endpoint``'s handler sees only an ``Exchange`` (body, headers, request id, disconnect) and returns a
``Reply``: no framework object crosses this line, so both transports run the same code. Errors are raised
as ``FakeAIError``; each transport turns them into OpenAI's error body.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import msgspec

from fakeai.errors import FakeAIError, PayloadTooLargeError
from fakeai.security.identity import Identity

_encode = msgspec.json.encode

OPENAI_VERSION = "2020-10-01"
#: nginx's "client closed request": nobody reads it, but it keeps logs and metrics honest.
CLIENT_CLOSED = 499
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"


class Exchange(Protocol):
    """One HTTP request as an endpoint sees it."""

    request_id: str
    #: The request's path (``/v1/chat/completions``): what fault rules match on.
    path: str
    #: The caller (security/identity.py): the project every stored object of this request belongs to.
    identity: Identity

    def header(self, name: str) -> str | None:
        """A request header by lower-case name."""
        ...

    async def body(self) -> bytes:
        """The whole body; 413 (``PayloadTooLargeError``) past the server's limit."""
        ...

    def disconnected(self) -> Awaitable[None]:
        """Completes when the client goes away (only awaited while a non-streaming answer is pending)."""
        ...


@dataclass(slots=True)
class Answer:
    """A whole JSON response."""

    body: bytes
    status: int = 200
    headers: Mapping[str, str] | None = None

    @classmethod
    def json(cls, content: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
        return cls(_encode(content), status, headers)

    @classmethod
    def error(cls, error: FakeAIError) -> Answer:
        return cls(_encode(error.body()), error.status, error.headers)


class Backlog(Protocol):
    """What a transport knows of how far its client is behind (server/flow.py ``SendQueue``)."""

    def behind(self, sent: int) -> bool:
        """After sending ``sent`` more bytes: whether the client is too far behind to be sent more."""
        ...

    def caught_up(self) -> bool:
        """While paused: whether the client has read enough to go on."""
        ...


class Pushable(Protocol):
    """A stream that sends itself (api/serving.py ``PushedStream``), for transports whose send is
    synchronous: ``start(send, backlog)`` returns a future that completes when the stream has ended; it
    pauses while ``backlog`` says the client is behind. ``cancel`` is for a client that went away."""

    def start(
        self, send: Callable[[bytes], object], backlog: Backlog | None = None
    ) -> asyncio.Future[None]: ...

    def cancel(self) -> None: ...


@dataclass(slots=True)
class EventStream:
    """A 200 ``text/event-stream`` of ready-made SSE frames, in two forms a transport chooses between (and
    drives only one of): ``events``, an iterator that handles its own errors and cleanup (server/sse.py
    ``guarded``), which a transport sends and closes when the client goes; or ``push``, if set."""

    events: AsyncIterator[bytes]
    push: Pushable | None = None
    #: Headers of its own, next to the SSE ones (the rate limit's).
    headers: Mapping[str, str] | None = None


Reply = Answer | EventStream
Handler = Callable[[Exchange], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    #: The handler takes the caller's rate limit itself (``state.limiter.admit``), once it knows the
    #: request's tokens. Otherwise the transport takes one request, no tokens, before the handler runs
    #: (server/auth.py, server/rsgi.py). Either way a request is counted once.
    limited: bool = False


class IdSource:
    """Ids that must be unique, not secret (request and completion ids): ``prefix`` and ``digits`` hex
    digits, a random half drawn once per source and a counter, so an id costs one format and no system
    call."""

    __slots__ = ("_count", "_format")

    def __init__(self, digits: int, prefix: str = "") -> None:
        random_half = secrets.token_hex(digits // 4)  # distinct per process and app
        # %-formatting: a third of an f-string's cost with a computed width.
        self._format = f"{prefix}{random_half}%0{digits - len(random_half)}x"
        self._count = itertools.count()

    def __call__(self) -> str:
        return self._format % next(self._count)


def request_id_for(given: str | None, ids: IdSource) -> str:
    """A client's own ``x-request-id`` is echoed (128 characters at most); else ``ids()``: ``req_`` + 32
    hex digits from the transport's source."""
    return given[:128] if given else ids()


def processing_ms(started: float) -> str:
    """``openai-processing-ms``: time to the response head, as OpenAI measures it."""
    return str(int((time.perf_counter() - started) * 1000))


def too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"Request body too large: the limit is {limit} bytes.", code="request_too_large"
    )
