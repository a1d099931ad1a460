"""Background responses (``background: true``): answered at once as ``queued``, then run on the engine by
a task the app owns, with no client attached. Every event is kept as it goes out, so a client can poll
the stored object, stream from any ``sequence_number`` (``GET ...?stream=true&starting_after=N``) while
it runs or after it ended, or cancel it.

While running, the events live in memory (one ``Background`` per running response); at the end the
final object and the event frames (a blob) go to the store, and the in-memory run is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fakeai.api.generation import step_events
from fakeai.api.responses.records import Records, events_key
from fakeai.api.responses.service import ResponseGeneration, _plain
from fakeai.jobs import Jobs

log = logging.getLogger("fakeai.responses")


def split_frames(chunk: bytes) -> list[bytes]:
    """One SSE frame per event (a frame's JSON never holds a raw newline, so blank lines separate them)."""
    return [frame + b"\n\n" for frame in chunk.split(b"\n\n") if frame]


class Background:
    def __init__(self, generation: ResponseGeneration, records: Records, jobs: Jobs) -> None:
        self.generation = generation
        self.jobs = jobs
        self.records = records
        self.frames = frames = generation.frames()
        frames.finished = None  # this job stores the end itself (also when cancelled or failed)
        self.events: list[bytes] = []
        self.status = "queued"
        self._news = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.ended: Callable[[], object] | None = None  # called once the end is stored
        self.cancelling = False

    @property
    def id(self) -> str:
        return self.generation.id

    @property
    def done(self) -> bool:
        return self.status not in ("queued", "in_progress")

    def snapshot(self) -> dict[str, Any]:
        """The response now: queued, in progress with the items done so far, or its final object."""
        return _plain(self.generation.snapshot(self.status, list(self.frames.items)))

    async def start(self) -> dict[str, Any]:
        """Store the queued response and start its task; returns the queued object."""
        queued = self.snapshot()
        await self.records.save(queued, self.generation.given)
        self._publish(self.frames.event("response.created", response=queued))
        self._publish(self.frames.event("response.queued", response=queued))
        self.frames.announced = True
        self.jobs.start(f"response:{self.id}", self._drive)  # the app's jobs: cancelled at shutdown
        return queued

    def _publish(self, chunk: bytes) -> None:
        if chunk:
            self.events += split_frames(chunk)
            news, self._news = self._news, asyncio.Event()
            news.set()

    async def _drive(self) -> None:
        self.task = asyncio.current_task()
        generation, frames = self.generation, self.frames
        try:
            async for chunk in step_events(generation.run, frames):
                self.status = "in_progress"  # the first chunk starts with response.in_progress
                self._publish(chunk)
            self.status = frames.status
        except asyncio.CancelledError:
            if not self.cancelling:  # the app is stopping: the record stays running, failed at next start
                generation.run.abort()
                raise
            self.status = "cancelled"
        except Exception as exc:
            frame = generation.error_frame(exc)[0]
            self.status = "failed"
            self._publish(frame)
        finally:
            generation.run.abort()
            self._news.set()
        await self._store()
        if self.ended is not None:
            self.ended()

    async def _store(self) -> None:
        final = self.snapshot()
        try:
            await self.records.update(final)
            await self.records.store.put_blob(events_key(self.id), b"".join(self.events))
            await self.generation.append_turn(final)
        except Exception:  # a full store: the object stays as last stored
            log.warning("background response %s: final state not stored", self.id, exc_info=True)

    def cancel(self) -> None:
        """The client's cancel (``POST .../cancel`` or a delete)."""
        if self.task is not None and not self.done:
            self.cancelling = True
            self.task.cancel()

    async def stream(self, after: int) -> AsyncIterator[bytes]:
        """The events after sequence number ``after``, then the live ones until the response ends."""
        index = after + 1
        while True:
            news = self._news
            while index < len(self.events):
                yield self.events[index]
                index += 1
            if self.done:  # a terminal status is set after the last event
                return
            await news.wait()


async def replay(records: Records, response_id: str, after: int) -> AsyncIterator[bytes]:
    """The stored events of a finished background response after sequence number ``after``."""
    blob = await records.store.get_blob(events_key(response_id))
    for frame in split_frames(blob or b"")[after + 1 :]:
        yield frame
