"""Preemption counts as vLLM would count them: a few per request that does not fit, never a storm.

vLLM V1 preempts the newest running request when ``allocate_slots`` fails, puts it back at the front of the
queue and readmits it in a later step, once blocks for all of its tokens are free. So a trace where two of N
requests fit at a time preempts on the order of N times, whatever the TTFT.
"""

from __future__ import annotations

import itertools
import signal
from collections.abc import Iterator

import pytest

from fakeai.engine import FixedLatency
from tests.engine.helpers import make_cluster, request


@pytest.fixture(autouse=True)
def bounded() -> Iterator[None]:
    """A livelock on the virtual clock never returns: fail after 20 s of wall time instead of hanging."""

    def expire(*_: object) -> None:
        raise TimeoutError("the virtual clock did not come back: preemption livelock")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def run(
    requests: int,
    ttft: float,
    *,
    gap: float = 0.0,
    blocks: int = 64,
    block_size: int = 16,
    prompt: int = 449,
    output: int = 200,
    itl: float = 0.02,
):  # type: ignore[no-untyped-def]
    cluster, clock, recorder = make_cluster(
        FixedLatency(ttft, itl), num_gpu_blocks=blocks, block_size=block_size
    )
    seqs = []
    for i in range(requests):
        seqs += cluster.submit([request(output, prompt=prompt, name=str(i))])
        if gap:
            clock.advance(gap)
    clock.run_until_idle()
    worker = cluster.workers[0]
    assert all(seq.finished and seq.generated == output for seq in seqs)
    assert worker.kv.blocks_in_use == 0
    return worker.scheduler.preemptions, seqs, recorder


@pytest.mark.parametrize("requests", [6, 10])
@pytest.mark.parametrize("ttft", [0.0, 0.1])
def test_449_plus_200_tokens_in_64_blocks_preempts_once_per_request_beyond_the_first(
    requests: int, ttft: float
) -> None:
    # 64 blocks of 16 tokens hold one 649-token sequence and part of another: each later request is
    # preempted once while an older one finishes (vLLM's count on this trace), not thousands of times.
    preemptions, seqs, recorder = run(requests, ttft)
    assert 1 <= preemptions <= requests
    assert seqs[0].preemptions == 0  # the oldest is never the victim
    assert preemptions == sum(r.preemptions for r in recorder.records)


def test_a_full_cache_at_zero_ttft_does_not_readmit_a_sequence_into_its_own_shortage() -> None:
    # 12 blocks of 4 tokens, TTFT 0, ITL 13 ms: the newest sequence used to preempt itself and be readmitted
    # at the same instant forever (the clock never came back).
    preemptions, seqs, _ = run(4, 0.0, gap=0.013, blocks=12, block_size=4, prompt=10, output=20, itl=0.013)
    assert preemptions <= 2 * len(seqs)


def test_a_readmitted_sequence_emits_before_it_is_preempted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many short sequences in a tiny pool, at TTFT 0 and with one: between two preemptions of the same
    # sequence it always emitted at least one token (it never thrashes in its re-prefill).
    from fakeai.engine.scheduler import Scheduler

    at_preemption: dict[int, list[int]] = {}
    original = Scheduler.preempt

    def preempt(self: Scheduler, seq) -> None:  # type: ignore[no-untyped-def]
        at_preemption.setdefault(id(seq), []).append(seq.generated)
        original(self, seq)

    monkeypatch.setattr(Scheduler, "preempt", preempt)
    # The second trace preempted a sequence twice in one re-prefill when the victim was simply the newest.
    for requests, ttft, gap, blocks, prompt, output in (
        (8, 0.0, 0.005, 10, 6, 14),
        (4, 0.05, 0.02, 8, 4, 10),
    ):
        at_preemption.clear()
        preemptions, _, _ = run(
            requests, ttft, gap=gap, blocks=blocks, block_size=4, prompt=prompt, output=output, itl=0.01
        )
        assert preemptions >= 1
        for generated in at_preemption.values():
            assert all(b > a for a, b in itertools.pairwise(generated)), generated
