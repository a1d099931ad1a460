"""The engine's pacing, on a virtual clock: no test here sleeps."""

from __future__ import annotations

import pytest

from fakeai.engine import Engine, EngineRequest, FixedLatency, VirtualClock, Wakeup


def make_engine(ttft: float = 0.1, itl: float = 0.02, **jitter: float) -> tuple[Engine, VirtualClock]:
    clock = VirtualClock()
    return Engine(clock, FixedLatency(ttft, itl, **jitter), seed=7), clock


def request(tokens: int, name: str = "r") -> EngineRequest:
    return EngineRequest(request_id=name, prompt_tokens=10, output_tokens=tokens)


def test_first_token_at_ttft_then_one_per_itl() -> None:
    engine, clock = make_engine(ttft=0.1, itl=0.02)
    stream = engine.submit(request(5))
    clock.advance(0.099)
    assert stream.generated == 0 and stream.first_token_time is None
    clock.advance(0.001)
    assert stream.generated == 1
    assert stream.first_token_time == pytest.approx(0.1)
    clock.advance(0.02 * 3)
    assert stream.generated == 4 and not stream.finished
    clock.advance(0.02)
    assert stream.generated == 5 and stream.finished
    assert stream.finish_time == pytest.approx(0.1 + 4 * 0.02)
    assert engine.running == set()


class LateClock(VirtualClock):
    """Fires every timer a second late, like an overloaded event loop."""

    def call_at(self, when, callback):  # type: ignore[no-untyped-def]
        return super().call_at(when + 1.0, callback)


def test_late_timer_catches_up_on_every_due_token() -> None:
    clock = LateClock()
    engine = Engine(clock, FixedLatency(0.5, 0.25))  # binary-exact times
    stream = engine.submit(request(100))
    clock.advance(1.5)
    # The step ran at 1.5 instead of 0.5: it emits every token due by then (0.5, 0.75, ..., 1.5) at once,
    # so a late loop never stretches the schedule.
    assert stream.generated == 5
    assert stream.take() == 5
    assert stream.take() == 0


def test_zero_latency_emits_everything_in_one_step() -> None:
    engine, clock = make_engine(ttft=0.0, itl=0.0)
    stream = engine.submit(request(1000))
    assert stream.generated == 0  # nothing happens until the loop runs the step
    clock.advance(0)
    assert stream.generated == 1000 and stream.finished


def test_zero_token_request_finishes_immediately() -> None:
    engine, _ = make_engine()
    stream = engine.submit(request(0))
    assert stream.finished and stream.generated == 0 and engine.running == set()


def test_concurrent_streams_keep_their_own_schedule() -> None:
    engine, clock = make_engine(ttft=0.1, itl=0.02)
    first = engine.submit(request(3, "a"))
    clock.advance(0.05)
    second = engine.submit(request(3, "b"))
    clock.advance(0.05)  # t=0.10: a's first token; b is due at 0.15
    assert (first.generated, second.generated) == (1, 0)
    clock.advance(0.05)  # t=0.15
    assert (first.generated, second.generated) == (3, 1)
    assert second.first_token_time == pytest.approx(0.15)
    clock.advance(1)
    assert first.finished and second.finished


def test_abort_stops_the_stream_and_frees_it() -> None:
    engine, clock = make_engine(ttft=0.1, itl=0.02)
    stream = engine.submit(request(10))
    clock.advance(0.15)
    produced = stream.generated
    engine.abort(stream)
    assert stream.aborted and stream.finished and engine.running == set()
    clock.advance(1)
    assert stream.generated == produced
    engine.abort(stream)  # idempotent


def test_a_new_earlier_request_rearms_the_single_timer() -> None:
    engine, clock = make_engine(ttft=1.0, itl=0.02)
    slow = engine.submit(request(1, "slow"))
    engine.latency = FixedLatency(0.1, 0.02)  # the next request is due much earlier
    fast = engine.submit(request(1, "fast"))
    clock.advance(0.1)
    assert fast.finished and not slow.finished
    clock.advance(0.9)
    assert slow.finished


def test_jitter_is_seeded_and_never_negative() -> None:
    def finish_times() -> list[float]:
        engine, clock = make_engine(ttft=0.05, itl=0.01, ttft_jitter=0.05, itl_jitter=0.02)
        streams = [engine.submit(request(20, str(i))) for i in range(5)]
        clock.advance(5)
        return [s.finish_time or 0.0 for s in streams]

    times = finish_times()
    assert times == finish_times()
    assert len(set(times)) > 1  # jitter really varies
    assert all(t >= 0.0 for t in times)


async def test_wakeup_is_level_triggered() -> None:
    wakeup = Wakeup()
    wakeup.set()
    await wakeup.wait()  # a set before the wait is not lost


async def test_streams_of_one_request_share_a_wakeup() -> None:
    engine, clock = make_engine(ttft=0.1, itl=0.02)
    wakeup = Wakeup()
    streams = [engine.submit(request(2, str(i)), wakeup) for i in range(3)]
    clock.advance(0.1)
    await wakeup.wait()
    assert [s.take() for s in streams] == [1, 1, 1]
