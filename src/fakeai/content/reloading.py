"""A file parsed once and again whenever it changes, checked at most every ``interval`` seconds.

The check is one ``stat`` (microseconds) on the event loop; the parse runs in a thread, so editing a large
rules or dataset file never stalls other requests. A file that stops parsing keeps its last good version
(and the error is logged); one that never parsed raises ``ValueError`` to the caller.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("fakeai")


class ReloadingFile(Generic[T]):
    def __init__(
        self,
        path: Path,
        parse: Callable[[Path], T],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._parse = parse
        self._interval = interval  # seconds
        self._clock = clock
        self._value: T | None = None
        self._signature: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self) -> T:
        now = self._clock()
        if self._value is not None and now - self._checked < self._interval:
            return self._value
        async with self._lock:  # one parse at a time; the others wait for its result
            if self._value is None or now - self._checked >= self._interval:
                await self._refresh()
                self._checked = self._clock()
        assert self._value is not None
        return self._value

    async def _refresh(self) -> None:
        try:
            stat = os.stat(self.path)
            signature = (stat.st_mtime_ns, stat.st_size)
            if signature == self._signature and self._value is not None:
                return
            value = await asyncio.to_thread(self._parse, self.path)
        except (OSError, ValueError) as exc:
            if self._value is None:
                raise ValueError(f"cannot read {self.path}: {exc}") from None
            log.warning("keeping the previous version of %s: %s", self.path, exc)
            return
        self._value, self._signature = value, signature
        log.info("loaded %s", self.path)
