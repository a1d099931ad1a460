"""A fake cluster that satisfies ``ClusterView`` and emits engine events on a hand-driven clock: the
metrics are tested without the engine (and without sleeping)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from fakeai.engine.observer import EngineObserver, FinishedRequest, GpuSpec, WorkerSnapshot

H100 = GpuSpec(name="NVIDIA H100 80GB HBM3", count=2, memory_mib=81559, weights_mib=8000.0, kv_block_mib=2.0,
               tdp_watts=700.0, idle_watts=70.0)  # fmt: skip


def snapshot(index: int, **changes: object) -> WorkerSnapshot:
    base = WorkerSnapshot(
        index=index, running={}, waiting={}, block_size=16, num_gpu_blocks=1000, blocks_in_use=0,
        prefix_cache_queries=0, prefix_cache_hits=0, preemptions=0, active_prefill_tokens=0,
        active_decode_blocks=0, busy_seconds=0.0, max_num_seqs=256, max_num_batched_tokens=8192,
        max_model_len=4096, gpu=H100,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class FakeCluster:
    def __init__(self, observer: EngineObserver, workers: int = 2, served: Sequence[str] = ("m",)) -> None:
        self.observer = observer
        self.time = 0.0
        self.workers = [snapshot(i) for i in range(workers)]
        self.served = list(served)

    # ClusterView
    def snapshots(self) -> list[WorkerSnapshot]:
        return list(self.workers)

    def now(self) -> float:
        return self.time

    def served_models(self) -> Sequence[str]:
        return self.served

    # driving
    def update(self, worker: int, **changes: object) -> None:
        self.workers[worker] = dataclasses.replace(self.workers[worker], **changes)  # type: ignore[arg-type]

    def busy(self, worker: int, seconds: float) -> None:
        """Advance the clock by ``seconds`` with ``worker`` busy the whole time."""
        self.time += seconds
        self.update(worker, busy_seconds=self.workers[worker].busy_seconds + seconds)

    def request(
        self,
        model: str = "m",
        worker: int = 0,
        *,
        queue: float = 0.5,
        prefill: float = 0.25,
        gaps: Sequence[float] = (0.02, 0.03),
        prompt: int = 100,
        cached: int = 32,
        reason: str = "stop",
        n: int = 1,
        max_tokens: int = 64,
    ) -> FinishedRequest:
        """One sequence from arrival to finish: one token per gap after the first (each one event)."""
        arrival = self.time
        scheduled = arrival + queue
        first = scheduled + prefill
        self.observer.first_token(worker, model, first - arrival, prompt, cached)
        finish = first
        for gap in gaps:
            finish += gap
            self.observer.tokens(worker, model, 1, gap)
        record = FinishedRequest(
            model=model,
            worker=worker,
            arrival=arrival,
            queued=arrival,
            scheduled=scheduled,
            first_token=first,
            finish=finish,
            prompt_tokens=prompt,
            cached_tokens=cached,
            output_tokens=1 + len(gaps),
            max_tokens=max_tokens,
            n=n,
            finish_reason=reason,
            preemptions=0,
        )
        self.observer.finished(record)
        return record
