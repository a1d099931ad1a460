"""The step loop of a batched latency model (``StepLatency``): vLLM's. Each step is planned at once
(decodes first, then prefill chunks within the token budget), timed by the model, and its tokens leave
together when the worker's timer marks its end; the next step is planned then.

A mixin of ``Worker`` (engine/engine.py), which owns the state it reads. Split from it by concept; the
methods are the worker's own, so the hot path costs what it did in one class.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from fakeai.engine.clock import Clock
from fakeai.engine.config import WorkerConfig
from fakeai.engine.latency import LatencyModel, StepLatency
from fakeai.engine.observer import EngineObserver
from fakeai.engine.scheduler import RUNNING, Scheduler, Sequence


class StepLoop:
    """``Worker``'s pacing under a batched latency model: plan a step, time it, emit at its end."""

    # The worker's, set in ``Worker.__init__``.
    index: int
    config: WorkerConfig
    latency: LatencyModel
    observer: EngineObserver
    scheduler: Scheduler
    clock: Clock
    _rng: random.Random
    _step: Step | None
    _arm: Callable[[float, Callable[[], None]], None]
    _disarm: Callable[[], None]
    _emit: Callable[[Sequence, int, float], None]
    _mark_busy: Callable[[float], None]

    def _start_step(self) -> None:
        """Plan one step and time it: decodes first, then prefill chunks within the token budget (vLLM
        V1's chunked prefill); or, without chunked prefill (vLLM V0), whole waiting prompts alone."""
        now = self.clock.now()
        sched = self.scheduler
        budget = self.config.max_num_batched_tokens or 2**62
        decodes: list[Sequence] = []
        prefills: list[tuple[Sequence, int]] = []
        if not self.config.chunked_prefill and sched.head() is not None and sched.has_room():
            # The running batch waits a step while the new prompts are computed: prefill first.
            self._admit(now, budget, prefills, whole=True)
        if not prefills:
            for seq in list(sched.running):
                if seq.status == RUNNING and seq.to_compute == 0:
                    sched.grow(seq)
                    if seq.status == RUNNING:
                        decodes.append(seq)
            decodes = [seq for seq in decodes if seq.status == RUNNING]  # growth may preempt earlier ones
            budget -= len(decodes)
            for seq in sched.running:
                if seq.to_compute and budget > 0:
                    chunk = min(seq.to_compute, budget)
                    prefills.append((seq, chunk))
                    budget -= chunk
            self._admit(now, budget, prefills, whole=False)
        self._mark_busy(now)
        if not decodes and not prefills:
            return  # idle until the next submit or abort
        kv_tokens = sum(seq.tokens for seq in sched.running)
        prefill_tokens = attention = 0
        for seq, chunk in prefills:
            prefill_tokens += chunk
            attention += chunk * (seq.tokens - seq.to_compute + chunk // 2)  # keys before each new token
        latency: StepLatency = self.latency  # type: ignore[assignment]
        duration = latency.step_time(prefill_tokens, len(decodes), kv_tokens, self._rng, attention)
        self._step = Step(now, decodes, prefills, prefill_tokens + len(decodes))
        self._arm(now + duration, self._end_step)

    def _admit(self, now: float, budget: int, prefills: list[tuple[Sequence, int]], whole: bool) -> None:
        """Admit queued sequences into this step while the budget lasts: each prompt in chunks, or only
        whole prompts (``whole``; the first is taken whatever its size, as V0 sizes its budget to fit)."""
        sched = self.scheduler
        while budget > 0 and (seq := sched.head()) is not None:
            if whole and prefills and seq.tokens > budget:
                break
            if sched.admit_next(now) is None:  # live first; a live head may preempt background work
                break
            chunk = seq.to_compute if whole else min(seq.to_compute, budget)
            prefills.append((seq, chunk))
            budget -= chunk

    def _end_step(self) -> None:
        self._disarm()
        step, self._step = self._step, None
        assert step is not None
        now = self.clock.now()
        for seq in step.decodes:
            if seq.status == RUNNING:
                self._emit(seq, 1, now)
        for seq, chunk in step.prefills:
            if seq.status != RUNNING:
                continue
            seq.to_compute -= chunk
            if seq.to_compute <= 0:
                seq.to_compute = 0
                self._emit(seq, 1, now)  # the last prefill chunk samples the next token
        self.observer.step(self.index, step.tokens, now - step.started)
        self._start_step()


@dataclass(slots=True)
class Step:
    """The step in flight: what it computes, and when it started."""

    started: float
    decodes: list[Sequence]
    prefills: list[tuple[Sequence, int]]
    tokens: int
