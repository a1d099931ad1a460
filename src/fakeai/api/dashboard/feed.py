"""``/metrics/stream``: the live feed's frames as server-sent events, one a second, shared by every viewer.

One producer task runs while anyone watches: it reads one frame a second (metrics/live.py) and hands the
same bytes to each subscriber's one-slot queue, replacing a frame a slow viewer has not taken yet, so a
viewer that stops reading holds one frame, never a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import msgspec

from fakeai.metrics.live import LiveFeed

PERIOD_S = 1.0


class Broadcast:
    def __init__(self, feed: LiveFeed, period: float = PERIOD_S) -> None:
        self._feed = feed
        self._period = period
        self._subscribers: set[asyncio.Queue[bytes]] = set()
        self._task: asyncio.Task[None] | None = None
        self._last: bytes | None = None

    @property
    def viewers(self) -> int:
        return len(self._subscribers)

    async def subscribe(self) -> AsyncIterator[bytes]:
        """SSE frames until the consumer stops iterating (the client went away)."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)
        self._subscribers.add(queue)
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        try:
            yield self._last or self._encode()  # a first frame at once: the page draws without waiting
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)
            if not self._subscribers and self._task is not None:
                self._task.cancel()
                self._task = None
                self._last = None  # the next viewer starts from a fresh frame

    def _encode(self) -> bytes:
        self._last = b"data: " + msgspec.json.encode(self._feed.frame()) + b"\n\n"
        return self._last

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period)
            frame = self._encode()
            for queue in self._subscribers:
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(frame)
