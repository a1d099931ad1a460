"""Per-sequence pacing (fixed and per-token latency models), on a virtual clock: no test here sleeps."""

from __future__ import annotations

import itertools
from collections import Counter
from types import SimpleNamespace

import pytest

from fakeai.engine import FixedLatency, Jitter, PerTokenLatency, VirtualClock, Wakeup
from fakeai.engine.config import timer_grid
from tests.engine.helpers import make_cluster, request


def fixed(ttft: float = 0.1, itl: float = 0.02) -> FixedLatency:
    return FixedLatency(ttft, itl)


def test_first_token_at_ttft_then_one_per_itl() -> None:
    cluster, clock, recorder = make_cluster(fixed(0.1, 0.02))
    [seq] = cluster.submit([request(5)])
    clock.advance(0.099)
    assert seq.generated == 0 and seq.first_token_time is None
    clock.advance(0.001)
    assert seq.generated == 1
    assert seq.first_token_time == pytest.approx(0.1)
    clock.advance(0.02 * 3)
    assert seq.generated == 4 and not seq.finished
    clock.advance(0.02)
    assert seq.generated == 5 and seq.finished
    assert seq.finish_time == pytest.approx(0.1 + 4 * 0.02)
    assert recorder.ttfts == [pytest.approx(0.1)]
    assert recorder.gaps == [pytest.approx(0.02)] * 4
    [record] = recorder.records
    assert (record.output_tokens, record.finish_reason, record.scheduled) == (5, "length", 0.0)
    assert not cluster.workers[0].scheduler.running


class LateClock(VirtualClock):
    """Fires every timer a second late, like an overloaded event loop."""

    def call_at(self, when, callback):  # type: ignore[no-untyped-def]
        return super().call_at(when + 1.0, callback)


def test_late_timer_catches_up_on_every_due_token() -> None:
    cluster, _, recorder = make_cluster(FixedLatency(0.5, 0.25))  # binary-exact times
    clock = LateClock()
    worker = cluster.workers[0]
    worker.clock = cluster.clock = clock
    [seq] = cluster.submit([request(100)])
    clock.advance(1.5)
    # The step ran at 1.5 instead of 0.5: it emits every token due by then (0.5, 0.75, ..., 1.5) at once,
    # so a late loop never stretches the schedule; the metrics see what the client sees.
    assert seq.generated == 5
    assert seq.take() == 5
    assert seq.take() == 0
    assert recorder.ttfts == [1.5] and recorder.gaps == [0.0] * 4


def test_zero_latency_emits_everything_in_one_step_at_submit() -> None:
    # Due at once: emitted inside submit, with no timer (and no loop turn) per request.
    cluster, clock, recorder = make_cluster(fixed(0.0, 0.0))
    [seq] = cluster.submit([request(1000)])
    assert seq.generated == 1000 and seq.finished
    assert seq.first_token_time == seq.finish_time == seq.arrival
    assert not clock._timers  # type: ignore[attr-defined]
    assert recorder.ttfts == [0.0] and len(recorder.records) == 1


@pytest.mark.parametrize("latency", [FixedLatency(0.0, 0.0), PerTokenLatency(0.0, 0.0, 0.0)])
def test_zero_latency_shortcut_leaves_what_the_general_path_leaves(latency) -> None:
    """An idle worker with zero delays runs a sequence whole inside ``add`` (``_run_at_once``): the
    stamps, KV blocks, prefix cache, counters and observations must be those of queueing, admitting,
    pacing and finishing it."""
    from fakeai.engine.types import EngineRequest

    shared = list(range(40))

    def trace(shortcut: bool) -> tuple[object, ...]:
        cluster, clock, recorder = make_cluster(latency, num_gpu_blocks=16, block_size=4)
        worker = cluster.workers[0]
        worker._instant = shortcut
        run_at_once = worker._run_at_once
        worker._run_at_once = lambda seq: taken.append(run_at_once(seq)) or taken[-1]  # type: ignore[method-assign]
        stamps = []
        for i in range(12):
            prompt = shared[: 9 + 3 * i] if i % 3 else [1000 + i] * 6  # shared prefixes hit the cache
            if i == 5:
                requests = [EngineRequest("p", "m", prompt, 0, "stop", 0, prefill_only=True)]
            elif i == 7:  # evicts cached prefixes to fit
                requests = [request(40, prompt=[7] * 8)]
            else:
                requests = [request(1 + i % 4, prompt=prompt, name=f"r{i}")] * (1 + i % 2)  # n = 2
            for seq in cluster.submit(requests):
                clock.advance(1)
                stamps.append(
                    (
                        seq.queued,
                        seq.scheduled,
                        seq.first_token_time,
                        seq.finish_time,
                        seq.generated,
                        seq.cached_tokens,
                        seq.status,
                        seq.blocks,
                    )
                )
        kv, sched = worker.kv, worker.scheduler
        return (
            stamps,
            recorder.ttfts,
            recorder.gaps,
            recorder.steps,
            recorder.records,
            (kv.blocks_in_use, kv._fresh, list(kv._evictable), kv._by_hash, kv._hash_of),
            (sched.prefix_queries, sched.prefix_hits, sched.preemptions, worker.pending_prefill),
            worker.snapshot().busy_seconds,
        )

    taken: list[bool] = []
    assert trace(True) == trace(False)
    assert len(taken) == 16 and all(taken)  # every sequence took the shortcut


