"""Prefill-only (pooling) sequences, as embeddings and reranking submit them: they cost their prefill, hold
KV blocks meanwhile, and end without emitting a token. On a virtual clock."""

from __future__ import annotations

import itertools

import pytest

from fakeai.engine import EngineRequest, FixedLatency, PerTokenLatency, ProfileLatency, load_profile
from tests.engine.helpers import make_cluster, request

_ids = itertools.count(5_000_000)


def pooling(prompt: int, name: str = "e") -> EngineRequest:
    ids = [next(_ids) for _ in range(prompt)]  # fresh: never a prefix-cache hit
    return EngineRequest(name, "m", ids, 0, "stop", 0, prefill_only=True)


def test_fixed_latency_ends_at_ttft_with_no_token() -> None:
    cluster, clock, recorder = make_cluster(FixedLatency(0.1, 0.02))
    [seq] = cluster.submit([pooling(50)])
    assert not seq.finished  # unlike a zero-token generation, it waits for its prefill
    assert cluster.workers[0].kv.blocks_in_use > 0
    clock.advance(0.099)
    assert not seq.finished
    clock.advance(0.001)
    assert seq.finished and seq.generated == 0 and seq.take() == 0
    assert seq.finish_time == pytest.approx(0.1)
    assert recorder.gaps == []  # no inter-token latency observed
    [record] = recorder.records
    assert (record.output_tokens, record.prompt_tokens, record.finish_reason) == (0, 50, "stop")
    assert record.first_token == pytest.approx(0.1)  # prefill = first_token - scheduled, as vLLM's
    assert cluster.workers[0].kv.blocks_in_use == 0


def test_per_token_prefill_grows_with_the_prompt() -> None:
    latency = PerTokenLatency(overhead=0.01, per_token=0.001, itl=0.01)
    cluster, clock, _ = make_cluster(latency)
    short, long = cluster.submit([pooling(10, "a")]) + cluster.submit([pooling(1000, "b")])
    clock.run_until_idle()
    assert short.finish_time == pytest.approx(0.01 + 0.001 * 10)
    assert long.finish_time == pytest.approx(0.01 + 0.001 * 1000)


def test_batched_profile_runs_one_prefill_step_and_stretches_a_concurrent_decode() -> None:
    latency = ProfileLatency(load_profile("h100-llama-3.1-8b"))
    cluster, clock, recorder = make_cluster(latency, max_num_batched_tokens=8192)
    [gen] = cluster.submit([request(20, prompt=10)])
    clock.run_until_idle()
    alone = gen.finish_time
    cluster2, clock2, recorder2 = make_cluster(latency, max_num_batched_tokens=8192)
    [gen2] = cluster2.submit([request(20, prompt=10)])
    embeds = cluster2.submit([pooling(2000, f"e{i}") for i in range(3)])
    clock2.run_until_idle()
    assert all(e.finished and e.generated == 0 for e in embeds)
    assert gen2.generated == 20
    assert gen2.finish_time > alone  # the embeddings' prefill shared the step with the decode
    assert sum(t for t, _ in recorder2.steps) == sum(t for t, _ in recorder.steps) + 3 * 2000


def test_abort_before_prefill_frees_the_blocks() -> None:
    cluster, clock, recorder = make_cluster(FixedLatency(1.0, 0.0))
    [seq] = cluster.submit([pooling(100)])
    cluster.abort(seq)
    assert seq.finished and cluster.workers[0].kv.blocks_in_use == 0
    assert recorder.records[0].finish_reason == "abort"
    clock.run_until_idle()
    assert len(recorder.records) == 1
