"""Building blocks for engine tests: a cluster on a virtual clock and an observer that records events."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from fakeai.engine import (
    Cluster,
    EngineRequest,
    FinishedRequest,
    GpuSpec,
    LatencyModel,
    VirtualClock,
    Worker,
    WorkerConfig,
    make_router,
)

GPU = GpuSpec("test GPU", 1, 81920, 16000.0, 2.0, 700.0, 70.0)
_ids = itertools.count(1_000_000)


class Recorder:
    """An ``EngineObserver`` that keeps every event."""

    def __init__(self) -> None:
        self.ttfts: list[float] = []
        self.gaps: list[float] = []  # one ITL observation per later token, as vLLM records them
        self.steps: list[tuple[int, float]] = []
        self.records: list[FinishedRequest] = []

    def first_token(
        self, worker: int, model: str, ttft: float, prompt_tokens: int, cached_tokens: int, emitted: int = 1
    ) -> None:
        self.ttfts.append(ttft)

    def tokens(self, worker: int, model: str, count: int, gap: float, sequences: int = 1) -> None:
        self.gaps += ([gap] + [0.0] * (count - 1)) * sequences

    def step(self, worker: int, tokens: int, duration: float) -> None:
        self.steps.append((tokens, duration))

    def finished(self, record: FinishedRequest) -> None:
        self.records.append(record)


def make_cluster(
    latency: LatencyModel,
    *,
    workers: int = 1,
    router: str = "round_robin",
    num_gpu_blocks: int = 10_000,
    block_size: int = 16,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    max_waiting: int = 1000,
    timer_grid: float = 0.0,
) -> tuple[Cluster, VirtualClock, Recorder]:
    clock = VirtualClock()
    recorder = Recorder()
    config = WorkerConfig(
        num_gpu_blocks=num_gpu_blocks,
        block_size=block_size,
        max_num_seqs=max_num_seqs,
        max_num_batched_tokens=max_num_batched_tokens,
        max_waiting=max_waiting,
        timer_grid=timer_grid,
    )
    pool = [Worker(i, clock, latency, config, GPU, recorder, seed=7) for i in range(workers)]
    return Cluster(clock, pool, make_router(router)), clock, recorder  # type: ignore[arg-type]


def request(
    output: int, prompt: int | Sequence[int] = 10, name: str = "r", model: str = "m"
) -> EngineRequest:
    """A request for ``output`` tokens; an int prompt is that many fresh (never cached) token ids."""
    ids = [next(_ids) for _ in range(prompt)] if isinstance(prompt, int) else prompt
    return EngineRequest(name, model, ids, output, "length", output)
