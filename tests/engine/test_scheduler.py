"""Admission, queueing, preemption and their invariants, under both kinds of latency model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeai.engine import EngineOverloaded, ExceedsKVCapacity, FixedLatency, ProfileLatency, load_profile
from tests.engine.helpers import make_cluster, request


def test_max_num_seqs_queues_the_rest_and_queue_time_adds_to_ttft() -> None:
    cluster, clock, recorder = make_cluster(FixedLatency(0.1, 0.02), max_num_seqs=2)
    seqs = [cluster.submit([request(3, name=str(i))])[0] for i in range(3)]
    worker = cluster.workers[0]
    assert len(worker.scheduler.running) == 2 and len(worker.scheduler.waiting) == 1
    clock.advance(0.14)  # the first two finish at 0.1 + 2 * 0.02
    assert seqs[2].scheduled == pytest.approx(0.14)
    clock.advance(1)
    assert recorder.ttfts == [pytest.approx(0.1), pytest.approx(0.1), pytest.approx(0.24)]
    queue = recorder.records[2].scheduled - recorder.records[2].arrival  # type: ignore[operator]
    assert queue == pytest.approx(0.14)


def test_a_full_waiting_queue_refuses_the_whole_request() -> None:
    cluster, _, _ = make_cluster(FixedLatency(0.1, 0.02), max_num_seqs=1, max_waiting=2)
    cluster.submit([request(3)])  # running
    cluster.submit([request(3), request(3)])  # both wait
    with pytest.raises(EngineOverloaded) as info:
        cluster.submit([request(3)])
    assert info.value.retry_after > 0
    assert len(cluster.workers[0].scheduler.waiting) == 2  # nothing of the refused request was queued


def test_a_request_larger_than_the_kv_cache_is_refused() -> None:
    cluster, _, _ = make_cluster(FixedLatency(0.1, 0.02), num_gpu_blocks=4, block_size=16)
    with pytest.raises(ExceedsKVCapacity):
        cluster.submit([request(10, prompt=60)])  # 70 tokens > 64


def test_preemption_of_the_newest_and_resume_in_per_sequence_mode() -> None:
    # 4 blocks of 4 tokens. Two sequences of 4 prompt tokens each need a second block at their first token
    # and a third at their fifth: the pool runs out and the newer one is preempted, then resumed.
    cluster, clock, _recorder = make_cluster(FixedLatency(0.1, 0.01), num_gpu_blocks=4, block_size=4)
    old = cluster.submit([request(8, prompt=4, name="old")])[0]
    clock.advance(0.01)
    new = cluster.submit([request(8, prompt=4, name="new")])[0]
    clock.advance(5)
    assert old.finished and new.finished
    assert (old.generated, new.generated) == (8, 8)
    assert new.preemptions >= 1 and old.preemptions == 0
    worker = cluster.workers[0]
    assert worker.scheduler.preemptions == new.preemptions
    assert worker.kv.blocks_in_use == 0
    # Resumed, it recomputes its prompt and what it generated: another prefill delay.
    assert new.finish_time > old.finish_time + 0.1  # type: ignore[operator]


def h100() -> ProfileLatency:
    return ProfileLatency(load_profile("h100-llama-3.1-8b"))


def test_preemption_and_resume_in_batched_mode() -> None:
    cluster, clock, _ = make_cluster(h100(), num_gpu_blocks=6, block_size=4, max_num_batched_tokens=64)
    seqs = [cluster.submit([request(12, prompt=4, name=str(i))])[0] for i in range(2)]
    clock.run_until_idle()
    assert all(s.finished and s.generated == 12 for s in seqs)
    assert sum(s.preemptions for s in seqs) >= 1
    assert cluster.workers[0].kv.blocks_in_use == 0


@settings(max_examples=60, deadline=None)
@given(
    batched=st.booleans(),
    plan=st.lists(
        st.tuples(st.integers(1, 30), st.integers(0, 20), st.floats(0, 0.05), st.booleans()),
        min_size=1,
        max_size=25,
    ),
)
def test_every_sequence_ends_and_every_block_returns(
    batched: bool, plan: list[tuple[int, int, float, bool]]
) -> None:
    """Random arrivals into a tiny KV cache: whatever preemption happens, each sequence emits exactly its
    tokens (or is aborted), the pool's accounting holds at every step, and all blocks come back."""
    latency = h100() if batched else FixedLatency(0.02, 0.005)
    cluster, clock, recorder = make_cluster(
        latency, num_gpu_blocks=12, block_size=4, max_num_seqs=4, max_num_batched_tokens=32, max_waiting=1000
    )
    worker = cluster.workers[0]
    seqs = []
    for prompt, output, gap, abort in plan:
        prompt = min(prompt, 40 - output)
        [seq] = cluster.submit([request(output, prompt=max(prompt, 1))])
        seqs.append(seq)
        clock.advance(gap)
        if abort:
            cluster.abort(seqs[len(seqs) // 2])
        kv = worker.kv
        assert kv.blocks_in_use + kv.free_blocks == kv.num_blocks
        assert kv.blocks_in_use == len({b for s in worker.scheduler.running for b in s.blocks})
        assert not worker.scheduler.max_num_seqs or len(worker.scheduler.running) <= 4
    clock.run_until_idle()
    for seq in seqs:
        assert seq.finished
        assert seq.aborted or seq.generated == seq.request.output_tokens
    assert worker.kv.blocks_in_use == 0
    assert not worker.scheduler.running and not worker.scheduler.waiting
    assert len(recorder.records) == len(seqs)
    assert worker.pending_prefill == 0