def test_zero_token_request_finishes_immediately() -> None:
    cluster, _, recorder = make_cluster(fixed())
    [seq] = cluster.submit([request(0)])
    assert seq.finished and seq.generated == 0
    assert cluster.workers[0].kv.blocks_in_use == 0 and len(recorder.records) == 1


def test_concurrent_streams_keep_their_own_schedule() -> None:
    cluster, clock, _ = make_cluster(fixed(0.1, 0.02))
    [first] = cluster.submit([request(3, name="a")])
    clock.advance(0.05)
    [second] = cluster.submit([request(3, name="b")])
    clock.advance(0.05)  # t=0.10: a's first token; b is due at 0.15
    assert (first.generated, second.generated) == (1, 0)
    clock.advance(0.05)  # t=0.15
    assert (first.generated, second.generated) == (3, 1)
    assert second.first_token_time == pytest.approx(0.15)
    clock.advance(1)
    assert first.finished and second.finished


def test_abort_stops_the_stream_and_frees_its_blocks() -> None:
    cluster, clock, recorder = make_cluster(fixed(0.1, 0.02))
    [seq] = cluster.submit([request(10, prompt=100)])
    kv = cluster.workers[0].kv
    assert kv.blocks_in_use == 7  # 100 prompt tokens in blocks of 16
    clock.advance(0.15)
    produced = seq.generated
    cluster.abort(seq)
    assert seq.aborted and seq.finished and kv.blocks_in_use == 0
    clock.advance(1)
    assert seq.generated == produced
    cluster.abort(seq)  # idempotent
    assert recorder.records[-1].finish_reason == "abort"


def test_jitter_is_seeded_and_never_negative() -> None:
    def finish_times(distribution: str) -> list[float]:
        latency = FixedLatency(0.05, 0.01, Jitter(0.05, distribution), Jitter(0.02, distribution))  # type: ignore[arg-type]
        cluster, clock, _ = make_cluster(latency)
        seqs = [cluster.submit([request(20, name=str(i))])[0] for i in range(5)]
        clock.advance(5)
        return [s.finish_time or 0.0 for s in seqs]

    for distribution in ("normal", "lognormal"):
        times = finish_times(distribution)
        assert times == finish_times(distribution)
        assert len(set(times)) > 1  # jitter really varies
        assert all(t >= 0.0 for t in times)


def test_lognormal_jitter_keeps_the_mean() -> None:
    import random

    rng = random.Random(1)
    samples = [Jitter(0.01, "lognormal").sample(0.02, rng) for _ in range(20_000)]
    assert sum(samples) / len(samples) == pytest.approx(0.02, rel=0.02)
    assert min(samples) > 0


def test_per_token_prefill_charges_only_the_uncached_suffix() -> None:
    """A shared 1,024-token prefix is cached: the second request pays only for its own suffix."""
    latency = PerTokenLatency(overhead=0.005, per_token=0.0001, itl=0.01)
    cluster, clock, recorder = make_cluster(latency)
    prefix = list(range(1024))
    [first] = cluster.submit([request(2, prompt=[*prefix, 5000, 5001])])
    clock.advance(1)
    [second] = cluster.submit([request(2, prompt=[*prefix, 6000, 6001, 6002])])
    clock.advance(1)
    assert first.cached_tokens == 0 and second.cached_tokens == 1024
    assert recorder.ttfts[0] == pytest.approx(0.005 + 1026 * 0.0001)
    assert recorder.ttfts[1] == pytest.approx(0.005 + 3 * 0.0001)


async def test_sequences_of_one_request_share_a_wakeup() -> None:
    cluster, clock, _ = make_cluster(fixed(0.1, 0.02))
    wakeup = Wakeup()
    seqs = cluster.submit([request(2, name=str(i)) for i in range(3)], wakeup)
    clock.advance(0.1)
    await wakeup.wait()
    assert [s.take() for s in seqs] == [1, 1, 1]


