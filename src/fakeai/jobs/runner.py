"""``Jobs``: the app's background tasks (batches, fine-tuning, vector store indexing).

A job is a coroutine that drives one stored object to a final state, writing its progress to the store
as it goes, so that running it again after a crash continues where it stopped. ``start`` never runs two
jobs for one key; ``resume`` (at start-up) calls every family's resumer, which scans the store for its
unfinished objects and starts their jobs again; ``stop`` (at shutdown) cancels them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("fakeai.jobs")


class Jobs:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._resumers: list[Callable[[], Awaitable[None]]] = []

    def start(self, key: str, job: Callable[[], Coroutine[Any, Any, Any]]) -> bool:
        """Run ``job()`` as a task unless one runs for ``key``; whether it was started."""
        if self.running(key):
            return False
        task = asyncio.get_running_loop().create_task(job(), name=f"fakeai-job-{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._done(key, done))
        return True

    def running(self, key: str) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    def _done(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s failed", key, exc_info=task.exception())

    async def wait(self, key: str) -> None:
        """Until the job for ``key`` (if any) has ended (tests, shutdown)."""
        task = self._tasks.get(key)
        if task is not None:
            await asyncio.wait([task])

    def on_resume(self, resumer: Callable[[], Awaitable[None]]) -> None:
        """Register a family's resumer, run by ``resume`` at start-up."""
        self._resumers.append(resumer)

    async def resume(self) -> None:
        for resumer in self._resumers:
            try:
                await resumer()
            except Exception:
                log.exception("resuming jobs failed")

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
