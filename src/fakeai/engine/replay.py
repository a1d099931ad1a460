"""Published serving scenarios replayed on one simulated worker in virtual time.

A profile's ``calibration`` points (profiles.py ``Point``) name what was measured on real hardware. This
module runs the same scenario on the engine alone, with no server and no wall clock, and reports what a
client would have measured: the fit of every profile is checked this way (tests/engine/test_profile_fit.py),
and bench/latency.py replays the same scenarios through the HTTP API to show that the server keeps it.

Lengths are fixed per scenario (published runs often used a dataset's spread; each profile file says how it
approximated them). Times are milliseconds in the results, seconds on the clock.
"""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from fakeai.engine.clock import VirtualClock
from fakeai.engine.cluster import Cluster, make_router
from fakeai.engine.config import WorkerConfig
from fakeai.engine.engine import Worker
from fakeai.engine.observer import FinishedRequest, NullObserver
from fakeai.engine.profiles import Point, ProfileLatency
from fakeai.engine.scheduler import Sequence
from fakeai.engine.types import EngineRequest

#: Output tokens of each stream in a decode point: long enough that most tokens are decoded by the full
#: batch, after every prompt is in and before the first streams finish.
DECODE_OUTPUT = 600
#: Requests of a serving point (vLLM bench's default is 1,000; a median settles well before).
SERVING_REQUESTS = 400


@dataclass(frozen=True, slots=True)
class Measured:
    """Medians over the scenario's requests, in milliseconds (None where the scenario has no such
    number): TTFT, ITL (each gap between two tokens of a stream) and TPOT (per request, (e2e - TTFT) /
    (output - 1))."""

    ttft_ms: float | None
    itl_ms: float | None
    tpot_ms: float | None

    def value(self, name: str) -> float | None:
        return getattr(self, name)


class _Stamps(NullObserver):
    """Every token gap, in seconds (for ITL); ``on_finish`` runs after each finished sequence."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.on_finish: Callable[[], None] | None = None

    def tokens(self, worker: int, model: str, count: int, gap: float, sequences: int = 1) -> None:
        self.gaps += [gap] * sequences

    def finished(self, record: FinishedRequest) -> None:
        if self.on_finish is not None:
            self.on_finish()


def replay(
    latency: ProfileLatency, point: Point, *, requests: int = SERVING_REQUESTS, seed: int = 0
) -> Measured:
    """Run ``point``'s scenario on one worker of ``latency`` with the profile's own engine limits."""
    engine = latency.data.engine
    clock = VirtualClock()
    stamps = _Stamps()
    config = WorkerConfig(
        num_gpu_blocks=latency.num_gpu_blocks(16, 0.9),
        block_size=16,
        max_num_seqs=engine.max_num_seqs,
        max_num_batched_tokens=engine.max_num_batched_tokens,
        max_waiting=1_000_000,
        chunked_prefill=engine.chunked_prefill,
    )
    worker = Worker(0, clock, latency, config, latency.gpu_spec(16), stamps, seed=seed)
    cluster = Cluster(clock, [worker], make_router("round_robin"))
    prompts = _fresh_prompts()
    if point.kind == "prefill":
        done = [_run_alone(cluster, clock, prompts(point.isl), 2) for _ in range(3)]
        return Measured(statistics.median(_ttft(s) for s in done), None, None)
    if point.kind == "decode":
        # Every stream's prompt is sized so that its context averages ``point.context`` while it decodes.
        isl = max(1, point.context - DECODE_OUTPUT // 2)
        seqs = [cluster.submit([_request(prompts(isl), DECODE_OUTPUT)])[0] for _ in range(point.batch)]
        clock.run_until_idle()
        _check(seqs)
        return Measured(None, statistics.median(stamps.gaps) * 1000.0, None)
    seqs = _serve(cluster, clock, stamps, point, requests, prompts, random.Random(seed))
    return Measured(
        statistics.median(_ttft(s) for s in seqs),
        statistics.median(stamps.gaps) * 1000.0,
        statistics.median(_tpot(s) for s in seqs if s.generated > 1),
    )


def _serve(
    cluster: Cluster,
    clock: VirtualClock,
    stamps: _Stamps,
    point: Point,
    count: int,
    prompts: Callable[[int], list[int]],
    rng: random.Random,
) -> list[Sequence]:
    """A closed loop of ``point.concurrency`` clients, or Poisson arrivals at ``point.rate`` requests/s."""
    seqs: list[Sequence] = []

    def send() -> Sequence:
        seq = cluster.submit([_request(prompts(point.isl), point.osl)])[0]
        seqs.append(seq)
        return seq

    if point.rate:
        at = 0.0
        for _ in range(count):
            at += rng.expovariate(point.rate)
            clock.advance(max(0.0, at - clock.now()))
            send()
    else:
        # Each client sends its next request as soon as its last one finished (on the next timer, never
        # from inside the engine's own callback).
        def next_request() -> None:
            if len(seqs) < count:
                clock.call_at(clock.now(), send)

        stamps.on_finish = next_request
        for _ in range(min(point.concurrency, count)):
            send()
    clock.run_until_idle()
    _check(seqs)
    return seqs


def _run_alone(cluster: Cluster, clock: VirtualClock, prompt: list[int], output: int) -> Sequence:
    seq = cluster.submit([_request(prompt, output)])[0]
    clock.run_until_idle()
    _check([seq])
    return seq


def _request(prompt: list[int], output: int) -> EngineRequest:
    return EngineRequest("replay", "replay", prompt, output, "length", output)


def _fresh_prompts() -> Callable[[int], list[int]]:
    """A maker of prompts of never-repeated token ids: no prefix hits, as published runs of distinct
    prompts."""
    ids = itertools.count(1)

    def make(length: int) -> list[int]:
        return [next(ids) for _ in range(length)]

    return make


def _check(seqs: list[Sequence]) -> None:
    unfinished = sum(1 for s in seqs if not s.finished)
    if unfinished:
        raise RuntimeError(f"{unfinished} of {len(seqs)} sequences did not finish: the scenario overloads it")


def _ttft(seq: Sequence) -> float:
    assert seq.first_token_time is not None
    return (seq.first_token_time - seq.arrival) * 1000.0


def _tpot(seq: Sequence) -> float:
    assert seq.first_token_time is not None and seq.finish_time is not None
    return (seq.finish_time - seq.first_token_time) * 1000.0 / (seq.generated - 1)