async def test_wakeup_is_level_triggered() -> None:
    wakeup = Wakeup()
    wakeup.set()
    await wakeup.wait()  # a set before the wait is not lost


def test_ttft_counts_from_the_requests_arrival_and_queue_time_from_the_engine_queue() -> None:
    # The server's own handling before the engine saw the request is inside the configured TTFT ...
    cluster, clock, recorder = make_cluster(fixed(0.1, 0.02))
    clock.advance(1.0)
    cluster.submit([request(2)], arrival=0.95)  # 50 ms of server handling before the engine saw it
    clock.advance(1)
    [record] = recorder.records
    assert recorder.ttfts == [pytest.approx(0.1)]
    assert record.scheduled is not None and record.scheduled - record.queued == 0.0
    assert record.finish - record.arrival == pytest.approx(0.12)
    # ... up to all of it: handling longer than the TTFT leaves no prefill delay.
    cluster.submit([request(2)], arrival=clock.now() - 0.3)
    clock.advance(1)
    assert recorder.ttfts[-1] == pytest.approx(0.3)


def test_time_waiting_for_admission_still_adds_to_the_ttft() -> None:
    cluster, clock, recorder = make_cluster(fixed(0.1, 0.02), max_num_seqs=1)
    cluster.submit([request(5, name="first")])
    cluster.submit([request(2, name="second")])  # waits 0.18 s for the first to finish
    clock.advance(1)
    assert recorder.ttfts == [pytest.approx(0.1), pytest.approx(0.18 + 0.1)]


class SampledLatency(FixedLatency):
    """The same delays, but the engine is told to sample each one (its per-token path)."""

    def constant_itl(self) -> float | None:
        return None


@pytest.mark.parametrize("late", [0.0, 0.07])
def test_constant_itl_counts_due_tokens_as_sampling_each_would(late: float) -> None:
    """With a constant ITL the engine counts due tokens and grows KV for all of them at once: stamps,
    preemptions and metrics events are exactly those of the one-token-at-a-time path."""

    class Late(VirtualClock):
        def call_at(self, when, callback):  # type: ignore[no-untyped-def]
            return super().call_at(when + late, callback)

    def trace(latency: FixedLatency) -> tuple[object, ...]:
        cluster, _, recorder = make_cluster(latency, num_gpu_blocks=7, block_size=4)
        clock = Late()
        cluster.workers[0].clock = cluster.clock = clock
        seqs = []
        for i in range(6):
            seqs += cluster.submit([request(9 + i, prompt=3 + i, name=f"s{i}")])
            clock.advance(0.013)
        clock.run_until_idle()
        stamps = [(s.generated, s.first_token_time, s.finish_time, s.preemptions) for s in seqs]
        return stamps, recorder.ttfts, recorder.gaps, recorder.steps, recorder.records

    constant = trace(FixedLatency(0.01, 0.005))
    assert sum(preemptions for *_, preemptions in constant[0]) > 0  # the pool is tight enough to preempt
    assert constant == trace(SampledLatency(0.01, 0.005))


class CountingClock(VirtualClock):
    """Counts the engine's wake-ups."""

    fired = 0

    def call_at(self, when, callback):  # type: ignore[no-untyped-def]
        def counted() -> None:
            self.fired += 1
            callback()

        return super().call_at(when, counted)


def test_timer_grid_wakes_once_per_interval_and_keeps_a_constant_itl_exact() -> None:
    # 10 arrivals 0.1 ms apart: with a 2 ms grid their tokens leave together, one wake-up per token
    # position instead of one per sequence; after the first token every gap is still exactly 20 ms.
    cluster, _, recorder = make_cluster(fixed(0.1, 0.02), timer_grid=0.002)
    clock = CountingClock()
    cluster.clock = cluster.workers[0].clock = clock
    seqs = []
    for i in range(10):
        clock.advance(0.0001)
        seqs += cluster.submit([request(5, name=f"r{i}")])
    clock.advance(1.0)
    assert all(seq.finished for seq in seqs)
    assert clock.fired == 5
    # Due from 0.1001 to 0.1010: all leave at the grid point 0.102.
    assert all(seq.first_token_time == pytest.approx(0.102) for seq in seqs)
    assert all(gap == pytest.approx(0.02) for gap in recorder.gaps)
    assert max(recorder.ttfts) - min(recorder.ttfts) == pytest.approx(0.0009)


