"""The default server's front: Granian's native RSGI interface.

The hot endpoints (``app.state.endpoints``: chat, completions, responses, messages, embeddings and the
other ``Endpoint`` families) are served here directly, with no ASGI message dicts, middleware chain or
per-stream task group in between, and streams send themselves from the engine's wakeup (api/serving.py
``PushedStream``): 1.35-1.55x the requests/s of the same app on Granian's ASGI interface (see
docs/performance.md). Every other path goes to the same Starlette app through the ASGI bridge
(server/bridge.py), so one app object serves both and behaves the same.

What the ASGI middleware does for Starlette routes (server/middleware.py, server/auth.py), ``_serve`` does
here: the OpenAI headers, the body limit, OpenAI-shaped errors, the key and the rate limit of endpoints
that do not count themselves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from granian.asgi import LifespanProtocol
from granian.rsgi import HTTPProtocol, Scope
from starlette.applications import Starlette

from fakeai.errors import FakeAIError, ServerError
from fakeai.faults.inject import RESET_PROMISE, ResetConnection
from fakeai.faults.journal import Journal
from fakeai.security.cors import Cors
from fakeai.security.guard import Guard, bearer
from fakeai.security.identity import ANONYMOUS
from fakeai.server.bridge import asgi_over_rsgi
from fakeai.server.exchange import (
    JSON_CONTENT_TYPE,
    OPENAI_VERSION,
    SSE_CONTENT_TYPE,
    SSE_HEADERS,
    Answer,
    Endpoint,
    IdSource,
    Pushable,
    processing_ms,
    request_id_for,
    too_large,
)
from fakeai.server.flow import Probe, SendQueue
from fakeai.server.shutdown import Drain, install_signal_handlers, shutting_down

log = logging.getLogger("fakeai.server")

_SSE_HEADERS = [("content-type", SSE_CONTENT_TYPE), *SSE_HEADERS.items()]


class _RSGIExchange:
    __slots__ = ("_headers", "_limit", "_proto", "identity", "path", "request_id")

    def __init__(self, headers: Any, proto: HTTPProtocol, limit: int, path: str, ids: IdSource) -> None:
        self._headers = headers
        self._proto = proto
        self._limit = limit
        self.request_id = request_id_for(headers.get("x-request-id"), ids)
        self.identity = ANONYMOUS  # unless API keys are configured: then the guard's (see _serve)
        self.path = path

    def header(self, name: str) -> str | None:
        return self._headers.get(name)

    async def body(self) -> bytes:
        limit = self._limit
        length = self._headers.get("content-length")
        if length is not None and length.isdigit():
            if int(length) > limit:
                raise too_large(limit)
            return await self._proto()
        # No length given (chunked): count while reading, and stop at the limit.
        chunks: list[bytes] = []
        received = 0
        async for chunk in self._proto:
            received += len(chunk)
            if received > limit:
                raise too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def disconnected(self) -> Any:
        return self._proto.client_disconnect()


def defer_granian_threads() -> list[int]:
    """When this worker may run on one CPU only (``taskset``, a cpuset), put Granian's own threads under
    ``SCHED_BATCH``, so that they run when the event loop yields instead of preempting it on every wake-up.

    Each send wakes Granian's writer; sharing the loop's core, it preempted the loop at nearly every send,
    ran for one chunk and slept again. Under ``SCHED_BATCH`` (no wake-up preemption) it writes a whole
    pass's chunks at once: 57,000 -> 12,000 context switches per 90,000 streamed tokens, and 10-14 % less
    CPU per token at 600-1,000 streams (docs/performance.md). With several CPUs the writer runs on another
    one and nothing is changed. Threads that Python started (ours) are left as they are. Returns the
    threads changed."""
    if not hasattr(os, "sched_setscheduler") or len(os.sched_getaffinity(0)) != 1:
        return []
    ours = {thread.native_id for thread in threading.enumerate()}
    changed = []
    for name in os.listdir("/proc/self/task"):
        tid = int(name)
        if tid in ours:
            continue
        try:
            os.sched_setscheduler(tid, os.SCHED_BATCH, os.sched_param(0))
            changed.append(tid)
        except OSError as exc:  # gone meanwhile, or not allowed here: it only costs speed
            log.debug("thread %d keeps its scheduling policy: %s", tid, exc)
    return changed


class RSGIFront:
    """An RSGI application around ``create_app``'s Starlette app (see the module docstring)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        state = app.state.fakeai
        self.limit: int = state.settings.max_request_bytes
        self.guard: Guard | None = state.guard  # None: no keys, no check
        self.cors: Cors | None = Cors.of(state.settings.cors_origins)
        self.journal: Journal = state.journal
        self.hot: dict[tuple[str, str], Endpoint] = {
            (endpoint.method, endpoint.path): endpoint for endpoint in app.state.endpoints
        }
        self._lifespan = LifespanProtocol(app)
        self._ids = IdSource(32, "req_")
        self.drain: Drain = app.state.fakeai.drain
        self.probe = Probe()  # backpressure for pushed streams (server/flow.py)

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Granian calls this before its loop runs: run the app's lifespan startup to completion here.
        loop.run_until_complete(self._lifespan.startup())
        if self._lifespan.interrupt:
            raise RuntimeError("the application's startup failed") from self._lifespan.exc
        # After Granian's own handlers (they stop the worker; ours first end the open streams cleanly).
        install_signal_handlers(self.drain, loop)
        loop.call_soon(defer_granian_threads)  # its threads exist once its loop runs

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self._lifespan.shutdown())
        self.probe.close()

    async def __rsgi__(self, scope: Scope, proto: Any) -> None:
        if self.drain.draining and scope.proto == "http":
            error = Answer.error(shutting_down())
            headers = [*error.headers.items(), ("content-type", JSON_CONTENT_TYPE)] if error.headers else []
            proto.response_bytes(error.status, headers, error.body)
            return
        if scope.proto == "http":
            endpoint = self.hot.get((scope.method, scope.path))
            if endpoint is not None:
                await self._serve(endpoint, scope, proto)
                return
        await asgi_over_rsgi(self.app, scope, proto, self._lifespan.state)

    async def _serve(self, endpoint: Endpoint, scope: Scope, proto: HTTPProtocol) -> None:
        """Authenticate, run the handler and send its reply. The handler journals its own outcome
        (api/serving.py); a refused key or rate limit is journaled here."""
        started = time.perf_counter()
        headers = scope.headers
        exchange = _RSGIExchange(headers, proto, self.limit, scope.path, self._ids)
        guard = self.guard
        reset = False
        limits: dict[str, str] | None = None
        try:
            if guard is not None:
                limits = await self._authenticate(guard, scope, exchange, started, endpoint.limited)
            reply = await endpoint.handler(exchange)
        except FakeAIError as exc:
            reply = Answer.error(exc)
        except ResetConnection:
            reply, reset = Answer(b""), True
        except Exception:
            log.exception("unhandled error on %s %s", scope.method, scope.path)
            reply = Answer.error(ServerError("The server had an error while processing your request."))
        common = [
            ("x-request-id", exchange.request_id),
            ("openai-version", OPENAI_VERSION),
            ("openai-processing-ms", processing_ms(started)),
        ]
        if self.cors is not None:
            common += self.cors.headers(headers.get("origin"))
        if limits:  # the transport's count (an endpoint that does not count itself), as server/auth.py adds
            common += limits.items()
        if reset:  # a fault's dropped connection: a head promising a body that never comes
            head = [("content-type", JSON_CONTENT_TYPE), ("content-length", str(RESET_PROMISE)), *common]
            await proto.response_stream(200, head).send_bytes(b"{")  # a byte: Granian then sends the head
            return
        if isinstance(reply, Answer):
            answer_headers = [*reply.headers.items(), *common] if reply.headers else common
            if reply.body:
                answer_headers.append(("content-type", JSON_CONTENT_TYPE))
            proto.response_bytes(reply.status, answer_headers, reply.body)
            return
        if reply.headers:
            common += reply.headers.items()
        if reply.push is not None:
            backlog = self.probe.queue(scope.server, scope.client)
            await _push(proto, reply.push, [*_SSE_HEADERS, *common], backlog)
        else:
            await _stream(proto, reply.events, [*_SSE_HEADERS, *common])

    async def _authenticate(
        self, guard: Guard, scope: Scope, exchange: _RSGIExchange, started: float, limited: bool
    ) -> dict[str, str] | None:
        """The caller on ``exchange``; unless the endpoint is ``limited`` (it counts itself), one request
        taken from the key's model-less bucket: its rate-limit headers."""
        headers = scope.headers
        key = bearer(headers.get("authorization"), headers.get("x-api-key") or headers.get("api-key"))
        try:
            exchange.identity = identity = await guard.authenticate(key, scope.client.rpartition(":")[0])
            return None if limited else guard.limiter.admit(identity, "", 0)
        except FakeAIError as exc:
            if self.journal.enabled:
                took = time.perf_counter() - started
                self.journal.add(
                    exchange.request_id, scope.method, scope.path, None, exc.status, None, took, ""
                )
            raise


