"""What the engine tells the outside world: events for histograms, snapshots for gauges and counters.

The engine never imports a metrics library. Whoever wants numbers (``fakeai.metrics``) implements
``EngineObserver`` and passes it to the cluster; gauges and cumulative counters are read from
``WorkerSnapshot`` at scrape time. Every time is in seconds on the engine clock (simulated seconds: with a
``time_scale`` other than 1 they differ from wall seconds); every size is in tokens or blocks as named.

The events are cheap by contract: at most one call per sequence per engine step (never one per token), and
implementations must not block or raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True, frozen=True)
class GpuSpec:
    """The simulated GPUs of one worker (all alike), for DCGM-style gauges."""

    name: str  # e.g. "NVIDIA H100 80GB HBM3"
    count: int  # GPUs per worker (tensor parallel size)
    memory_mib: int  # framebuffer per GPU
    weights_mib: float  # model weights resident per GPU
    kv_block_mib: float  # KV cache of one block, per GPU
    tdp_watts: float  # power at full utilization, per GPU
    idle_watts: float  # power when idle, per GPU


@dataclass(slots=True, frozen=True)
class WorkerSnapshot:
    """One simulated worker (a vLLM data-parallel rank) at one instant; counters are cumulative."""

    index: int  # data-parallel rank: vLLM's ``engine`` label, Dynamo's ``dp_rank``
    running: dict[str, int]  # sequences in the running batch, per model
    waiting: dict[str, int]  # sequences queued or preempted, per model
    block_size: int  # tokens per KV block
    num_gpu_blocks: int  # KV blocks in the pool
    blocks_in_use: int  # blocks referenced by a running sequence (free + in use = total)
    prefix_cache_queries: int  # prompt tokens looked up in the prefix cache (vLLM counts tokens)
    prefix_cache_hits: int  # of which found cached
    preemptions: int
    active_prefill_tokens: int  # prompt tokens admitted but not yet computed
    active_decode_blocks: int  # KV blocks held by sequences past their prefill
    busy_seconds: float  # engine time with at least one sequence running (DCGM utilization = its rate)
    max_num_seqs: int | None  # None: unlimited
    max_num_batched_tokens: int | None  # None: no per-step budget (latency models without steps)
    max_model_len: int | None
    gpu: GpuSpec


@dataclass(slots=True)
class FinishedRequest:
    """The stamps of one finished sequence (one choice of an API request). Read-only by convention: one is
    built per sequence, and a frozen dataclass costs an ``object.__setattr__`` per field.

    ``arrival`` is when the API request reached the server, ``queued`` when its sequence entered the
    engine's queue (after tokenization), ``scheduled`` when it first entered the running batch and
    ``first_token`` when its first token left; the last two are None for a sequence aborted before that.
    vLLM's intervals follow: queue = scheduled - queued, prefill = first_token - scheduled,
    decode = finish - first_token, inference = finish - scheduled, e2e = finish - arrival, and TTFT =
    first_token - arrival, as the client measures it.
    """

    model: str
    worker: int
    arrival: float
    queued: float
    scheduled: float | None
    first_token: float | None
    finish: float
    prompt_tokens: int
    cached_tokens: int  # prompt tokens served from the prefix cache (at first admission)
    output_tokens: int  # tokens actually emitted
    max_tokens: int  # the sequence's budget (vLLM's request_params_max_tokens)
    n: int  # choices in the API request this sequence belongs to
    finish_reason: str  # "stop", "length", "abort", ...
    preemptions: int


class EngineObserver(Protocol):
    def first_token(
        self, worker: int, model: str, ttft: float, prompt_tokens: int, cached_tokens: int, emitted: int = 1
    ) -> None:
        """A sequence emitted its first token ``ttft`` seconds after arrival (queue time included).
        ``emitted`` is 0 for a prefill-only (pooling) sequence, whose prefill ends with no token."""
        ...

    def tokens(self, worker: int, model: str, count: int, gap: float, sequences: int = 1) -> None:
        """Each of ``sequences`` sequences emitted ``count`` later tokens at one instant; the first came
        ``gap`` seconds after its previous token and the others 0 s after it (so ITL observations are gap,
        0, 0, ... per sequence). The engine reports a pass's equal emissions in one call."""
        ...

    def step(self, worker: int, tokens: int, duration: float) -> None:
        """One engine iteration ended: ``tokens`` = prefill plus decode tokens it computed."""
        ...

    def finished(self, record: FinishedRequest) -> None:
        """A sequence ended (all tokens emitted, or aborted)."""
        ...


class NullObserver:
    """Observes nothing (engine tests that do not look at metrics)."""

    def first_token(
        self, worker: int, model: str, ttft: float, prompt_tokens: int, cached_tokens: int, emitted: int = 1
    ) -> None:
        pass

    def tokens(self, worker: int, model: str, count: int, gap: float, sequences: int = 1) -> None:
        pass

    def step(self, worker: int, tokens: int, duration: float) -> None:
        pass

    def finished(self, record: FinishedRequest) -> None:
        pass
