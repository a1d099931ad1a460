"""Background (batch) sequences yield to live ones, on a virtual clock: no test here sleeps."""

from __future__ import annotations

import pytest

from fakeai.engine import EngineRequest, FixedLatency, ProfileLatency, load_profile
from tests.engine.helpers import make_cluster, request


def background(output: int, prompt: int = 10, name: str = "b") -> EngineRequest:
    req = request(output, prompt, name)
    req.priority = 1
    return req


def test_live_is_admitted_before_waiting_background() -> None:
    cluster, clock, _ = make_cluster(FixedLatency(0.1, 0.01), max_num_seqs=2)
    batch = [cluster.submit([background(50, name=f"b{i}")])[0] for i in range(4)]
    clock.advance(0.05)
    [live] = cluster.submit([request(5, name="live")])  # the batch is full: a background one yields
    clock.advance(0.1)
    assert live.first_token_time == pytest.approx(0.15)  # exactly its TTFT after arrival
    assert batch[1].preemptions == 1  # the newest running background sequence made room
    sched = cluster.workers[0].scheduler
    assert len(sched.running) == 2 and sched.background_running == 1
    clock.advance(10)
    assert all(seq.finished and seq.generated == 50 for seq in batch) and live.finished


def test_background_waits_behind_queued_live_sequences() -> None:
    cluster, clock, _ = make_cluster(FixedLatency(0.1, 0.01), max_num_seqs=1)
    [first] = cluster.submit([request(10, name="live0")])
    [bg] = cluster.submit([background(10)])
    [second] = cluster.submit([request(10, name="live1")])  # queued after bg, admitted before it
    clock.advance(10)
    assert first.scheduled == 0.0
    assert second.scheduled is not None and bg.scheduled is not None
    assert second.scheduled < bg.scheduled


def test_background_does_not_count_against_the_live_queue_limit() -> None:
    cluster, clock, _ = make_cluster(FixedLatency(0.1, 0.01), max_num_seqs=1, max_waiting=2)
    for i in range(10):
        cluster.submit([background(5, name=f"b{i}")])
    cluster.submit([request(5, name="live")])  # no EngineOverloaded: batch lines are not its queue
    snapshot = cluster.snapshots()[0]
    assert sum(snapshot.waiting.values()) == 10  # but the metrics see them queued
    clock.advance(60)
    assert not cluster.workers[0].scheduler.background


def live_ttfts(latency, with_batch: bool, **config: int) -> list[float]:  # type: ignore[no-untyped-def]
    cluster, clock, _ = make_cluster(latency, **config)
    if with_batch:
        for i in range(1000):
            cluster.submit([background(200, prompt=300, name=f"b{i}")])
        clock.advance(5.0)  # the batch is in full flight
    lives = []
    for i in range(20):
        [seq] = cluster.submit([request(20, prompt=300, name=f"l{i}")])
        lives.append(seq)
        clock.advance(0.5)
    return [seq.first_token_time - seq.arrival for seq in lives]  # type: ignore[operator]


@pytest.mark.parametrize("max_num_seqs", [None, 64])
def test_live_ttft_holds_while_a_1000_line_batch_runs(max_num_seqs: int | None) -> None:
    """The done-when check at the default latency (fixed 100 ms TTFT, 10 ms ITL): with 1,000 batch
    sequences queued, live TTFT stays within 10 % of the configured one, with or without a batch cap."""
    latency = FixedLatency(0.1, 0.01)
    config = {"max_num_seqs": max_num_seqs} if max_num_seqs else {}
    busy = live_ttfts(latency, True, **config)
    assert max(busy) <= 0.1 * 1.10, busy


def test_on_a_batched_profile_live_steps_carry_the_batch_decodes() -> None:
    """On a hardware profile a live prefill shares its step with running batch decodes, as on a GPU:
    TTFT grows by that cost, but never waits behind the batch's queue (1,000 sequences)."""
    profile = ProfileLatency(load_profile("h100-llama-3.1-8b"))
    idle = live_ttfts(profile, False, max_num_seqs=64, max_num_batched_tokens=2048)
    busy = live_ttfts(profile, True, max_num_seqs=64, max_num_batched_tokens=2048)
    mean_idle, mean_busy = sum(idle) / len(idle), sum(busy) / len(busy)
    assert mean_idle < mean_busy < mean_idle * 5, (mean_idle, mean_busy)
    assert max(busy) < 0.25  # queued behind 1,000 sequences it would take minutes
