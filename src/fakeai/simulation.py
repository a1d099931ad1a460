"""From settings to the simulated cluster: the one place that reads engine settings."""

from __future__ import annotations

from fakeai.engine import (
    Clock,
    Cluster,
    EngineObserver,
    FixedLatency,
    Jitter,
    LatencyModel,
    NullObserver,
    PerTokenLatency,
    ProfileLatency,
    Worker,
    WorkerConfig,
    load_profile,
    make_router,
)
from fakeai.settings import Settings


def build_cluster(
    settings: Settings, clock: Clock, observer: EngineObserver | None = None, first_index: int = 0
) -> Cluster:
    """``data_parallel_size`` workers with the configured latency model, scheduler limits and KV pool,
    numbered from ``first_index`` (their ``engine`` label: another server process's come before).

    A ``profile:<name>`` latency model also supplies its pairing's vLLM defaults (``max_num_seqs``,
    ``max_num_batched_tokens``) and GPU memory; ``fixed`` and ``per-token`` take memory and power from
    ``hardware_profile`` and leave the batch unlimited unless ``max_num_seqs`` is set.
    """
    s = settings
    latency, profile = _latency(s)
    max_num_seqs, max_batched = s.max_num_seqs, s.max_num_batched_tokens
    chunked_prefill = True
    if isinstance(latency, ProfileLatency):
        max_num_seqs = max_num_seqs or latency.data.engine.max_num_seqs
        max_batched = max_batched or latency.data.engine.max_num_batched_tokens
        chunked_prefill = latency.data.engine.chunked_prefill
    config = WorkerConfig(
        num_gpu_blocks=s.num_gpu_blocks or profile.num_gpu_blocks(s.block_size, s.gpu_memory_utilization),
        block_size=s.block_size,
        max_num_seqs=max_num_seqs,
        max_num_batched_tokens=max_batched,
        max_waiting=s.max_waiting_requests,
        max_model_len=s.max_model_len,
        chunked_prefill=chunked_prefill,
        timer_grid=s.timer_grid_ms / 1000.0,
    )
    gpu = profile.gpu_spec(s.block_size)
    observer = observer or NullObserver()
    workers = [
        Worker(index, clock, latency, config, gpu, observer, seed=None if s.seed is None else s.seed + index)
        for index in range(first_index, first_index + s.data_parallel_size)
    ]
    return Cluster(clock, workers, make_router(s.router), (s.served_model_name,))


def latency_model(settings: Settings) -> LatencyModel:
    """The latency model the settings name (the control API swaps it in at run time)."""
    return _latency(settings)[0]


def _latency(s: Settings) -> tuple[LatencyModel, ProfileLatency]:
    """The latency model, and the profile whose GPU memory and power the workers simulate."""
    ttft_jitter = Jitter(s.ttft_jitter_ms / 1000.0, s.jitter)
    itl_jitter = Jitter(s.itl_jitter_ms / 1000.0, s.jitter)
    if s.latency_model.startswith("profile:"):
        profile = ProfileLatency(load_profile(s.latency_model.removeprefix("profile:")), itl_jitter)
        return profile, profile
    profile = ProfileLatency(load_profile(s.hardware_profile))
    if s.latency_model == "per-token":
        per_token = PerTokenLatency(
            s.prefill_overhead_ms / 1000.0,
            s.prefill_ms_per_token / 1000.0,
            s.itl_ms / 1000.0,
            ttft_jitter,
            itl_jitter,
        )
        return per_token, profile
    return FixedLatency(s.ttft_ms / 1000.0, s.itl_ms / 1000.0, ttft_jitter, itl_jitter), profile
