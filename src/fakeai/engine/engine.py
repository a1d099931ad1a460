"""One simulated worker (a vLLM engine / data-parallel rank): the step loop that paces every sequence.

There is one timer per worker, never one per token or per stream. With a per-sequence latency model the
timer fires at the earliest due sequence and one pass emits every token that is due, for every sequence
(catching up if the timer was late). With a batched model the timer marks the end of the current step:
the step's tokens are emitted together and the next step is planned at once.

Every timestamp (arrival, admission, first token, each token, finish) is stamped here on the injected
clock; metrics and what the client sees come from the same stamps.

``Worker`` keeps the seam (check, add, abort, snapshot) and the bookkeeping every latency model shares
(emit, finish, the timer); the two step loops are its mixins: engine/pacing.py (per-sequence models) and
engine/steps.py (batched models, vLLM's step loop).
"""

from __future__ import annotations

import itertools
import math
import random

from fakeai.engine.clock import Clock, TimerHandle
from fakeai.engine.config import WorkerConfig, timer_grid
from fakeai.engine.kv_cache import KVCache
from fakeai.engine.latency import LatencyModel
from fakeai.engine.observer import EngineObserver, FinishedRequest, GpuSpec, WorkerSnapshot
from fakeai.engine.pacing import SequencePacing
from fakeai.engine.scheduler import ARRIVING, WAITING, Scheduler, Sequence
from fakeai.engine.steps import Step, StepLoop
from fakeai.engine.types import EngineOverloaded, ExceedsKVCapacity


class Worker(SequencePacing, StepLoop):
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
        self._step: Step | None = None  # the step in flight: batched models
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
