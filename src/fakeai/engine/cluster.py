"""A cluster of simulated workers (vLLM data-parallel ranks) behind a router policy.

All ``n`` choices of one API request go to the same worker, as vLLM keeps a request's children on one
engine, so they share the prompt's cached blocks.

Policies:

- ``round_robin``: the next worker in turn.
- ``least_loaded``: the fewest running plus waiting sequences.
- ``kv_aware``: NVIDIA Dynamo's default cost, ``prefill_load_scale * max(pending prefill blocks + prompt
  blocks - cached overlap blocks, 0) + decode blocks``, lowest wins. Dynamo learns each worker's cached
  blocks from KV events; here the router asks each worker's cache directly, which is what those events
  converge to.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence as Seq
from typing import Literal, Protocol

from fakeai.engine.clock import Clock
from fakeai.engine.engine import Worker
from fakeai.engine.kv_cache import block_hashes
from fakeai.engine.observer import WorkerSnapshot
from fakeai.engine.scheduler import Sequence, Wakeup
from fakeai.engine.types import EngineRequest

RouterPolicy = Literal["round_robin", "least_loaded", "kv_aware"]


class Router(Protocol):
    def choose(self, workers: list[Worker], hashes: list[int], prompt_tokens: int) -> tuple[Worker, int]:
        """The worker for a request, and how many of its prompt tokens that worker has cached."""
        ...


class RoundRobin:
    def __init__(self) -> None:
        self._turn = itertools.count()

    def choose(self, workers: list[Worker], hashes: list[int], prompt_tokens: int) -> tuple[Worker, int]:
        worker = workers[next(self._turn) % len(workers)]
        return worker, _overlap(worker, hashes)


class LeastLoaded:
    def choose(self, workers: list[Worker], hashes: list[int], prompt_tokens: int) -> tuple[Worker, int]:
        worker = min(workers, key=lambda w: len(w.scheduler.running) + len(w.scheduler.waiting))
        return worker, _overlap(worker, hashes)


class KvAware:
    def __init__(self, prefill_load_scale: float = 1.0) -> None:
        self.prefill_load_scale = prefill_load_scale

    def choose(self, workers: list[Worker], hashes: list[int], prompt_tokens: int) -> tuple[Worker, int]:
        best: tuple[float, Worker, int] | None = None
        for worker in workers:
            kv = worker.kv
            overlap = kv.cached_prefix(hashes)
            prefill = max(kv.blocks_for(worker.pending_prefill + prompt_tokens) - overlap, 0)
            cost = self.prefill_load_scale * prefill + kv.blocks_in_use
            if best is None or cost < best[0]:
                best = (cost, worker, overlap * kv.block_size)
        assert best is not None
        return best[1], best[2]


def _overlap(worker: Worker, hashes: list[int]) -> int:
    return worker.kv.cached_prefix(hashes) * worker.kv.block_size


def make_router(policy: RouterPolicy) -> Router:
    if policy == "round_robin":
        return RoundRobin()
    if policy == "least_loaded":
        return LeastLoaded()
    return KvAware()


class Cluster:
    """The engine as the API services see it: ``submit`` a request's sequences, ``abort`` them."""

    def __init__(
        self, clock: Clock, workers: list[Worker], router: Router, served_models: Seq[str] = ("fakeai",)
    ) -> None:
        if not workers:
            raise ValueError("a cluster needs at least one worker")
        self.clock = clock
        self.workers = workers
        self.router = router
        self.block_size = workers[0].kv.block_size
        self._by_index = {worker.index: worker for worker in workers}  # indexes need not start at 0
        # One worker is every policy's choice: no policy call per request.
        self._only = workers[0] if len(workers) == 1 else None
        self._served = tuple(served_models)

    def now(self) -> float:
        """The engine clock, in seconds."""
        return self.clock.now()

    def served_models(self) -> Seq[str]:
        """The name that labels per-engine series belonging to no one model (vLLM's first
        ``--served-model-name``)."""
        return self._served

    def submit(
        self, requests: Seq[EngineRequest], wakeup: Wakeup | None = None, arrival: float | None = None
    ) -> list[Sequence]:
        """Queue the sequences of one API request on one worker; all or none.

        ``arrival`` is when the request reached the server (default: now): TTFT and e2e count from it, so
        they include the server's own handling (tokenization, templating), as the client's measurement
        does. Queue time counts from now, when the sequences enter the worker's queue.

        Raises ``EngineOverloaded`` (queue full: HTTP 429) or ``ExceedsKVCapacity`` (can never fit).
        All the requests share the first one's prompt hashes when their prompts are equal.
        """
        wakeup = wakeup or Wakeup()
        first = requests[0]
        hashes = block_hashes(first.prompt, self.block_size)
        worker = self._only
        if worker is None:
            worker, overlap = self.router.choose(self.workers, hashes, first.prompt_tokens)
        else:
            overlap = worker.kv.cached_prefix(hashes) * self.block_size
        if len(requests) == 1:
            worker.check(first.prompt_tokens + first.output_tokens, 1)
        else:
            worker.check(max(r.prompt_tokens + r.output_tokens for r in requests), len(requests))
        now = self.clock.now()
        arrival = now if arrival is None else min(arrival, now)
        sequences = []
        for request in requests:
            own = hashes if request.prompt is first.prompt else block_hashes(request.prompt, self.block_size)
            seq = Sequence(request, own, wakeup, arrival, now)
            worker.add(seq, overlap)
            sequences.append(seq)
        return sequences

    def abort(self, seq: Sequence) -> None:
        if not seq.finished:
            self._by_index[seq.worker].abort(seq)

    def reset_prefix_cache(self) -> int:
        """Drop every cached prefix block not in use, on every worker; returns how many blocks."""
        return sum(worker.kv.reset_prefix_cache() for worker in self.workers)

    def snapshots(self) -> list[WorkerSnapshot]:
        return [worker.snapshot() for worker in self.workers]
