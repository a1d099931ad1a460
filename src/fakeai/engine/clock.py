"""Injected time. The engine never calls ``time`` or ``asyncio.sleep`` itself.

All times are seconds on a monotonic scale. ``LoopClock`` serves real requests; ``VirtualClock`` lets tests
(and fast-forward simulations) step time by hand, so engine tests never sleep.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Current time in seconds (monotonic)."""
        ...

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` once at time ``when`` (or as soon as possible if that has passed)."""
        ...


class LoopClock:
    """Wall-clock time on the running asyncio loop (``time.monotonic`` is the loop's own time base).

    ``time_scale`` runs the simulation faster (> 1) or slower (< 1) than wall time: engine time is wall
    time multiplied by it, so a simulated 100 ms TTFT takes 50 ms of wall time at scale 2.
    """

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale

    def now(self) -> float:
        return time.monotonic() * self.time_scale

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, when - self.now()) / self.time_scale, callback)


class _VirtualTimer:
    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """Time that moves only when ``advance`` is called; timers fire in order, at their own time."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._timers: list[tuple[float, int, _VirtualTimer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        timer = _VirtualTimer(max(when, self._now), callback)
        heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer due on the way at its own time."""
        end = self._now + seconds
        while self._timers and self._timers[0][0] <= end:
            when, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = when
            timer.callback()
        self._now = end

    def run_until_idle(self, limit: float = 3600.0) -> None:
        """Advance until no timer is pending (bounded by ``limit`` seconds of virtual time)."""
        deadline = self._now + limit
        while self._timers and self._now < deadline:
            pending = [t for t in self._timers if not t[2].cancelled]
            if not pending:
                self._timers.clear()
                break
            self.advance(max(0.0, min(t[0] for t in pending) - self._now))
