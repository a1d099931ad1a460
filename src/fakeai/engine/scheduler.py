"""Admission and memory of one worker: the waiting queue, the running batch, KV blocks and preemption.

vLLM's rules: requests are admitted first come, first served while the batch has room (``max_num_seqs``)
and the KV cache has blocks for the request's tokens (a cached prefix costs no new blocks); the queue head
blocks the rest. When a running sequence needs one more block and none is free, the newest running sequence
is preempted: its blocks are freed (hashed ones stay in the prefix cache) and it goes back to the front of
the queue, to be recomputed when it is readmitted.

Background sequences (``priority`` > 0: batch lines) wait in a queue of their own, admitted only when no
live sequence waits; a live sequence that finds the batch full or the cache out of blocks preempts the
newest running background sequence. With no background work, none of this costs anything.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from fakeai.engine.kv_cache import KVCache
from fakeai.engine.types import EngineRequest

WAITING, RUNNING, FINISHED = 0, 1, 2
#: Routed to a worker, not yet in its queue (a batched model's admission delay).
ARRIVING = 3


class Wakeup:
    """A level-triggered signal: ``set`` before or during ``wait`` is never lost.

    Or, with a ``listen``er, a synchronous callback run inside ``set`` (from the engine's own timer): a
    transport that can send without awaiting streams that way, with no task woken per token.
    """

    __slots__ = ("_future", "_listener", "_pending")

    def __init__(self) -> None:
        self._pending = False
        self._future: asyncio.Future[None] | None = None
        self._listener: Callable[[], None] | None = None

    def set(self) -> None:
        listener = self._listener
        if listener is not None:
            listener()
            return
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

    def listen(self, listener: Callable[[], None] | None) -> bool:
        """Call ``listener`` on every ``set`` from now on (None: back to ``wait``). Returns whether a
        ``set`` came before, which the listener has yet to see."""
        self._listener = listener
        pending, self._pending = self._pending, False
        return pending


class Sequence:
    """One sequence in the engine, and the consumer's handle on it (``take``, ``finished``, stamps).

    Times are seconds on the engine clock; counts are tokens unless named blocks.
    """

    __slots__ = (
        "_taken",
        "aborted",
        "arrival",
        "blocks",
        "cached_tokens",
        "due",
        "epoch",
        "finish_time",
        "first_token_time",
        "generated",
        "hashes",
        "last_token_time",
        "pending_prefill",
        "preemptions",
        "prompt_tokens",
        "queued",
        "request",
        "scheduled",
        "status",
        "to_compute",
        "wakeup",
        "worker",
    )

    def __init__(
        self, request: EngineRequest, hashes: list[int], wakeup: Wakeup, arrival: float, queued: float
    ) -> None:
        self.request = request
        self.prompt_tokens = request.prompt_tokens  # read on every token: not recounted each time
        self.hashes = hashes  # chained hashes of the prompt's full blocks
        self.wakeup = wakeup
        self.arrival = arrival  # the API request reached the server
        self.queued = queued  # the sequence entered the engine's queue
        self.worker = -1
        self.status = WAITING
        self.scheduled: float | None = None  # first admission
        self.first_token_time: float | None = None
        self.last_token_time = 0.0
        self.finish_time: float | None = None
        self.generated = 0  # tokens emitted so far
        self.cached_tokens = 0  # prompt tokens found in the prefix cache at first admission
        self.blocks: list[int] = []
        self.to_compute = 0  # tokens of the current (re)fill not yet computed; 0 once decoding
        self.pending_prefill = 0  # prompt tokens this sequence still adds to the worker's prefill load
        self.preemptions = 0
        self.aborted = False
        self.due = arrival  # next emission (per-sequence latency models)
        self.epoch = 0  # bumped on preemption: timers of the previous admission are stale
        self._taken = 0

    @property
    def finished(self) -> bool:
        """True once every token was emitted, or the sequence was aborted."""
        return self.status == FINISHED

    @property
    def tokens(self) -> int:
        """Tokens whose KV the sequence holds once computed: its prompt and what it generated."""
        return self.prompt_tokens + self.generated

    def take(self, limit: int | None = None) -> int:
        """How many tokens were emitted since the last call (never blocks), at most ``limit``: the rest
        stay to take (a consumer that fell behind catches up in bounded steps)."""
        new = self.generated - self._taken
        if limit is not None and new > limit:
            new = limit
        self._taken += new
        return new

    @property
    def taken(self) -> int:
        """Tokens handed to the consumer so far (``take``); ``generated - taken`` are waiting for it."""
        return self._taken


class Scheduler:
    """The waiting queue and running batch of one worker over its KV cache."""

    def __init__(self, kv: KVCache, max_num_seqs: int | None, max_waiting: int) -> None:
        self.kv = kv
        self.max_num_seqs = max_num_seqs
        self.max_waiting = max_waiting
        self.waiting: deque[Sequence] = deque()
        self.background: deque[Sequence] = deque()  # priority > 0, behind every live sequence
        self.background_running = 0
        # Insertion-ordered, O(1) removal: the newest (last) is preempted first.
        self.running: dict[Sequence, None] = {}
        self.preemptions = 0
        self.prefix_queries = 0  # tokens
        self.prefix_hits = 0  # tokens

    def has_room(self) -> bool:
        return self.max_num_seqs is None or len(self.running) < self.max_num_seqs

    def queue(self, seq: Sequence) -> None:
        (self.background if seq.request.priority else self.waiting).append(seq)

    def head(self) -> Sequence | None:
        """The next sequence to admit: live ones first."""
        if self.waiting:
            return self.waiting[0]
        return self.background[0] if self.background else None

    def admit_next(self, now: float) -> Sequence | None:
        """Admit the head if it fits (a live head preempts running background sequences until it does);
        the admitted sequence, or None when nothing (more) can be admitted now."""
        seq = self.head()
        if seq is None:
            return None
        while True:
            if self.has_room() and self.try_admit(seq, now):
                return seq
            if seq.request.priority or not self.background_running:
                return None
            self.preempt(next(s for s in reversed(self.running) if s.request.priority))

    def try_admit(self, seq: Sequence, now: float) -> bool:
        """Move the queue head into the batch if its blocks fit; the cached prefix is not recomputed."""
        tokens = seq.tokens
        allocated = self.kv.allocate(seq.hashes, tokens)
        if allocated is None:
            return False
        seq.blocks, cached = allocated
        self.prefix_queries += seq.prompt_tokens
        self.prefix_hits += cached
        if seq.scheduled is None:
            seq.scheduled = now
            seq.cached_tokens = cached
        seq.to_compute = tokens - cached
        seq.status = RUNNING
        if seq.request.priority:
            self.background.popleft()
            self.background_running += 1
        else:
            self.waiting.popleft()
        self.running[seq] = None
        return True

    def grow(self, seq: Sequence, upcoming: int = 1) -> int:
        """Make room for ``upcoming`` more tokens of ``seq``, preempting the newest running sequences while
        no block is free (``preemptions`` counts them). Returns how many of the ``upcoming`` tokens fit:
        all of them, unless ``seq`` itself was preempted (it was the newest), and then those that fitted
        in the blocks it held, which is as far as growing one token at a time would have got."""
        kv = self.kv
        block_size = kv.block_size
        need = seq.prompt_tokens + seq.generated + upcoming
        while len(seq.blocks) * block_size < need:
            if kv.append(seq.blocks):
                continue
            victim = next(reversed(self.running))
            if victim is seq:
                fitted = max(0, len(seq.blocks) * block_size - (need - upcoming))
                self.preempt(seq)
                return fitted
            self.preempt(victim)
        return upcoming

    def preempt(self, seq: Sequence) -> None:
        del self.running[seq]
        background = seq.request.priority > 0
        self.background_running -= background
        self.kv.free(seq.blocks)
        seq.status = WAITING
        seq.to_compute = 0
        seq.epoch += 1
        seq.preemptions += 1
        self.preemptions += 1
        (self.background if background else self.waiting).appendleft(seq)

    def remove(self, seq: Sequence) -> None:
        """Take a finished or aborted sequence out, returning its blocks."""
        background = seq.request.priority > 0
        if seq.status == RUNNING:
            del self.running[seq]
            self.background_running -= background
        elif seq.status == WAITING:
            (self.background if background else self.waiting).remove(seq)
        self.kv.free(seq.blocks)
        seq.status = FINISHED
