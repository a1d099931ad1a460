"""The recorder observes in batches (``Recorder.fold``): what a reader sees must be what observing each event
on its own gives, whether the events were folded at the threshold, when read, or both."""

from __future__ import annotations

import random

import pytest

from fakeai.engine.observer import FinishedRequest
from fakeai.metrics import Recorder
from fakeai.metrics import histogram as buckets
from fakeai.metrics.histogram import Histogram, build_1_2_5_buckets

MODELS = ("m", "other")


def _records(count: int, rng: random.Random) -> list[FinishedRequest]:
    records = []
    for _ in range(count):
        arrival = rng.uniform(0, 100)
        queued = arrival + rng.uniform(0, 0.01)
        scheduled = None if rng.random() < 0.1 else queued + rng.choice((0.0, rng.uniform(0, 3)))
        first = None if scheduled is None or rng.random() < 0.1 else scheduled + rng.uniform(0, 0.5)
        output = 0 if first is None else rng.choice((1, 2, 16, 999))
        finish = (
            first if first is not None else scheduled if scheduled is not None else queued
        ) + output * 0.02
        records.append(
            FinishedRequest(
                rng.choice(MODELS),
                rng.randrange(2),
                arrival,
                queued,
                scheduled,
                first,
                finish,
                rng.randrange(1, 5000),
                0,
                output,
                rng.choice((16, 4096)),
                rng.choice((1, 3)),
                rng.choice(("stop", "length", "abort")),
                rng.randrange(2),
            )
        )
    return records


def _observed(bounds: tuple[float, ...] | list[float], values: list[float]) -> tuple[list[int], float]:
    h = Histogram(bounds)
    for value in values:
        h.observe(value)
    return h.counts, h.sum


def _check(h: Histogram, values: list[float]) -> None:
    counts, total = _observed(h.bounds, values)
    assert h.counts == counts
    assert h.sum == pytest.approx(total, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("count", [5, Recorder.FOLD_AT + 37])  # read-time fold only; threshold, then read
def test_finished_records_read_as_observed_one_by_one(count: int) -> None:
    recorder = Recorder(max_model_len=4096, window=50)
    records = _records(count, random.Random(count))
    for record in records:
        recorder.finished(record)
    tokens = build_1_2_5_buckets(4096)
    assert set(recorder.series) == {(r.model, r.worker) for r in records}
    for (model, worker), s in recorder.series.items():
        mine = [r for r in records if (r.model, r.worker) == (model, worker)]
        ran = [r for r in mine if r.scheduled is not None]
        emitted = [r for r in mine if r.first_token is not None]
        assert sum(s.finished.values()) == len(mine)
        assert s.preemptions == sum(r.preemptions for r in mine)
        _check(s.e2e, [r.finish - r.arrival for r in mine])
        _check(s.prompt_tokens_hist, [r.prompt_tokens for r in mine])
        _check(s.generation_tokens_hist, [r.output_tokens for r in mine])
        _check(s.max_tokens, [r.max_tokens for r in mine])
        _check(s.n, [r.n for r in mine])
        _check(s.queue, [r.scheduled - r.queued for r in ran])
        _check(s.inference, [r.finish - r.scheduled for r in ran])
        _check(s.prefill, [r.first_token - r.scheduled for r in ran if r.first_token is not None])
        _check(s.decode, [r.finish - r.first_token for r in emitted])
        tpot = [
            (r.finish - r.first_token) / (r.output_tokens - 1) if r.output_tokens > 1 else 0.0
            for r in emitted
        ]
        _check(s.tpot, tpot)
        assert s.prompt_tokens_hist.bounds == tokens
    for model in MODELS:
        mine = [r for r in records if r.model == model]
        _check(recorder.models[model].duration, [r.finish - r.arrival for r in mine])
        _check(recorder.models[model].output_tokens, [r.output_tokens for r in mine])
        assert len(recorder.models[model].e2e_window) == min(50, len(mine))


def test_first_tokens_steps_and_last_gauges_read_as_observed_one_by_one() -> None:
    recorder = Recorder(max_model_len=4096, window=10_000)
    rng = random.Random(7)
    events = [
        (
            rng.randrange(2),
            rng.choice(MODELS),
            rng.uniform(0, 3),
            rng.randrange(1, 9000),
            rng.randrange(0, 50),
            1,
        )
        for _ in range(Recorder.FOLD_AT * 2 + 5)
    ]
    steps = [(rng.randrange(2), rng.randrange(1, 9000)) for _ in range(300)]
    for event in events:
        recorder.first_token(*event)
    for worker, tokens in steps:
        recorder.step(worker, tokens, 0.01)
    assert set(recorder.series) == {(e[1], e[0]) for e in events}
    for (model, worker), s in recorder.series.items():
        mine = [e for e in events if (e[1], e[0]) == (model, worker)]
        _check(s.ttft, [e[2] for e in mine])
        assert s.prompt_tokens == s.prefix_queries == sum(e[3] for e in mine)
        assert s.prefix_hits == sum(e[4] for e in mine)
        assert s.generation_tokens == len(mine)
    for model in MODELS:
        mine = [e for e in events if e[1] == model]
        m = recorder.models[model]
        _check(m.ttft, [e[2] for e in mine])
        _check(m.input_tokens, [e[3] for e in mine])
        _check(m.cached, [e[4] for e in mine])
        assert sorted(m.ttft_window) == sorted(e[2] for e in mine)
    for worker in (0, 1):
        last = [e for e in events if e[0] == worker][-1]
        assert (recorder.workers[worker].ttft, recorder.workers[worker].input_tokens) == (last[2], last[3])
        counts, _ = _observed(buckets.VLLM_ITERATION_TOKENS, [t for w, t in steps if w == worker])
        assert recorder.iterations[worker].counts == counts


def test_reset_drops_what_was_not_folded_yet() -> None:
    recorder = Recorder()
    recorder.first_token(0, "m", 0.1, 10, 0)
    recorder.reset()
    assert recorder.series == {} and recorder.models == {}
