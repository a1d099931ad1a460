"""Plain data and errors exchanged across the engine seam."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class EngineRequest:
    """One sequence to generate (one choice of an API request). Read-only by convention: not frozen,
    because a frozen dataclass sets each field through ``object.__setattr__`` (microseconds per request).

    The API service has already decided what the completion says; the engine only decides when each of its
    ``output_tokens`` tokens leaves. ``prompt`` holds the prompt's token ids: their count costs prefill time
    and KV blocks, and equal leading ids hit the prefix cache. ``finish_reason`` is what the sequence ends
    with if it is not aborted; ``max_tokens`` (its budget) and ``n`` (choices in its API request) are only
    reported in metrics. ``priority`` 0 is live traffic; above 0 is background work (batch lines), which
    is admitted only when no live sequence waits and is preempted first to make room for one.
    """

    request_id: str
    model: str
    prompt: Sequence[int]
    output_tokens: int
    finish_reason: str = "stop"
    max_tokens: int = 0
    n: int = 1
    priority: int = 0
    prompt_tokens: int = field(init=False)  # len(prompt), counted once

    def __post_init__(self) -> None:
        self.prompt_tokens = len(self.prompt)


class EngineOverloaded(Exception):
    """The chosen worker's waiting queue is full; retry after ``retry_after`` seconds."""

    def __init__(self, waiting: int, limit: int, retry_after: float) -> None:
        super().__init__(f"{waiting} requests are waiting (limit {limit})")
        self.retry_after = retry_after


class ExceedsKVCapacity(Exception):
    """The sequence could never fit in the worker's KV cache, however empty it is."""

    def __init__(self, tokens: int, capacity: int) -> None:
        super().__init__(
            f"the request needs KV cache for {tokens} tokens, but the engine holds at most {capacity} tokens"
        )
        self.tokens = tokens
        self.capacity = capacity
