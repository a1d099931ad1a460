"""The media families' render pool: CPU-heavy work (pictures, speech, decoding uploads) off the event loop.

A fixed number of threads (``media_threads``) render; at most ``media_queue`` renders wait for one, and a
request beyond that gets 429 at once instead of queueing without bound. numpy, Pillow and FFmpeg release
the GIL in their inner loops, so a render on a thread leaves the loop free to pace chat tokens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from fakeai.errors import RateLimitError

T = TypeVar("T")


class RenderPool:
    """Runs blocking callables on ``threads`` worker threads; ``queue`` bounds the waiting ones."""

    def __init__(self, threads: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fakeai-media")
        self._limit = threads + queue
        self._pending = 0
        #: Seconds spent rendering (thread time, summed) and renders finished: docs/media.md's cost figures.
        self.busy_s = 0.0
        self.renders = 0

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on a media thread; RateLimitError (429) when the pool and its queue are full."""
        if self._pending >= self._limit:
            raise RateLimitError(
                "Too many media renders are in progress. Please retry shortly.",
                code="rate_limit_exceeded",
                headers={"retry-after": "1"},
            )
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._timed, fn, args)
        finally:
            self._pending -= 1

    def _timed(self, fn: Callable[..., T], args: tuple[object, ...]) -> T:
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.busy_s += time.perf_counter() - started
            self.renders += 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class Lazy(Generic[T]):
    """A value built on first use, on the render pool: the media services import numpy, Pillow and FFmpeg
    (~1 s under load), which must neither slow the server's start nor stall the event loop."""

    def __init__(self, pool: RenderPool, build: Callable[[], T]) -> None:
        self._pool = pool
        self._build = build
        self._value: T | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> T:
        if self._value is None:
            async with self._lock:
                if self._value is None:
                    self._value = await self._pool.run(self._build)
        return self._value