async def _push(
    proto: HTTPProtocol, push: Pushable, headers: list[tuple[str, str]], backlog: SendQueue | None
) -> None:
    """Granian's stream send is synchronous (it queues the bytes for its writer, without bound), so the
    stream sends itself from the engine's wakeup, pausing while the kernel says its client is behind
    (server/flow.py); this task only waits for the end, or for the client to go."""
    transport = proto.response_stream(200, headers)
    done = push.start(transport.send_bytes, backlog)

    async def watch() -> None:
        await proto.client_disconnect()
        push.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        await done
    finally:
        watcher.cancel()
        push.cancel()  # a no-op once the stream has ended; else (the server is stopping) free its work


async def _stream(proto: HTTPProtocol, events: AsyncIterator[bytes], headers: list[tuple[str, str]]) -> None:
    """Send the frames as they come. A client that goes away is noticed by a failed send or, while the
    stream waits (queued, a long TTFT), by a watcher that cancels it; either way ``events`` is closed, so
    its cleanup frees the engine work and counts a 499."""
    transport = proto.response_stream(200, headers)
    task = asyncio.current_task()
    assert task is not None

    async def watch() -> None:
        await proto.client_disconnect()
        task.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        async for frame in events:
            await transport.send_bytes(frame)
    except asyncio.CancelledError:
        if not watcher.done():  # not ours: the server is shutting down
            raise
    except Exception:  # Granian's ProtocolClosed and friends: the client went away mid-send
        pass
    finally:
        watcher.cancel()
        await events.aclose()
