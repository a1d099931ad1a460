"""The step loop of a per-sequence latency model (``SequenceLatency``): each sequence has its own due time,
and one pass emits every token due by now, for every sequence, on the worker's one timer.

A mixin of ``Worker`` (engine/engine.py), which owns the state it reads: the scheduler, the KV cache, the
heap of due sequences and the timer. Split from it by concept; the methods are the worker's own, so the
hot path costs what it did in one class.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable

from fakeai.engine.clock import Clock, TimerHandle
from fakeai.engine.kv_cache import KVCache
from fakeai.engine.latency import LatencyModel, SequenceLatency
from fakeai.engine.observer import EngineObserver
from fakeai.engine.scheduler import RUNNING, Scheduler, Sequence


class SequencePacing:
    """``Worker``'s pacing under a per-sequence latency model: admission, the pass and the catch-up."""

    # The worker's, set in ``Worker.__init__``.
    index: int
    latency: LatencyModel
    observer: EngineObserver
    kv: KVCache
    scheduler: Scheduler
    clock: Clock
    _rng: random.Random
    _itl: float | None
    _grid: float
    _heap: list[tuple[float, int, int, Sequence]]
    _tie: itertools.count[int]
    _pacing: bool
    _timer: TimerHandle | None
    _arm: Callable[[float, Callable[[], None]], None]
    _disarm: Callable[[], None]
    _emit: Callable[[Sequence, int, float], None]
    _mark_busy: Callable[[float], None]

    def _admit_sequences(self, now: float) -> None:
        sched = self.scheduler
        latency: SequenceLatency = self.latency  # type: ignore[assignment]
        while (seq := sched.admit_next(now)) is not None:
            # The prefill delay counts from the request's arrival, as its TTFT does: the server's own
            # work before the engine saw it (reading the body, tokenizing) is inside the configured TTFT,
            # not added to it. Time spent waiting in the queue still adds.
            head_start = seq.queued - seq.arrival
            seq.due = now + max(0.0, latency.prefill_delay(seq.to_compute, self._rng) - head_start)
            heapq.heappush(self._heap, (seq.due, next(self._tie), seq.epoch, seq))
        self._mark_busy(now)
        heap = self._heap
        if heap:
            if heap[0][0] <= now and not self._pacing:
                # Due at once (a zero TTFT): emit now rather than on a timer at this same instant, which
                # would cost a timer and a loop turn per request and stamp the same time a little later.
                if self._timer is not None:
                    self._timer.cancel()
                self._pace()
            else:
                self._arm(heap[0][0], self._pace)

    def _pace(self) -> None:
        """Emit every token due by now, for every sequence, then re-arm for the next due time."""
        self._pacing = True
        try:
            self._pace_due()
        finally:
            self._pacing = False

    def _pace_due(self) -> None:
        self._disarm()
        now = self.clock.now()
        heap = self._heap
        sched = self.scheduler
        block_size = self.kv.block_size
        itl = self._itl
        emitted = 0
        preemptions = sched.preemptions
        horizon = now + self._grid * 1e-6  # what ``_arm`` rounded down onto this grid point is due too
        # Later tokens (not a sequence's first or last) are observed in runs of equal (model, count, gap):
        # the sequences of one pass mostly share them, so the metrics take one call per run, not per token.
        run_model, run_count, run_gap, run_n = "", 0, 0.0, 0
        while heap and heap[0][0] <= horizon:
            _, _, epoch, seq = heapq.heappop(heap)
            if seq.status != RUNNING or epoch != seq.epoch:
                continue  # finished, aborted or preempted since this entry was pushed
            # Catch up on every token whose due time has passed, so a late timer never slows the schedule.
            remaining = seq.request.output_tokens - seq.generated
            if itl is None:
                count, due = self._catch_up(seq, horizon, remaining)
            else:
                # A constant ITL draws nothing: count the due tokens (the first is due, as it was popped),
                # then make room for all of them at once. Growing by ``count`` tokens preempts exactly what
                # growing one token at a time would have.
                due = seq.due
                if itl == 0.0:
                    count = remaining
                else:
                    count = 1
                    due += itl
                    while due <= horizon and count < remaining:
                        count += 1
                        due += itl
                if len(seq.blocks) * block_size < seq.prompt_tokens + seq.generated + count:
                    count = sched.grow(seq, count)
            seq.to_compute = 0
            if count:
                emitted += count
                if seq.first_token_time is None or seq.generated + count >= seq.request.output_tokens:
                    self._emit(seq, count, now)  # the first token's stamps, or the finish
                else:  # ``_emit`` for a later token, with its observation joining the run
                    gap = now - seq.last_token_time
                    model = seq.request.model
                    if gap == run_gap and count == run_count and model == run_model:
                        run_n += 1
                    else:
                        if run_n:
                            self.observer.tokens(self.index, run_model, run_count, run_gap, run_n)
                        run_model, run_count, run_gap, run_n = model, count, gap, 1
                    seq.generated += count
                    seq.last_token_time = now
                    seq.wakeup.set()
            if seq.status != RUNNING:
                continue  # finished, or preempted while growing
            seq.due = due
            heapq.heappush(heap, (due, next(self._tie), seq.epoch, seq))
        if run_n:
            self.observer.tokens(self.index, run_model, run_count, run_gap, run_n)
        if emitted:
            self.observer.step(self.index, emitted, 0.0)
        if sched.preemptions != preemptions or sched.waiting or sched.background:  # blocks freed, or waits
            self._admit_sequences(now)
        elif heap:
            self._arm(heap[0][0], self._pace)

    def _catch_up(self, seq: Sequence, until: float, remaining: int) -> tuple[int, float]:
        """The tokens of ``seq`` due by ``until`` when each ITL is sampled: one draw and one KV check per
        token, in the order that keeps the RNG's draws (and so every later delay) the same however late the
        timer is."""
        latency: SequenceLatency = self.latency  # type: ignore[assignment]
        due = seq.due
        count = 0
        while due <= until and count < remaining:
            if len(seq.blocks) * self.kv.block_size < seq.tokens + count + 1:
                self.scheduler.grow(seq, count + 1)
                if seq.status != RUNNING:
                    break  # preempted: the tokens so far still leave
            count += 1
            due += latency.inter_token_delay(self._rng)
        return count, due
