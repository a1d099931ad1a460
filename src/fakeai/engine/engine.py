"""One simulated worker: paces the tokens of every running sequence.

The worker keeps a heap of sequences ordered by when their next token is due and exactly one timer, set for
the earliest due time. When it fires, a single pass emits every token that is due, for all sequences, and
re-arms the timer. There is never a task or a timer per token per stream.

Sequences are consumed through ``RequestStream.take()``; a ``Wakeup`` shared by the sequences of one API
request (``n`` choices) tells the consumer that at least one of them has news.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random

from fakeai.engine.clock import Clock, TimerHandle
from fakeai.engine.latency import LatencyModel
from fakeai.engine.types import EngineRequest


class Wakeup:
    """A level-triggered signal: ``set`` before or during ``wait`` is never lost."""

    __slots__ = ("_future", "_pending")

    def __init__(self) -> None:
        self._pending = False
        self._future: asyncio.Future[None] | None = None

    def set(self) -> None:
        self._pending = True
        future = self._future
        if future is not None and not future.done():
            future.set_result(None)

    async def wait(self) -> None:
        if not self._pending:
            self._future = asyncio.get_running_loop().create_future()
            try:
                await self._future
            finally:
                self._future = None
        self._pending = False


class RequestStream:
    """The engine's view of one sequence, with every timestamp the engine stamped (seconds, engine clock)."""

    __slots__ = (
        "_next_due",
        "_taken",
        "aborted",
        "arrival",
        "finish_time",
        "first_token_time",
        "generated",
        "request",
        "wakeup",
    )

    def __init__(self, request: EngineRequest, wakeup: Wakeup, arrival: float) -> None:
        self.request = request
        self.wakeup = wakeup
        self.arrival = arrival
        self.first_token_time: float | None = None
        self.finish_time: float | None = None
        self.generated = 0  # tokens emitted so far
        self.aborted = False
        self._taken = 0
        self._next_due = arrival

    @property
    def finished(self) -> bool:
        """True once every token was emitted (or the request was aborted)."""
        return self.finish_time is not None

    def take(self) -> int:
        """How many tokens were emitted since the last call (never blocks)."""
        new = self.generated - self._taken
        self._taken = self.generated
        return new


class Engine:
    """A single simulated worker on one clock. ``submit`` and ``abort`` must run on the clock's loop."""

    def __init__(self, clock: Clock, latency: LatencyModel, seed: int | None = None) -> None:
        self.clock = clock
        self.latency = latency
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, RequestStream]] = []
        self._seq = itertools.count()
        self._timer: TimerHandle | None = None
        self._timer_due = float("inf")
        self.running: set[RequestStream] = set()

    def submit(self, request: EngineRequest, wakeup: Wakeup | None = None) -> RequestStream:
        """Start a sequence now; its first token is due after the latency model's TTFT."""
        now = self.clock.now()
        stream = RequestStream(request, wakeup or Wakeup(), now)
        self.running.add(stream)
        if request.output_tokens <= 0:
            self._finish(stream, now)
            return stream
        stream._next_due = now + self.latency.first_token_delay(request, self._rng)
        heapq.heappush(self._heap, (stream._next_due, next(self._seq), stream))
        self._arm(stream._next_due)
        return stream

    def abort(self, stream: RequestStream) -> None:
        """Stop a sequence (client gone). Its heap entry is dropped lazily when it comes due."""
        if stream.finished:
            return
        stream.aborted = True
        self._finish(stream, self.clock.now())

    def _finish(self, stream: RequestStream, now: float) -> None:
        stream.finish_time = now
        self.running.discard(stream)
        stream.wakeup.set()

    def _arm(self, due: float) -> None:
        if due >= self._timer_due:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        self._timer = self.clock.call_at(due, self._step)

    def _step(self) -> None:
        """Emit every token due by now, for every sequence, then re-arm for the next due time."""
        self._timer = None
        self._timer_due = float("inf")
        now = self.clock.now()
        heap = self._heap
        latency = self.latency
        rng = self._rng
        while heap and heap[0][0] <= now:
            _, _, stream = heapq.heappop(heap)
            if stream.finished:
                continue
            total = stream.request.output_tokens
            if stream.first_token_time is None:
                stream.first_token_time = now
            # Catch up on every token whose due time has passed, so a late timer never slows the schedule.
            due = stream._next_due
            while due <= now and stream.generated < total:
                stream.generated += 1
                due += latency.inter_token_delay(stream.request, rng)
            stream._next_due = due
            if stream.generated >= total:
                self._finish(stream, now)
            else:
                stream.wakeup.set()
                heapq.heappush(heap, (due, next(self._seq), stream))
        if heap:
            self._arm(heap[0][0])
