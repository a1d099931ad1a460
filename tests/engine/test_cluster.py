"""Data-parallel workers behind the router policies."""

from __future__ import annotations

from fakeai.engine import FixedLatency, PerTokenLatency
from tests.engine.helpers import make_cluster, request


def test_round_robin_takes_turns() -> None:
    cluster, _, _ = make_cluster(FixedLatency(0.1, 0.01), workers=3, router="round_robin")
    seqs = [cluster.submit([request(5)])[0] for _ in range(6)]
    assert [s.worker for s in seqs] == [0, 1, 2, 0, 1, 2]


def test_least_loaded_fills_the_emptiest_worker() -> None:
    cluster, _clock, _ = make_cluster(FixedLatency(0.1, 0.01), workers=2, router="least_loaded")
    long = [cluster.submit([request(100)])[0] for _ in range(2)]
    assert sorted(s.worker for s in long) == [0, 1]
    cluster.abort(long[1])
    assert cluster.submit([request(5)])[0].worker == long[1].worker


def test_all_choices_of_a_request_share_one_worker_and_its_cached_prompt() -> None:
    cluster, _clock, _ = make_cluster(PerTokenLatency(0.0, 0.001, 0.01), workers=4, router="round_robin")
    prompt = list(range(64))
    seqs = cluster.submit([request(3, prompt=prompt, name=str(i)) for i in range(3)])
    assert len({s.worker for s in seqs}) == 1
    # vLLM's children share the parent's prompt blocks: the later ones find them cached.
    assert [s.cached_tokens for s in seqs] == [0, 48, 48]


def test_kv_aware_routes_a_repeated_prefix_to_the_worker_that_holds_it() -> None:
    cluster, clock, _ = make_cluster(PerTokenLatency(0.0, 0.001, 0.01), workers=4, router="kv_aware")
    system_prompt = list(range(2000))
    first = cluster.submit([request(2, prompt=[*system_prompt, 1])])[0]
    clock.advance(5)
    # Load the other workers a little, then send the same prefix again: the overlap credit wins.
    for i in range(3):
        cluster.submit([request(50, prompt=200, name=f"load{i}")])
    again = cluster.submit([request(2, prompt=[*system_prompt, 2])])[0]
    assert again.worker == first.worker
    assert again.cached_tokens == 2000
    # A fresh prompt goes where there is least prefill and decode load instead.
    other = cluster.submit([request(2, prompt=500, name="fresh")])[0]
    assert other.worker != first.worker


def test_snapshots_report_each_worker() -> None:
    cluster, clock, _ = make_cluster(FixedLatency(0.1, 0.01), workers=2, router="round_robin")
    cluster.submit([request(5, prompt=40, model="a")])
    cluster.submit([request(5, prompt=40, model="b")])
    clock.advance(0.05)
    first, second = cluster.snapshots()
    assert (first.index, first.running, second.running) == (0, {"a": 1}, {"b": 1})
    assert first.blocks_in_use == 3 and first.active_prefill_tokens == 40
    clock.advance(1)
    first, _ = cluster.snapshots()
    assert first.blocks_in_use == 0 and first.active_prefill_tokens == 0
    assert 0.13 < first.busy_seconds < 0.15  # running from 0 to the last token at 0.14
