"""Graceful shutdown: on SIGTERM or SIGHUP, open requests end cleanly and new ones get a 503.

A signal starts the drain (``Drain.begin``). From then on every new request is refused with an
OpenAI-shaped 503 (the RSGI front and the ``Draining`` middleware check ``draining``); the requests
already running get ``FINISH_WITHIN_S`` to finish as they would, and whatever is still running then is
interrupted: a stream gets one in-band error event (the same shape as any mid-stream error) and a proper
end of body, a non-streaming request a 503 answer, and the engine work of both is freed. That leaves the
HTTP server the rest of its grace period (server/runner.py ``GRACEFUL_SHUTDOWN_S``) to flush and close.

The handlers chain to whatever the HTTP server installed before them (uvicorn's exit handler, or the
event loop's own signal dispatch that Granian's workers use), so the server still stops as it would.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from fakeai.errors import ServiceUnavailableError
from fakeai.server.responses import error_response

log = logging.getLogger("fakeai.server")

#: Seconds running requests may still finish on their own after the signal (the grace period is 3 s).
FINISH_WITHIN_S = 1.5
SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Interruptible(Protocol):
    def interrupt(self, error: Exception) -> None:
        """End now with ``error``: an in-band error event for a stream, the error answer otherwise."""
        ...


def shutting_down() -> ServiceUnavailableError:
    return ServiceUnavailableError(
        "The server is shutting down. Please retry your request.",
        code="server_shutting_down",
        headers={"connection": "close"},
    )


class Drain:
    """The app's shutdown state: whether it is draining, and the requests it would interrupt."""

    __slots__ = ("_open", "draining", "interrupted")

    def __init__(self) -> None:
        self.draining = False
        self.interrupted = False  # the finishing time is over: what starts now is interrupted at once
        self._open: set[Interruptible] = set()

    def track(self, work: Interruptible) -> None:
        self._open.add(work)
        if self.interrupted:  # admitted before the drain, but only now ready to run (a vocabulary load)
            work.interrupt(shutting_down())

    def untrack(self, work: Interruptible) -> None:
        self._open.discard(work)

    @property
    def open(self) -> int:
        """Requests running now (streams and not)."""
        return len(self._open)

    def begin(self, finish_within: float = FINISH_WITHIN_S) -> None:
        """Refuse new requests from now on; interrupt those still running after ``finish_within`` s."""
        if self.draining:
            return
        self.draining = True
        log.info("shutting down: %d requests running get %.1f s to finish", len(self._open), finish_within)
        asyncio.get_running_loop().call_later(finish_within, self.interrupt_all)

    def interrupt_all(self) -> None:
        self.interrupted = True
        for work in list(self._open):
            work.interrupt(shutting_down())


def install_signal_handlers(drain: Drain, loop: asyncio.AbstractEventLoop) -> None:
    """Start ``drain`` on SIGTERM and SIGHUP, then run the handler that was there before. Call it in the
    process that serves, after the HTTP server has installed its own handlers (and never in tests)."""
    for signum in SIGNALS:
        previous = signal.getsignal(signum)
        signal.signal(signum, _handler(drain, loop, previous))


def _handler(drain: Drain, loop: asyncio.AbstractEventLoop, previous: Any) -> Callable[[int, Any], None]:
    def on_signal(signum: int, frame: Any) -> None:
        loop.call_soon_threadsafe(drain.begin)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:  # nobody else handles it: end the process once drained
            loop.call_soon_threadsafe(loop.call_later, FINISH_WITHIN_S + 0.5, _default, signum)

    return on_signal


def _default(signum: int) -> None:
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


class Draining:
    """ASGI middleware: a 503 for every request once the app is draining (``Drain``)."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.drain.draining and scope["type"] == "http":
            await error_response(shutting_down())(scope, receive, send)
            return
        await self.app(scope, receive, send)