def test_timer_grid_divides_the_itl_and_stays_out_of_batched_models() -> None:

    assert timer_grid(fixed(0.1, 0.007), 0.002) == pytest.approx(0.007 / 4)
    assert timer_grid(fixed(0.1, 0.02), 0.002) == pytest.approx(0.002)
    assert timer_grid(FixedLatency(0.1, 0.02, itl_jitter=Jitter(0.005, "normal")), 0.002) == 0.002
    assert timer_grid(fixed(0.1, 0.02), 0.0) == 0.0
    assert timer_grid(SimpleNamespace(batched=True), 0.002) == 0.0  # type: ignore[arg-type]


@pytest.mark.timeout(10)
def test_timer_grid_emits_a_sampled_token_due_a_hair_after_its_grid_point() -> None:
    # The grid counts a due time within a millionth of an interval above a grid point as on it; the
    # sampled-ITL path must then emit that token, not re-arm the same instant forever.
    cluster, _, recorder = make_cluster(SampledLatency(0.1, 0.02), timer_grid=0.002)
    clock = cluster.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(1e-9)
    [seq] = cluster.submit([request(3)])  # first token due at 0.1 + 1e-9
    clock.advance(1.0)
    assert seq.finished and seq.generated == 3
    assert recorder.ttfts == [pytest.approx(0.1)]


def test_timer_grid_ms_reaches_the_workers() -> None:
    from fakeai import Settings
    from fakeai.simulation import build_cluster

    def grid(**settings: object) -> float:
        cluster = build_cluster(Settings(**settings), VirtualClock())  # type: ignore[arg-type]
        return cluster.workers[0]._grid  # type: ignore[attr-defined]

    assert grid(itl_ms=20) == pytest.approx(0.002)
    assert grid(itl_ms=7) == pytest.approx(0.00175)
    assert grid(itl_ms=20, timer_grid_ms=0) == 0.0
    assert grid(latency_model="profile:h100-llama-3.1-8b") == 0.0


class _Emissions:
    """An observer that expands each ``tokens`` call into its sequences' events: (model, count, gap)."""

    def __init__(self) -> None:
        self.events: Counter[tuple[str, int, float]] = Counter()
        self.calls = 0

    def first_token(self, worker, model, ttft, prompt_tokens, cached_tokens, emitted=1) -> None:  # type: ignore[no-untyped-def]
        pass

    def tokens(self, worker: int, model: str, count: int, gap: float, sequences: int = 1) -> None:
        self.calls += 1
        self.events[model, count, gap] += sequences

    def step(self, worker: int, tokens: int, duration: float) -> None:
        pass

    def finished(self, record) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.mark.parametrize(
    "latency", [FixedLatency(0.1, 0.02), SampledLatency(0.1, 0.02, itl_jitter=Jitter(0.004))]
)
@pytest.mark.parametrize("grid", [0.0, 0.002])
def test_a_pass_reports_equal_emissions_in_runs_that_add_up_to_every_sequence(latency, grid: float) -> None:
    """The pass observes later tokens in runs of equal (model, count, gap): expanded, the runs are exactly
    the emissions each sequence saw (its wake-up times and token counts), with fewer observer calls."""
    cluster, clock, _ = make_cluster(latency, num_gpu_blocks=400, block_size=4, timer_grid=grid)
    observer = _Emissions()
    cluster.workers[0].observer = observer
    seen: dict[int, list[tuple[float, int]]] = {}
    sequences = []
    for i in range(120):
        wakeup = Wakeup()
        [seq] = cluster.submit([request(5 + i % 7, model="a" if i < 80 else "b")], wakeup)
        seen[id(seq)] = []
        wakeup.listen(lambda seq=seq: seen[id(seq)].append((clock.now(), seq.generated)))
        sequences.append(seq)
        clock.advance(0.0007 * (i % 5))  # staggered arrivals: many due times, many shared ones
        if i == 60:
            cluster.abort(sequences[3])  # an aborted one observes nothing more
    clock.advance(5)
    expected: Counter[tuple[str, int, float]] = Counter()
    for seq in sequences:
        times = seen[id(seq)]
        for (before, had), (at, has) in itertools.pairwise(times):
            if has > had:
                expected[seq.request.model, has - had, at - before] += 1
        first = times[0][1] if times else 0
        if first > 1:
            expected[seq.request.model, first - 1, 0.0] += 1
    assert all(seq.finished for seq in sequences)
    assert observer.events == expected
    if latency.constant_itl() is not None:  # sampled gaps rarely repeat: runs of one
        assert observer.calls < sum(expected.values())  # runs formed
