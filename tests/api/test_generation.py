"""The run of one API request on the engine, on a virtual clock: what the streaming paths consume."""

from __future__ import annotations

from fakeai.api.generation import Run
from fakeai.content.text import Completion
from fakeai.engine import FixedLatency
from tests.engine.helpers import make_cluster


async def test_updates_report_each_choice_in_order_until_all_finish() -> None:
    engine, clock, _ = make_cluster(FixedLatency(0.1, 0.1))
    completions = [Completion(["a", "b", "c"], "length"), Completion([], "stop"), Completion(["x"], "stop")]
    run = Run.start(engine, "req", "m", [[1, 2, 3]] * 3, completions, max_tokens=3)
    updates = run.updates()

    first = await anext(updates)  # the empty choice finished at submit
    assert [(p.index, p.pieces, p.first, p.finished) for p in first] == [(1, [], True, True)]
    clock.advance(0.1)
    second = await anext(updates)
    assert [(p.index, p.pieces, p.first, p.finished) for p in second] == [
        (0, ["a"], True, False),
        (2, ["x"], True, True),
    ]
    clock.advance(0.2)
    third = await anext(updates)
    assert [(p.index, p.pieces, p.first, p.finished) for p in third] == [(0, ["b", "c"], False, True)]
    assert [p async for p in updates] == []  # nothing pending: the iterator ends
    assert run.finished and not engine.workers[0].scheduler.running
