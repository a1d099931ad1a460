"""vLLM's step loop with hardware profiles: step times from the batch shape, on a virtual clock."""

from __future__ import annotations

import random

import pytest

from fakeai.engine import (
    Cluster,
    ProfileLatency,
    VirtualClock,
    Worker,
    WorkerConfig,
    load_profile,
    make_router,
    profile_names,
)
from tests.engine.helpers import GPU, Recorder, make_cluster, request

RNG = random.Random(0)


def h100() -> ProfileLatency:
    return ProfileLatency(load_profile("h100-llama-3.1-8b"))


def test_ttft_of_a_prompt_is_the_models_prefill_step() -> None:
    latency = h100()
    cluster, clock, recorder = make_cluster(latency, max_num_batched_tokens=8192)
    cluster.submit([request(4, prompt=1000)])
    clock.run_until_idle()
    # The server's own work before the engine queues it, then one step computing the prompt, whose
    # tokens attend to 1000 x 500 earlier ones on average (causal attention).
    prefill = latency.step_time(1000, 0, 1000, RNG, 1000 * 500)
    assert recorder.ttfts[0] == pytest.approx(latency.admission_delay + prefill)
    # Then one decode step per token, each reading the sequence's KV.
    assert recorder.gaps[0] == pytest.approx(latency.step_time(0, 1, 1001, RNG))


def test_chunked_prefill_splits_a_long_prompt_across_steps() -> None:
    latency = h100()
    cluster, clock, recorder = make_cluster(latency, max_num_batched_tokens=512)
    cluster.submit([request(2, prompt=2000)])
    clock.run_until_idle()
    prefill_steps = [tokens for tokens, _ in recorder.steps[:4]]
    assert prefill_steps == [512, 512, 512, 464]
    assert recorder.ttfts[0] > latency.step_time(2000, 0, 2000, RNG)  # four steps cost more than one


def test_a_prefill_stretches_the_concurrent_decode_step() -> None:
    latency = h100()
    cluster, clock, recorder = make_cluster(latency, max_num_batched_tokens=8192)
    [decoder] = cluster.submit([request(50, prompt=100)])
    clock.advance(0.2)  # decoding steadily
    steady = recorder.gaps[-1]
    cluster.submit([request(5, prompt=6000)])
    clock.advance(1.0)
    stretched = max(recorder.gaps)
    assert steady == pytest.approx(latency.step_time(0, 1, 100 + decoder.generated, RNG), rel=0.05)
    assert stretched > 5 * steady  # the decode waited for a 6,000-token prefill in the same step


def test_itl_rises_with_batch_size_and_saturates() -> None:
    latency = h100()

    def median_itl(streams: int) -> float:
        cluster, clock, recorder = make_cluster(latency, max_num_batched_tokens=8192)
        for i in range(streams):
            cluster.submit([request(20, prompt=200, name=str(i))])
        clock.run_until_idle()
        gaps = sorted(g for g in recorder.gaps if g > 0)
        return gaps[len(gaps) // 2]

    one, sixty_four, five_twelve = median_itl(1), median_itl(64), median_itl(512)
    assert one < sixty_four < five_twelve
    # Memory-bound at small batches: 64x the streams costs well under 2x the ITL...
    assert sixty_four < 2 * one
    # ... while throughput (tokens/s) keeps growing with the batch, sub-linearly.
    assert 64 / sixty_four > 10 / one and 512 / five_twelve > 64 / sixty_four


def test_max_num_seqs_bounds_the_batch() -> None:
    cluster, clock, _ = make_cluster(h100(), max_num_seqs=4, max_num_batched_tokens=8192)
    for i in range(10):
        cluster.submit([request(5, name=str(i))])
    worker = cluster.workers[0]
    latency = worker.latency
    assert isinstance(latency, ProfileLatency)
    clock.advance(latency.admission_delay)  # the server's own work, before the engine queues them
    # The first arrival starts a step alone; the others join at the next step, up to the limit.
    assert len(worker.scheduler.running) == 1
    clock.advance(0.010)  # one step: ~9 ms
    assert len(worker.scheduler.running) == 4 and len(worker.scheduler.waiting) == 6
    clock.run_until_idle()
    assert not worker.scheduler.waiting


@pytest.mark.parametrize("name", profile_names())
def test_every_profile_gives_plausible_numbers(name: str) -> None:
    latency = ProfileLatency(load_profile(name))
    single = latency.step_time(0, 1, 1000, RNG)
    assert 0.003 < single < 0.05  # a single stream decodes at 20-300 tokens/s on real hardware
    assert latency.step_time(0, 256, 256 * 1000, RNG) > single
    assert latency.step_time(8192, 0, 8192, RNG) > latency.step_time(1024, 0, 1024, RNG)
    assert 1_000 < latency.num_gpu_blocks(16, 0.9) < 1_000_000
    gpu = latency.gpu_spec(16)
    assert gpu.weights_mib < gpu.memory_mib


def test_without_chunked_prefill_a_new_prompt_runs_alone_and_the_batch_waits() -> None:
    """vLLM V0: a step that admits a prompt computes only that prompt; decoding resumes after it."""
    latency = h100()
    clock = VirtualClock()
    recorder = Recorder()
    config = WorkerConfig(num_gpu_blocks=10_000, max_num_batched_tokens=8192, chunked_prefill=False)
    worker = Worker(0, clock, latency, config, GPU, recorder, seed=7)
    cluster = Cluster(clock, [worker], make_router("round_robin"))
    cluster.submit([request(50, prompt=100)])
    clock.advance(0.2)
    before = len(recorder.steps)
    cluster.submit([request(5, prompt=4000)])
    clock.advance(0.5)  # the prompt's step: about 0.2 s
    prefill_step = next(tokens for tokens, _ in recorder.steps[before:] if tokens > 1)
    assert prefill_step == 4000  # the prompt alone: no decode token rode along


def test_a_request_aborted_before_the_engine_queues_it_never_runs() -> None:
    latency = h100()
    cluster, clock, recorder = make_cluster(latency, max_num_batched_tokens=8192)
    [seq] = cluster.submit([request(5, prompt=100)])
    cluster.abort(seq)
    clock.run_until_idle()
    assert seq.finished and not recorder.steps and recorder.records[0].finish_reason == "abort"
    assert not cluster.workers[0].scheduler.waiting
