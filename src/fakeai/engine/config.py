"""A worker's configuration: vLLM's scheduler knobs and the timer's resolution."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fakeai.engine.latency import LatencyModel


@dataclass(slots=True, frozen=True)
class WorkerConfig:
    """vLLM's knobs for one worker. None means unlimited."""

    num_gpu_blocks: int
    block_size: int = 16
    max_num_seqs: int | None = None
    max_num_batched_tokens: int | None = None  # per-step token budget (chunked prefill); batched models
    max_waiting: int = 8192
    max_model_len: int | None = None
    #: Batched models: chunked prefill mixes prompt chunks into decode steps (vLLM V1); without it a step
    #: computes whole new prompts and no decodes (vLLM V0's default for short-context models).
    chunked_prefill: bool = True
    #: Per-sequence models: the timer's resolution in seconds. Wake-ups are rounded up onto this grid, so
    #: the tokens due within one interval leave in one pass, as a real engine's step emits its whole batch
    #: at once; one pass per token instead costs a timer and a wake of the transport's writer each. With a
    #: constant ITL the grid is shrunk to a divisor of it, so every gap after the first token stays exact.
    #: 0 wakes at each due time exactly.
    timer_grid: float = 0.0


def timer_grid(latency: LatencyModel, grid: float) -> float:
    """The timer grid for ``latency`` (``WorkerConfig.timer_grid``): none for a batched model, whose
    steps already emit together; for a constant ITL the largest divisor of it not above ``grid``."""
    if grid <= 0.0 or latency.batched:
        return 0.0
    itl = latency.constant_itl()
    if itl:
        return itl / math.ceil(itl / grid - 1e-9)
    return grid
