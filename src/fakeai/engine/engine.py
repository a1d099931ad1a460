"""One simulated worker (a vLLM engine / data-parallel rank): the step loop that paces every sequence.

There is one timer per worker, never one per token or per stream. With a per-sequence latency model the
timer fires at the earliest due sequence and one pass emits every token that is due, for every sequence
(catching up if the timer was late). With a batched model the timer marks the end of the current step:
the step's tokens are emitted together and the next step is planned at once.

Every timestamp (arrival, admission, first token, each token, finish) is stamped here on the injected
clock; metrics and what the client sees come from the same stamps.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass

from fakeai.engine.clock import Clock, TimerHandle
from fakeai.engine.config import WorkerConfig, timer_grid
from fakeai.engine.kv_cache import KVCache
from fakeai.engine.latency import LatencyModel, SequenceLatency, StepLatency
from fakeai.engine.observer import EngineObserver, FinishedRequest, GpuSpec, WorkerSnapshot
from fakeai.engine.scheduler import ARRIVING, RUNNING, WAITING, Scheduler, Sequence
from fakeai.engine.types import EngineOverloaded, ExceedsKVCapacity


class Worker:
    """Schedules and paces the sequences of one simulated engine. All methods run on the clock's loop."""

    def __init__(
        self,
        index: int,
        clock: Clock,
        latency: LatencyModel,
        config: WorkerConfig,
        gpu: GpuSpec,
        observer: EngineObserver,
        seed: int | None = None,
    ) -> None:
        self.index = index
        self.clock = clock
        self.latency = latency
        self.config = config
        self.gpu = gpu
        self.observer = observer
        self.kv = KVCache(config.num_gpu_blocks, config.block_size)
        self.scheduler = Scheduler(self.kv, config.max_num_seqs, config.max_waiting)
        self._rng = random.Random(seed)
        self._itl = None if latency.batched else latency.constant_itl()  # None: sampled per token
        self._instant = not latency.batched and latency.instant()
        self._grid = timer_grid(latency, config.timer_grid)
        # A batched model's per-request server work before the engine sees the request (seconds).
        self._admission_delay = latency.admission_delay if latency.batched else 0.0
        self._timer: TimerHandle | None = None
        self._timer_due = float("inf")
        self._heap: list[tuple[float, int, int, Sequence]] = []  # (due, tie, epoch, seq): per-sequence
        self._tie = itertools.count()
        self._step: _Step | None = None  # the step in flight: batched models
        self._pacing = False  # inside ``_pace``: admissions it triggers arm the timer, never recurse
        self._busy_seconds = 0.0
        self._busy_since: float | None = None
        self.pending_prefill = 0  # prompt tokens routed here and not yet computed (routers read it)

    def set_latency(self, latency: LatencyModel) -> None:
        """Use another latency model from now on (the control API): sequences already due keep their
        due times; every later token is paced by the new model."""
        self.latency = latency
        self._itl = None if latency.batched else latency.constant_itl()
        self._instant = not latency.batched and latency.instant()
        self._grid = timer_grid(latency, self.config.timer_grid)

    # --- the seam -------------------------------------------------------------------------------------

    def check(self, tokens: int, count: int) -> None:
        """Raise if ``count`` new sequences of up to ``tokens`` tokens each cannot be accepted now."""
        capacity = self.kv.num_blocks * self.kv.block_size
        if tokens + 1 > capacity:
            raise ExceedsKVCapacity(tokens, capacity)
        waiting = len(self.scheduler.waiting)
        if waiting + count > self.config.max_waiting:
            raise EngineOverloaded(waiting, self.config.max_waiting, retry_after=1.0)

    def add(self, seq: Sequence, overlap_tokens: int) -> None:
        """Queue a sequence (``check`` first); ``overlap_tokens`` is the routing-time cache estimate."""
        seq.worker = self.index
        if self._instant and seq.request.output_tokens > 0 and self._run_at_once(seq):
            return
        seq.pending_prefill = max(0, seq.request.prompt_tokens - overlap_tokens)
        self.pending_prefill += seq.pending_prefill
        if seq.request.output_tokens <= 0:
            seq.status = ARRIVING  # never queued: nothing to generate
            self._finish(seq, self.clock.now())
            return
        if self._admission_delay > 0.0:
            seq.status = ARRIVING
            self.clock.call_at(self.clock.now() + self._admission_delay, lambda: self._enqueue(seq))
        else:
            self._enqueue(seq)

    def _run_at_once(self, seq: Sequence) -> bool:
        """With every delay zero and the worker idle, what queueing, admission, the pass and the finish
        would do at this instant (the same blocks, stamps and observations, in the same order), in a few
        calls instead of a hundred: the non-streaming load test's path. False, changing nothing, when the
        general path must decide (work in the engine, or no room for the whole sequence)."""
        sched = self.scheduler
        if sched.running or sched.waiting or sched.background or self._pacing:
            return False
        output = seq.request.output_tokens
        prompt = seq.prompt_tokens
        # The prompt's blocks and then its output's, as admission and growing would take them.
        allocated = self.kv.allocate(seq.hashes, prompt, output)
        if allocated is None:
            return False
        now = self.clock.now()
        seq.blocks, cached = allocated
        sched.prefix_queries += prompt
        sched.prefix_hits += cached
        seq.cached_tokens = cached
        seq.queued = seq.scheduled = now
        seq.status = ARRIVING  # in no queue or batch: ``_finish`` only frees its blocks
        self._emit(seq, output, now)  # every token at once, then the finish, as the pass would
        self.observer.step(self.index, output, 0.0)
        return True

    def _enqueue(self, seq: Sequence) -> None:
        if seq.finished:
            return  # aborted while the server was still preparing it
        seq.status = WAITING
        seq.queued = self.clock.now()
        self.scheduler.queue(seq)
        self._schedule()

    def abort(self, seq: Sequence) -> None:
        """Stop a sequence (client gone), returning its blocks at once."""
        if seq.finished:
            return
        seq.aborted = True
        self._finish(seq, self.clock.now())
        self._schedule()

    def snapshot(self) -> WorkerSnapshot:
        now = self.clock.now()
        sched = self.scheduler
        running: dict[str, int] = {}
        for seq in sched.running:
            running[seq.request.model] = running.get(seq.request.model, 0) + 1
        waiting: dict[str, int] = {}
        for seq in (*sched.waiting, *sched.background) if sched.background else sched.waiting:
            waiting[seq.request.model] = waiting.get(seq.request.model, 0) + 1
        busy = self._busy_seconds + (now - self._busy_since if self._busy_since is not None else 0.0)
        return WorkerSnapshot(
            index=self.index,
            running=running,
            waiting=waiting,
            block_size=self.kv.block_size,
            num_gpu_blocks=self.kv.num_blocks,
            blocks_in_use=self.kv.blocks_in_use,
            prefix_cache_queries=sched.prefix_queries,
            prefix_cache_hits=sched.prefix_hits,
            preemptions=sched.preemptions,
            active_prefill_tokens=self.pending_prefill,
            active_decode_blocks=self.kv.blocks_in_use,
            busy_seconds=busy,
            max_num_seqs=self.config.max_num_seqs,
            max_num_batched_tokens=self.config.max_num_batched_tokens if self.latency.batched else None,
            max_model_len=self.config.max_model_len,
            gpu=self.gpu,
        )

    # --- shared bookkeeping ---------------------------------------------------------------------------

    def _emit(self, seq: Sequence, count: int, now: float) -> None:
        """``count`` tokens of ``seq`` leave now."""
        observer = self.observer
        model = seq.request.model
        if seq.first_token_time is None:
            seq.first_token_time = now
            self.pending_prefill -= seq.pending_prefill
            seq.pending_prefill = 0
            ttft = now - seq.arrival
            if seq.request.prefill_only:  # pooling: the prefill was the whole job; no token leaves
                observer.first_token(self.index, model, ttft, seq.request.prompt_tokens, seq.cached_tokens, 0)
                self._finish(seq, now)
                return
            observer.first_token(self.index, model, ttft, seq.request.prompt_tokens, seq.cached_tokens)
            if count > 1:
                observer.tokens(self.index, model, count - 1, 0.0)
        else:
            observer.tokens(self.index, model, count, now - seq.last_token_time)
        seq.generated += count
        seq.last_token_time = now
        if seq.generated >= seq.request.output_tokens:
            self._finish(seq, now)
        else:
            seq.wakeup.set()

    def _finish(self, seq: Sequence, now: float) -> None:
        self.scheduler.remove(seq)
        self.pending_prefill -= seq.pending_prefill
        seq.pending_prefill = 0
        seq.finish_time = now
        self._mark_busy(now)
        request = seq.request
        self.observer.finished(
            FinishedRequest(
                model=request.model,
                worker=self.index,
                arrival=seq.arrival,
                queued=seq.queued,
                scheduled=seq.scheduled,
                first_token=seq.first_token_time,
                finish=now,
                prompt_tokens=request.prompt_tokens,
                cached_tokens=seq.cached_tokens,
                output_tokens=seq.generated,
                max_tokens=request.max_tokens,
                n=request.n,
                finish_reason="abort" if seq.aborted else request.finish_reason,
                preemptions=seq.preemptions,
            )
        )
        seq.wakeup.set()

    def _mark_busy(self, now: float) -> None:
        """Account busy time: the worker is busy while any sequence is running."""
        busy = bool(self.scheduler.running)
        if busy and self._busy_since is None:
            self._busy_since = now
        elif not busy and self._busy_since is not None:
            self._busy_seconds += now - self._busy_since
            self._busy_since = None

    def _arm(self, due: float, callback) -> None:  # type: ignore[no-untyped-def]
        grid = self._grid
        if grid:  # within a millionth of a grid interval counts as on it: float sums of the ITL drift
            due = math.ceil(due / grid - 1e-6) * grid
        if due >= self._timer_due:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        self._timer = self.clock.call_at(due, callback)

    def _disarm(self) -> None:
        self._timer = None
        self._timer_due = float("inf")

    def _schedule(self) -> None:
        if self.latency.batched:
            if self._step is None:
                self._start_step()
        else:
            self._admit_sequences(self.clock.now())

    # --- per-sequence latency models ------------------------------------------------------------------

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

    # --- batched latency models (vLLM's step loop) ----------------------------------------------------

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
        self._step = _Step(now, decodes, prefills, prefill_tokens + len(decodes))
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
class _Step:
    started: float
    decodes: list[Sequence]
    prefills: list[tuple[Sequence, int]]
    tokens: int
