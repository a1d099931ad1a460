"""The usage ledger's minute lines, on a hand-moved clock: what a request adds, where, and what is kept."""

from __future__ import annotations

from fakeai.metrics.usage import UsageLedger


class Clock:
    def __init__(self) -> None:
        self.now = 6000.0

    def __call__(self) -> float:
        return self.now


def _lines(ledger: UsageLedger) -> list[tuple[int, str, str | None, str, float, float]]:
    return [
        (
            key.minute,
            key.project_id,
            key.api_key_id,
            key.model,
            line["num_model_requests"],
            line["output_tokens"],
        )
        for key, line in ledger.lines("completions")
    ]


def _record(
    ledger: UsageLedger, project: str = "p", key: str | None = "k", model: str = "m", out: int = 5
) -> None:
    ledger.record(
        "completions", project, key, model, input_tokens=10, input_cached_tokens=0, output_tokens=out
    )


def test_requests_add_to_their_minute_line_and_a_new_minute_opens_new_lines() -> None:
    clock = Clock()
    ledger = UsageLedger(clock)
    _record(ledger)
    _record(ledger, out=7)
    _record(ledger, key=None)
    clock.now += 59.0  # the same minute (6000 is 100 minutes exactly)
    _record(ledger, model="other")
    clock.now += 1.0
    _record(ledger)
    assert _lines(ledger) == [
        (6000, "p", "k", "m", 2, 12),
        (6000, "p", None, "m", 1, 5),
        (6000, "p", "k", "other", 1, 5),
        (6060, "p", "k", "m", 1, 5),
    ]
    [(_, _, _, total)] = [t for t in ledger.totals() if t[1] == "m"]
    assert total["num_model_requests"] == 4 and total["output_tokens"] == 22


def test_old_minutes_expire_and_a_reset_forgets_this_minute_too() -> None:
    clock = Clock()
    ledger = UsageLedger(clock, retention=120.0)
    _record(ledger)
    clock.now += 180.0
    _record(ledger)
    assert [line[0] for line in _lines(ledger)] == [6180]
    ledger.reset()
    _record(ledger)
    assert _lines(ledger) == [(6180, "p", "k", "m", 1, 5)]
    assert [t[3]["num_model_requests"] for t in ledger.totals()] == [1]


def test_past_max_lines_the_oldest_go_even_from_this_minute_and_later_requests_are_kept() -> None:
    clock = Clock()
    ledger = UsageLedger(clock, max_lines=2)
    for project in ("a", "b", "c"):
        _record(ledger, project=project)
    assert [line[1] for line in _lines(ledger)] == ["b", "c"]
    _record(ledger, project="a")  # its line was dropped: a new one, not the forgotten one
    _record(ledger, project="c")
    assert _lines(ledger) == [(6000, "c", "k", "m", 2, 10), (6000, "a", "k", "m", 1, 5)]


def test_the_ledgers_of_several_processes_merge_into_their_sum() -> None:
    # --workers N: the organization API adds up every process's export (server/peers.py).
    clock = Clock()
    first, second = UsageLedger(clock), UsageLedger(clock)
    _record(first, out=5)
    _record(second, out=7)  # the same minute line, in another process
    _record(second, project="q")
    clock.now += 60
    _record(first, model="n", out=1)
    first.record("embeddings", "p", "k", "e", input_tokens=4)
    merged = UsageLedger.merged([first.export(), second.export()])
    assert _lines(merged) == [
        (6000, "p", "k", "m", 2.0, 12.0),
        (6000, "q", "k", "m", 1.0, 5.0),
        (6060, "p", "k", "n", 1.0, 1.0),
    ]
    [(key, line)] = merged.lines("embeddings")
    assert (key.minute, key.model, line) == (6060, "e", {"input_tokens": 4.0, "num_model_requests": 1.0})
    totals = {(kind, model): counts["num_model_requests"] for kind, model, _, counts in merged.totals()}
    assert totals == {("completions", "m"): 3.0, ("completions", "n"): 1.0, ("embeddings", "e"): 1.0}
    assert UsageLedger.merged([first.export()]).export() == first.export()  # one process: itself
