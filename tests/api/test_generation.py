"""The run of one API request on the engine, on a virtual clock: what the streaming paths consume."""

from __future__ import annotations

from fakeai.api.generation import Run
from fakeai.content.text import Completion
from fakeai.engine import FixedLatency
from tests.engine.helpers import make_cluster


async def test_news_reports_each_choice_in_order_until_all_finish() -> None:
    engine, clock, _ = make_cluster(FixedLatency(0.1, 0.1))
    completions = [Completion(["a", "b", "c"], "length"), Completion([], "stop"), Completion(["x"], "stop")]
    run = Run.start(engine, "req", "m", [[1, 2, 3]] * 3, completions, max_tokens=3)
    assert run.pending == [0, 1, 2]

    # (index, start, stop, finished): the empty choice finished at submit
    assert run.news() == [(1, 0, 0, True)]
    assert run.pending == [0, 2]
    clock.advance(0.1)
    assert run.news() == [(0, 0, 1, False), (2, 0, 1, True)]
    assert run.news() == []  # nothing new since
    clock.advance(0.2)
    assert run.news() == [(0, 1, 3, True)]
    assert run.pending == []  # every choice was reported finished: the streaming loops end
    assert run.finished and not engine.workers[0].scheduler.running


async def test_waiting_on_the_wakeup_between_news_sees_every_step() -> None:
    engine, clock, _ = make_cluster(FixedLatency(0.1, 0.1))
    run = Run.start(engine, "req", "m", [[1, 2, 3]], [Completion(["a", "b"], "length")], max_tokens=2)
    clock.advance(0.1)
    await run.wakeup.wait()
    assert run.news() == [(0, 0, 1, False)]
    clock.advance(0.1)
    await run.wakeup.wait()
    assert run.news() == [(0, 1, 2, True)]
